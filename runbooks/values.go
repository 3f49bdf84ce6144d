package runbooks

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// The typed readers below report a wrong value at the value itself and
// return the zero value, so decoding carries on and finds further errors.

// str reads a string. Numbers and booleans are taken as written, so
// `migration_id: 42` is the string "42"; a missing value, a list or a
// mapping is an error.
func (d *decoder) str(f field) string {
	s, ok := scalarText(f.value)
	if !ok {
		d.errorAt(f.pos(), "%s must be a string, got %s", f.name, describe(f.value))
	}
	return s
}

// nonEmpty reads a string that must not be blank.
func (d *decoder) nonEmpty(f field) string {
	s, ok := scalarText(f.value)
	switch {
	case !ok:
		d.errorAt(f.pos(), "%s must be a string, got %s", f.name, describe(f.value))
	case strings.TrimSpace(s) == "":
		d.errorAt(f.pos(), "%s must not be empty", f.name)
	}
	return s
}

// oneOf reads a string that must be one of choices.
func (d *decoder) oneOf(f field, choices ...string) string {
	s, ok := scalarText(f.value)
	if !ok || !slices.Contains(choices, s) {
		d.errorAt(f.pos(), "%s must be one of %s, got %s", f.name, strings.Join(choices, " | "), describe(f.value))
		return ""
	}
	return s
}

// integer reads a whole number.
func (d *decoder) integer(f field) (int64, bool) {
	n, ok := f.value.(*ast.IntegerNode)
	if !ok {
		d.errorAt(f.pos(), "%s must be a whole number, got %s", f.name, describe(f.value))
		return 0, false
	}
	switch v := n.Value.(type) {
	case int64:
		return v, true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	}
	d.errorAt(f.pos(), "%s is too large", f.name)
	return 0, false
}

// positive reads a whole number greater than zero that fits an int.
func (d *decoder) positive(f field) int {
	v, ok := d.integer(f)
	if !ok {
		return 0
	}
	if v < 1 || v > math.MaxInt32 {
		d.errorAt(f.pos(), "%s must be a whole number from 1 to %d, got %d", f.name, math.MaxInt32, v)
		return 0
	}
	return int(v)
}

// boolean reads true or false.
func (d *decoder) boolean(f field) bool {
	b, ok := f.value.(*ast.BoolNode)
	if !ok {
		d.errorAt(f.pos(), "%s must be true or false, got %s", f.name, describe(f.value))
		return false
	}
	return b.Value
}

// duration reads a Go duration such as 30m, 1h30m or 0s.
func (d *decoder) duration(f field) time.Duration {
	s, ok := scalarText(f.value)
	if !ok {
		d.errorAt(f.pos(), "%s must be a duration like 30m or 1h30m, got %s", f.name, describe(f.value))
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errorAt(f.pos(), "%s: invalid duration %q (write Go durations like 45s, 30m, 1h30m)", f.name, s)
		return 0
	}
	return v
}

// percentNumber is the number in front of the % sign: no sign, no exponent.
var percentNumber = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// percent reads a percentage such as 0.1% or 150% as a fraction (0.001,
// 1.5). The number is parsed with its exponent shifted, so 0.1% is exactly
// the float64 nearest to 0.001.
func (d *decoder) percent(f field) float64 {
	s, ok := scalarText(f.value)
	num, hasPct := strings.CutSuffix(s, "%")
	if !ok || !hasPct || !percentNumber.MatchString(num) {
		d.errorAt(f.pos(), "%s must be a percentage like 0.1%% or 150%%, got %s", f.name, describe(f.value))
		return 0
	}
	v, err := strconv.ParseFloat(num+"e-2", 64)
	if err != nil || math.IsInf(v, 0) {
		d.errorAt(f.pos(), "%s: invalid percentage %q", f.name, s)
		return 0
	}
	return v
}

// strList reads a list of strings.
func (d *decoder) strList(f field) []string {
	seq, ok := f.value.(*ast.SequenceNode)
	if !ok {
		d.errorAt(f.pos(), "%s must be a list, got %s", f.name, describe(f.value))
		return nil
	}
	out := make([]string, 0, len(seq.Values))
	for _, n := range seq.Values {
		n = d.unwrap(n)
		s, ok := scalarText(n)
		if !ok {
			if n != nil {
				d.errorf(n, "entries of %s must be strings, got %s", f.name, describe(n))
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
