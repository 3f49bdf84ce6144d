package convert

import (
	"strconv"
	"strings"
)

// decl is a type declaration split into its parts: "numeric(10, 2)" has
// name "numeric" and args "10, 2"; "timestamp(3) without time zone" has
// rest "without time zone". words are the lower-case words of name and
// rest, with "unsigned", "signed" and "zerofill" taken out as flags.
type decl struct {
	name, args, rest string
	hasArgs          bool
	words            string
	unsigned         bool
}

func splitDecl(s string) decl {
	var d decl
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		d.name = s
	} else if end := closingParen(s, open); end < 0 {
		d.name = s // unbalanced: keep it whole, it will not match a known type
	} else {
		d.name, d.args, d.rest, d.hasArgs = s[:open], s[open+1:end], s[end+1:], true
	}
	var words []string
	for _, w := range strings.Fields(strings.ToLower(d.name + " " + d.rest)) {
		switch w {
		case "unsigned":
			d.unsigned = true
		case "signed", "zerofill":
		default:
			words = append(words, w)
		}
	}
	d.words = strings.Join(words, " ")
	return d
}

// closingParen finds the parenthesis closing the one at open, skipping
// quoted strings (enum values may contain parentheses).
func closingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// ints reads the arguments as comma-separated integers.
func (d decl) ints() []int {
	if !d.hasArgs {
		return nil
	}
	var out []int
	for _, a := range strings.Split(d.args, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// arg returns the i-th integer argument, or def.
func (d decl) arg(i, def int) int {
	if n := d.ints(); i < len(n) {
		return n[i]
	}
	return def
}

// decimalType builds a Decimal from (p[,s]); def is the precision when
// there are no arguments (0 = unconstrained).
func decimalType(t Type, d decl, def int) Type {
	t.Kind, t.Precision, t.Scale = Decimal, def, 0
	if n := d.ints(); len(n) > 0 {
		t.Precision = n[0]
		if len(n) > 1 {
			t.Scale = n[1]
		}
	}
	return t
}

// quotedList reads the single-quoted values of an enum or set as MySQL's
// COLUMN_TYPE writes them, with a quote inside a value doubled or
// backslash-escaped.
func quotedList(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		var b strings.Builder
		for i++; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
				continue
			}
			if c == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(c)
		}
		out = append(out, b.String())
	}
	return out
}
