// Package safetext makes untrusted text harmless to show on a terminal or
// in a document: runbook fields, command output, database errors, reject
// values. Control characters — ESC and every other C0 control, DEL, the C1
// controls (U+0080–U+009F, which some terminals obey like ESC [), bidi
// overrides — and bytes that are not UTF-8 are written as visible Go-style
// escapes (\x1b, \r, \u009b, \xff), so a screen clear, a line erase, a
// carriage-return overwrite, a title change or an OSC 52 clipboard write
// shows as text and does nothing. Only the output's own escape sequences
// (styles added after this) reach a terminal.
package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line returns s safe to print as (part of) one line: every control
// character, including newline and tab, is escaped.
func Line(s string) string { return escape(s, false) }

// Text returns s safe to print, keeping its newlines and tabs (a
// multi-line message or a source line with tabs); every other control
// character is escaped.
func Text(s string) string { return escape(s, true) }

// Clean reports whether s has nothing to escape with Line.
func Clean(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafe(r) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, keepLines bool) string {
	if Clean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unsafe(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafe reports the runes a terminal may act on rather than show: C0
// controls, DEL, C1 controls, and the bidi embeddings, overrides and
// isolates that reorder what a line appears to say.
func unsafe(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
