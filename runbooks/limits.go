package runbooks

import (
	"bytes"
	"strings"
)

// Limits checked before the YAML parser sees the text: the parser's time
// and memory grow faster than linearly with nesting (40,000 nested '[' took
// seconds and gigabytes), and no runbook needs either limit.
const (
	// MaxSize is the largest runbook accepted, in bytes.
	MaxSize = 1 << 20
	// MaxDepth is the deepest nesting accepted: block levels (indentation,
	// "- " entries) plus flow levels ('[' and '{').
	MaxDepth = 64
)

// checkLimits records an error when text nests deeper than MaxDepth (Parse
// checks MaxSize first), at the place the limit is crossed. It reads the text
// once, without parsing it.
func (d *decoder) checkLimits(text []byte) bool {
	if line, col, ok := tooDeep(text); !ok {
		d.errorAt(position{line: line, col: col, width: 1}, "runbook nests deeper than %d levels: refused before parsing", MaxDepth)
		return false
	}
	return true
}

// tooDeep scans text line by line and reports the first place where the
// nesting passes MaxDepth (ok false). It is an estimate that errs towards
// depth only where YAML itself nests: indentation, sequence entries on one
// line, and flow collections opened where a value starts. Block scalars
// (| and >) and quoted text inside flow collections are skipped.
func tooDeep(text []byte) (line, col int, ok bool) {
	var indents []int // open block levels, by indentation
	flow := 0         // open '[' and '{'
	var quote byte    // inside a quoted scalar of a flow collection
	scalarIndent := -1
	for n, raw := range bytes.Split(text, []byte("\n")) {
		l := strings.TrimRight(string(raw), "\r")
		indent := len(l) - len(strings.TrimLeft(l, " "))
		body := l[indent:]
		if scalarIndent >= 0 {
			if body == "" || indent > scalarIndent {
				continue // a line of a block scalar
			}
			scalarIndent = -1
		}
		if flow == 0 && quote == 0 {
			if body == "" || body[0] == '#' {
				continue
			}
			for len(indents) > 0 && indents[len(indents)-1] >= indent {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, indent)
		}
		depth := len(indents) + flow
		valueStart := flow == 0 && quote == 0
		for i := 0; i < len(body); i++ {
			c := body[i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
				continue
			case flow > 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case c == '#' && (i == 0 || body[i-1] == ' ' || body[i-1] == '\t'):
				i = len(body) // a comment
				continue
			case c == '[' || c == '{':
				if flow > 0 || valueStart {
					flow++
					depth++
				}
			case c == ']' || c == '}':
				if flow > 0 {
					flow--
					depth--
				}
			case flow == 0 && c == '-' && valueStart && (i+1 == len(body) || body[i+1] == ' '):
				depth++
			case flow == 0 && c == ':' && (i+1 == len(body) || body[i+1] == ' '):
				valueStart = true
				continue
			}
			if depth > MaxDepth {
				return n + 1, indent + i + 1, false
			}
			if c != ' ' && c != '-' && c != '[' && c != '{' {
				valueStart = false
			}
		}
		if flow == 0 && quote == 0 {
			if t := strings.TrimRight(stripComment(body), " \t"); t != "" && isBlockScalarHeader(t) {
				scalarIndent = indent
			}
		}
	}
	return 0, 0, true
}

// stripComment drops a trailing " # comment" (quotes are not considered:
// this is only used to find a block scalar's header).
func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}

// isBlockScalarHeader reports whether a line ends with a block scalar
// indicator: "|", ">", with optional chomping and indentation digits.
func isBlockScalarHeader(s string) bool {
	i := len(s)
	for i > 0 && strings.IndexByte("+-0123456789", s[i-1]) >= 0 {
		i--
	}
	if i == 0 || (s[i-1] != '|' && s[i-1] != '>') {
		return false
	}
	return i == 1 || s[i-2] == ' '
}
