package runbooks

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tightrope/tightrope/internal/safetext"
)

// Error is one problem found in a runbook, placed like a compiler error.
// Line and Col are 1-based; Col counts characters, not bytes. Source is the
// offending line of the file (empty when unknown) and Width the number of
// characters to underline from Col (at least 1).
type Error struct {
	File      string
	Line, Col int
	Width     int
	Msg       string
	Source    string
}

// Error returns the one-line form "file:line:col: message".
func (e Error) Error() string {
	return safetext.Line(fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg))
}

// Snippet returns the offending source line and a caret line under the
// column, or "" when the source line is unknown.
func (e Error) Snippet() string {
	return snippet(e.Line, e.Col, e.Width, e.Source)
}

// ErrorList is every error found in one runbook, sorted by position. Parse
// returns it as its error, never an empty one.
type ErrorList []Error

// Error prints each error as "file:line:col: message" followed by the
// source line and a caret line, one after the other.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
		if s := e.Snippet(); s != "" {
			b.WriteByte('\n')
			b.WriteString(s)
		}
	}
	return b.String()
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Sort orders the list by line, then column; errors at the same place keep
// the order in which they were found.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Col < l[j].Col
	})
}

// StepError is an error at a step of r, shown like the loader's errors:
// for checks made after loading, such as what a build can run.
func (r *Runbook) StepError(st Step, format string, args ...any) Error {
	return r.errorAt(position{line: st.Line, col: st.Col, width: 1}, format, args...)
}

// KeyError is an error at a key of r, shown like the loader's errors. path
// is a top-level key ("strategy") or a trigger ("triggers.cdc_lag"); an
// absent key places the error at line 1.
func (r *Runbook) KeyError(path string, format string, args ...any) Error {
	return r.errorAt(r.at[path], format, args...)
}

// errorAt places an error at p, with p's line of r.Text as its source.
func (r *Runbook) errorAt(p position, format string, args ...any) Error {
	if p.line < 1 {
		p = position{line: 1, col: 1, width: 1}
	}
	text := strings.TrimPrefix(strings.ReplaceAll(string(r.Text), "\r\n", "\n"), "\ufeff")
	lines := strings.Split(text, "\n")
	src := ""
	if len(r.Text) > 0 && p.line <= len(lines) {
		src = lines[p.line-1]
	}
	return Error{File: r.Path, Line: p.line, Col: max(p.col, 1), Width: p.width, Msg: fmt.Sprintf(format, args...), Source: src}
}

// Warning is a non-fatal finding of Lint: the runbook is valid but probably
// not what its author meant.
type Warning struct {
	File      string
	Line, Col int
	Width     int
	Msg       string
	Source    string
}

// String prints "file:line:col: warning: message" followed by the source
// line and a caret line.
func (w Warning) String() string {
	s := safetext.Line(fmt.Sprintf("%s:%d:%d: warning: %s", w.File, w.Line, w.Col, w.Msg))
	if sn := snippet(w.Line, w.Col, w.Width, w.Source); sn != "" {
		s += "\n" + sn
	}
	return s
}

// snippet renders a source line with its number and a caret line such as
//
//	12 |   - { id: copy, kind: copy, bach: 10 }
//	   |                             ^^^^
//
// Tabs before the column are kept so the carets line up in a terminal.
func snippet(line, col, width int, source string) string {
	if source == "" || line < 1 {
		return ""
	}
	num := fmt.Sprintf("%4d", line)
	runes := []rune(source)
	if col < 1 {
		col = 1
	}
	if col > len(runes)+1 {
		col = len(runes) + 1
	}
	if width < 1 {
		width = 1
	}
	if rest := len(runes) - (col - 1); width > rest && rest > 0 {
		width = rest
	}
	// Control characters are shown escaped (safetext), never sent to the
	// terminal; the caret line follows the escaped width.
	var shown, pad strings.Builder
	carets := 0
	for i, r := range runes {
		s := string(r)
		if r != '\t' {
			s = safetext.Line(s)
		}
		shown.WriteString(s)
		n := utf8.RuneCountInString(s)
		switch {
		case i < col-1 && r == '\t':
			pad.WriteByte('\t')
		case i < col-1:
			pad.WriteString(strings.Repeat(" ", n))
		case i < col-1+width:
			carets += n
		}
	}
	if carets == 0 {
		carets = width // the column is past the end of the line
	}
	return fmt.Sprintf("%s | %s\n%s | %s%s",
		num, shown.String(), strings.Repeat(" ", len(num)), pad.String(), strings.Repeat("^", carets))
}
