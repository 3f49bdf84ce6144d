package report

import (
	"bufio"
	"io"
	"strings"
	"unicode"

	"github.com/tightrope/tightrope/internal/safetext"
)

// Markdown writes the report as GitHub-flavoured Markdown: one heading per
// section, GFM tables, the UNTRUSTED banner as a block quote at the top.
// Free text is escaped so that a note cannot inject markup or HTML.
func Markdown(w io.Writer, r *Report) error {
	d := view(r)
	bw := bufio.NewWriter(w)
	p := func(s ...string) {
		for _, x := range s {
			_, _ = bw.WriteString(x)
		}
	}
	p("# ", mdText(d.Title), "\n\n")
	for i, line := range d.Banner {
		if i == 0 {
			p("> **⚠ ", mdText(line), "**\n")
		} else {
			p(">\n> ", mdText(line), "\n")
		}
	}
	if len(d.Banner) > 0 {
		p("\n")
	}
	for _, sec := range d.Sections {
		p("## ", mdText(sec.Title), "\n\n")
		for _, b := range sec.Blocks {
			switch {
			case b.Heading != "":
				p("### ", mdText(b.Heading), "\n\n")
			case b.Chart != nil, b.LagChart != nil: // the table after it says the same
			case b.Table != nil:
				mdTable(p, b.Table)
			case b.List != nil:
				for _, item := range b.List {
					p("- ", mdSpans(item, false), "\n")
				}
				p("\n")
			default:
				p(mdSpans(b.Para, false), "\n\n")
			}
		}
	}
	p("---\n\n_", mdText(d.Footer), "_\n")
	return bw.Flush()
}

// mdTable writes a GFM table.
func mdTable(p func(...string), t *table) {
	p("|")
	for _, h := range t.Head {
		p(" ", mdText(h), " |")
	}
	p("\n|")
	for range t.Head {
		p("---|")
	}
	p("\n")
	for _, row := range t.Rows {
		p("|")
		for i := range t.Head {
			var c cell
			if i < len(row) {
				c = row[i]
			}
			p(" ", mdSpans(c, true), " |")
		}
		p("\n")
	}
	p("\n")
}

// mdSpans renders runs of text. In a table cell, pipes are escaped even
// inside code spans: GFM splits the row into cells before it parses code,
// and turns the \| back into | inside the span.
func mdSpans(spans []span, inCell bool) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Text == "" {
			continue
		}
		switch {
		case s.Code:
			c := mdCode(s.Text)
			if inCell {
				c = strings.ReplaceAll(c, "|", `\|`)
			}
			b.WriteString(c)
		case s.Strong, s.Bad:
			b.WriteString("**" + mdText(s.Text) + "**")
		default:
			b.WriteString(mdText(s.Text))
		}
	}
	return b.String()
}

// mdCode is a code span, fenced with more backticks than the text holds.
func mdCode(s string) string {
	s = oneLine(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdText escapes free text: every character that could start markup or
// HTML is backslash-escaped (an underscore only where it could emphasise:
// inside a word it cannot), and line breaks become spaces.
func mdText(s string) string {
	s = oneLine(s)
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch r {
		case '\\', '`', '*', '[', ']', '<', '>', '|', '&', '~':
			b.WriteByte('\\')
		case '_':
			inWord := i > 0 && i < len(rs)-1 && isWord(rs[i-1]) && isWord(rs[i+1])
			if !inWord {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// oneLine folds line breaks and tabs into spaces and escapes every other
// control character (safetext), so no escape sequence from a runbook, a
// command or an error reaches whoever cats the report.
func oneLine(s string) string {
	return safetext.Line(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s))
}
