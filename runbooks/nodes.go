package runbooks

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// position is a place in the runbook text: 1-based line and column
// (characters) and the width to underline.
type position struct{ line, col, width int }

// decoder walks the YAML nodes of one runbook and collects every error.
type decoder struct {
	file  string
	lines []string
	errs  ErrorList
	refs  []stepRef // one per decoded step, steps first, then rollback
}

func newDecoder(file string, text []byte) *decoder {
	s := strings.ReplaceAll(string(text), "\r\n", "\n")
	return &decoder{file: file, lines: strings.Split(s, "\n")}
}

// errorAt records an error at p.
func (d *decoder) errorAt(p position, format string, args ...any) {
	if p.line < 1 {
		p.line, p.col = 1, 1
	}
	if p.col < 1 {
		p.col = 1
	}
	src := ""
	if p.line <= len(d.lines) {
		src = d.lines[p.line-1]
	}
	d.errs = append(d.errs, Error{
		File: d.file, Line: p.line, Col: p.col, Width: p.width,
		Msg: fmt.Sprintf(format, args...), Source: src,
	})
}

// errorf records an error at the position of node n.
func (d *decoder) errorf(n ast.Node, format string, args ...any) {
	d.errorAt(posOf(n), format, args...)
}

// posOf returns where node n starts. A block mapping starts at its first
// key, a flow one at its brace.
func posOf(n ast.Node) position {
	if n == nil {
		return position{}
	}
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return posOf(m.Values[0].Key)
	}
	if m, ok := n.(*ast.MappingValueNode); ok && m.Key != nil {
		return posOf(m.Key)
	}
	return tokenPos(n.GetToken())
}

func tokenPos(tk *token.Token) position {
	if tk == nil || tk.Position == nil {
		return position{}
	}
	w := 1
	if o := strings.TrimSpace(tk.Origin); o != "" && !strings.Contains(o, "\n") {
		w = utf8.RuneCountInString(o)
	}
	return position{line: tk.Position.Line, col: tk.Position.Column, width: w}
}

// unwrap removes anchors, tags and explicit-key markers, which change
// nothing in a runbook. An alias is reported and treated as missing: a
// runbook is read by people under pressure, so every value is written out
// where it applies.
func (d *decoder) unwrap(n ast.Node) ast.Node {
	for n != nil {
		switch v := n.(type) {
		case *ast.AnchorNode:
			if v.Value == nil {
				return ast.Null(v.GetToken())
			}
			n = v.Value
		case *ast.TagNode:
			if v.Value == nil {
				return ast.Null(v.GetToken())
			}
			n = v.Value
		case *ast.MappingKeyNode: // "? key", the explicit form of a key
			if v.Value == nil {
				return ast.Null(v.GetToken())
			}
			n = v.Value
		case *ast.AliasNode:
			d.errorf(v, "aliases are not supported in a runbook: write the value out")
			return nil
		default:
			return n
		}
	}
	return nil
}

// field is one key: value pair of a mapping.
type field struct {
	name  string
	key   ast.Node
	value ast.Node // unwrapped, never nil
}

// start is where the field's value starts, underlining one character: the
// place for "missing ..." messages about a mapping.
func (f field) start() position {
	p := f.pos()
	p.width = 1
	return p
}

// pos is where the field's value is, or its key when the value is empty.
func (f field) pos() position {
	if f.value != nil {
		if _, null := f.value.(*ast.NullNode); !null {
			return posOf(f.value)
		}
	}
	return posOf(f.key)
}

// mapping returns the pairs of the mapping in f's value, in order. Keys
// must be scalars and unique; what names the mapping in messages.
func (d *decoder) mapping(f field, what string) ([]field, bool) {
	if f.value == nil {
		return nil, false // an alias, already reported
	}
	m, ok := f.value.(*ast.MappingNode)
	if !ok {
		d.errorAt(f.pos(), "%s must be a mapping, got %s", what, describe(f.value))
		return nil, false
	}
	var fs []field
	seen := map[string]position{}
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		key := d.unwrap(mv.Key)
		name, ok := scalarText(key)
		if !ok {
			if key != nil {
				d.errorf(mv.Key, "keys in %s must be plain names, got %s", what, describe(key))
			}
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorf(mv.Key, "duplicate key %q in %s (first at line %d)", name, what, first.line)
			continue
		}
		seen[name] = posOf(mv.Key)
		value := d.unwrap(mv.Value)
		if value == nil {
			continue // an alias, already reported
		}
		fs = append(fs, field{name: name, key: mv.Key, value: value})
	}
	return fs, true
}

// fields is mapping plus a check that every key is one of allowed; the
// result is indexed by key, and nil when f is not a mapping.
func (d *decoder) fields(f field, what string, allowed ...string) map[string]field {
	fs, ok := d.mapping(f, what)
	if !ok {
		return nil
	}
	out := make(map[string]field, len(fs))
	for _, f := range fs {
		if !slices.Contains(allowed, f.name) {
			d.unknownKey(f, what, allowed)
			continue
		}
		out[f.name] = f
	}
	return out
}

// list returns the entries of the list in f's value as fields named what.
func (d *decoder) list(f field, what string) []field {
	if f.value == nil {
		return nil
	}
	seq, ok := f.value.(*ast.SequenceNode)
	if !ok {
		d.errorAt(f.pos(), "%s must be a list, got %s", what, describe(f.value))
		return nil
	}
	out := make([]field, 0, len(seq.Values))
	for _, n := range seq.Values {
		if v := d.unwrap(n); v != nil {
			out = append(out, field{name: what, key: n, value: v})
		}
	}
	return out
}

// secretKeys look like an attempt to write a credential into the runbook.
var secretKeys = []string{"dsn", "password", "passwd", "pwd", "secret", "token", "api_key", "apikey"}

// unknownKey reports a key that is not allowed where it appears.
func (d *decoder) unknownKey(f field, what string, allowed []string) {
	if slices.Contains(secretKeys, strings.ToLower(f.name)) {
		d.errorf(f.key, "%q in %s: secrets never live in a runbook; keep them in the environment (a connection names the variable holding its DSN with dsn_env)", f.name, what)
		return
	}
	hint := ""
	if s := closest(f.name, allowed); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	d.errorf(f.key, "unknown key %q in %s%s (allowed: %s)", f.name, what, hint, strings.Join(allowed, ", "))
}

// scalarText is the text of a scalar node as written (quotes removed), and
// false for null, mappings, lists and missing nodes.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// describe names the kind of node n for messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil:
		return "nothing"
	case *ast.NullNode:
		return "no value"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode, *ast.BoolNode:
		s, _ := scalarText(v)
		return s
	case *ast.StringNode, *ast.LiteralNode:
		s, _ := scalarText(v)
		if r := []rune(s); len(r) > 40 {
			s = string(r[:37]) + "..."
		}
		return fmt.Sprintf("the string %q", s)
	}
	return "a " + strings.ToLower(n.Type().String())
}

// closest returns the entry of allowed within two edits of s, or "".
func closest(s string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(s, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
