package runbooks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// commonStepKeys are allowed in every step; each kind adds its own
// (kinds.go).
var commonStepKeys = []string{"id", "kind", "title", "owner", "expected", "on_failure", "idempotent"}

// castKeys are the keys of one entry of a copy step's casts.
var castKeys = []string{"column", "map"}

// stepIDRE is the shape of a step id.
var stepIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// sampleRE is the shape of an assess step's sample: rows or a percentage.
var sampleRE = regexp.MustCompile(`^([1-9][0-9]*|[0-9]+(\.[0-9]+)?%)$`)

// envNameRE is the shape of an environment variable name.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// stepRef remembers where a decoded step and its fields are, for the
// checks that span steps (validate.go). refs holds one per decoded step,
// steps first, then rollback.
type stepRef struct {
	pos    position            // the step itself
	at     map[string]position // each field's value
	castAt []position          // each cast's column
}

// first is the position of the first of keys present in the step, or the
// step's own.
func (r stepRef) first(keys ...string) position {
	for _, k := range keys {
		if p, ok := r.at[k]; ok {
			return p
		}
	}
	return r.pos
}

// steps decodes a list of steps (steps: or rollback:).
func (d *decoder) steps(f field) []Step {
	var out []Step
	for _, e := range d.list(f, f.name) {
		if st, ok := d.step(e); ok {
			out = append(out, st)
		}
	}
	return out
}

// step decodes one step, block or flow style.
func (d *decoder) step(e field) (Step, bool) {
	fs, ok := d.mapping(e, "step")
	if !ok {
		return Step{}, false
	}
	ref := stepRef{pos: e.start(), at: map[string]position{}}
	kv := map[string]field{}
	for _, f := range fs {
		kv[f.name] = f
		ref.at[f.name] = f.pos()
	}
	st := Step{OnFailure: OnFailureStop, Line: ref.pos.line, Col: ref.pos.col}

	label := "step"
	if f, ok := kv["id"]; ok {
		st.ID = d.str(f)
		if _, ok := scalarText(f.value); ok && !stepIDRE.MatchString(st.ID) {
			d.errorAt(f.pos(), "step id %q must match [a-z0-9][a-z0-9_-]* (lower case, digits, - and _)", st.ID)
		}
		label = fmt.Sprintf("step %q", st.ID)
	} else {
		d.errorAt(ref.pos, "step has no id")
	}
	if f, ok := kv["kind"]; ok {
		st.Kind = d.oneOf(f, Kinds()...)
	} else {
		d.errorAt(ref.pos, "%s has no kind (one of %s)", label, strings.Join(Kinds(), ", "))
	}

	spec, _ := kindByName(st.Kind) // the zero spec when the kind is missing or wrong
	allowed := append(slices.Clone(commonStepKeys), spec.keys...)
	for _, f := range fs {
		if slices.Contains(allowed, f.name) {
			d.stepField(&st, f, &ref)
			continue
		}
		if st.Kind == "" {
			if !isStepKey(f.name) {
				d.unknownKey(f, label, allowed)
			}
			continue // no kind to judge the field by
		}
		if isStepKey(f.name) {
			d.errorf(f.key, "%q does not belong to a %s step (allowed: %s)", f.name, st.Kind, strings.Join(allowed, ", "))
		} else {
			d.unknownKey(f, label, allowed)
		}
	}
	d.stepDefaults(&st, spec, kv, ref, label)
	d.refs = append(d.refs, ref)
	return st, true
}

// isStepKey reports whether key belongs to some kind of step.
func isStepKey(key string) bool {
	if slices.Contains(commonStepKeys, key) {
		return true
	}
	for _, k := range kindSpecs {
		if slices.Contains(k.keys, key) {
			return true
		}
	}
	return false
}

// stepField decodes one allowed field into st.
func (d *decoder) stepField(st *Step, f field, ref *stepRef) {
	switch f.name {
	case "id", "kind": // done by step
	case "title":
		st.Title = d.str(f)
	case "owner":
		st.Owner = d.nonEmpty(f)
	case "expected":
		st.Expected = d.duration(f)
	case "on_failure":
		st.OnFailure = d.oneOf(f, OnFailureStop, OnFailureRollback, OnFailureContinue)
	case "idempotent":
		st.Idempotent = d.boolean(f)
	case "instructions":
		st.Instructions = d.str(f)
	case "checklist":
		st.Checklist = d.strList(f)
	case "question":
		st.Question = d.nonEmpty(f)
	case "run":
		st.Run = d.nonEmpty(f)
	case "undo":
		st.Undo = d.nonEmpty(f)
	case "on":
		st.On = d.nonEmpty(f)
	case "from":
		st.From = d.nonEmpty(f)
	case "to":
		st.To = d.nonEmpty(f)
	case "tables":
		st.Tables, st.All = d.tables(f)
	case "batch":
		st.Batch = d.positive(f)
	case "parallel":
		st.Parallel = d.positive(f)
	case "create":
		st.Create = d.boolean(f)
	case "key":
		st.Key = d.strList(f)
		if len(st.Key) == 0 {
			d.errorAt(f.pos(), "key must list at least one column")
		}
	case "casts":
		st.Casts, ref.castAt = d.casts(f)
	case "of":
		st.Of = d.nonEmpty(f)
	case "method":
		st.Method = d.nonEmpty(f)
	case "snapshot":
		st.Snapshot = d.nonEmpty(f)
	case "measure_write":
		st.MeasureWrite = d.boolean(f)
	case "sample":
		st.Sample = d.nonEmpty(f)
		if st.Sample != "" && !sampleRE.MatchString(st.Sample) {
			d.errorAt(f.pos(), "sample must be a number of rows like 5000 or a percentage like 10%%, got %q", st.Sample)
		}
	case "copy":
		st.CopyRows = d.boolean(f)
	case "replication":
		st.Replication = d.nonEmpty(f)
	case "lag", "timeout":
		n := len(d.errs)
		v := d.duration(f)
		if len(d.errs) == n && v <= 0 {
			d.errorAt(f.pos(), "%s must be longer than zero", f.name)
		}
		if f.name == "lag" {
			st.Lag = v
		} else {
			st.Timeout = v
		}
	case "duration":
		n := len(d.errs)
		st.Duration = d.duration(f)
		if len(d.errs) == n && st.Duration == 0 {
			d.errorAt(f.pos(), "a wait needs a duration longer than zero")
		}
	}
}

// stepDefaults checks the fields the step's kind requires, fills in its
// defaults and runs its kind's checks.
func (d *decoder) stepDefaults(st *Step, spec kindSpec, kv map[string]field, ref stepRef, label string) {
	for _, r := range spec.requires {
		if !has(kv, r.key) {
			d.errorAt(ref.pos, "%s needs %s: %s", label, r.key, r.why)
		}
	}
	if spec.defaults != nil {
		spec.defaults(st, func(key string) bool { return has(kv, key) })
	}
	if spec.check != nil {
		spec.check(stepCheck{d: d, st: st, ref: ref, label: label})
	}
}

func has(kv map[string]field, key string) bool {
	_, ok := kv[key]
	return ok
}

// tables reads "tables:", a list of table names or the word all.
func (d *decoder) tables(f field) ([]string, bool) {
	if s, ok := scalarText(f.value); ok {
		if s == "all" {
			return nil, true
		}
		d.errorAt(f.pos(), "tables must be a list of table names or the word all, got %s", describe(f.value))
		return nil, false
	}
	list := d.strList(f)
	if _, isList := f.value.(*ast.SequenceNode); isList && len(list) == 0 {
		d.errorAt(f.pos(), "tables is empty: list the tables or write all")
	}
	return list, false
}

// casts reads a copy step's documented cast rules.
func (d *decoder) casts(f field) ([]Cast, []position) {
	var out []Cast
	var at []position
	for _, e := range d.list(f, "casts") {
		kv := d.fields(e, "cast", castKeys...)
		if kv == nil {
			continue
		}
		var c Cast
		p := e.pos()
		if v, ok := kv["column"]; ok {
			p = v.pos()
			s := d.nonEmpty(v)
			dot := strings.LastIndex(s, ".")
			if dot > 0 && dot < len(s)-1 {
				c.Table, c.Column = s[:dot], s[dot+1:]
			} else if s != "" {
				d.errorAt(v.pos(), "cast column must be table.column, got %q", s)
			}
		} else {
			d.errorAt(e.start(), "cast needs column: the table.column it applies to")
		}
		if v, ok := kv["map"]; ok {
			c.Map = d.castMap(v)
		} else {
			d.errorAt(e.start(), "cast needs map: source value → new value (null for NULL)")
		}
		out = append(out, c)
		at = append(at, p)
	}
	return out, at
}

// castMap reads a cast's value map; a YAML null maps to a nil *string.
func (d *decoder) castMap(f field) map[string]*string {
	entries, ok := d.mapping(f, "cast map")
	if !ok {
		return nil
	}
	if len(entries) == 0 {
		d.errorAt(f.pos(), "cast map is empty")
	}
	m := make(map[string]*string, len(entries))
	for _, e := range entries {
		if _, null := e.value.(*ast.NullNode); null {
			m[e.name] = nil
			continue
		}
		s, ok := scalarText(e.value)
		if !ok {
			d.errorAt(e.pos(), "cast map values must be strings or null, got %s", describe(e.value))
			continue
		}
		m[e.name] = &s
	}
	return m
}
