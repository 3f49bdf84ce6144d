package tui

import (
	"reflect"

	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

// displayState returns s with every string made harmless to draw
// (safetext.Text: control characters escaped, newlines and tabs kept):
// step titles, log lines, errors, questions, notes — anything a runbook, a
// command or a server wrote. It copies only what it changes; a state with
// nothing to escape is returned as it is. It is applied once, where
// snapshots enter the console, so no pane can forget it.
func displayState(s journal.State) journal.State { return display(s) }

// display is displayState for any value the console draws (the liveness
// of a watched run carries the lease holder's host and operator).
func display[T any](x T) T {
	v, changed := cleanValue(reflect.ValueOf(&x).Elem())
	if !changed {
		return x
	}
	return v.Interface().(T)
}

// cleanValue walks v and returns a copy with escaped strings and true, or
// v itself and false when nothing needed escaping. Unexported fields are
// kept as they are.
func cleanValue(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if c := safetext.Text(s); c != s {
			return reflect.ValueOf(c).Convert(v.Type()), true
		}
	case reflect.Pointer:
		if v.IsNil() {
			break
		}
		if e, ok := cleanValue(v.Elem()); ok {
			p := reflect.New(e.Type())
			p.Elem().Set(e)
			return p, true
		}
	case reflect.Interface:
		if v.IsNil() {
			break
		}
		if e, ok := cleanValue(v.Elem()); ok {
			out := reflect.New(v.Type()).Elem()
			out.Set(e)
			return out, true
		}
	case reflect.Struct:
		var out reflect.Value
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if f, ok := cleanValue(v.Field(i)); ok {
				if !out.IsValid() {
					out = reflect.New(t).Elem()
					out.Set(v)
				}
				out.Field(i).Set(f)
			}
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Slice, reflect.Array:
		var out reflect.Value
		for i := range v.Len() {
			if e, ok := cleanValue(v.Index(i)); ok {
				if !out.IsValid() {
					if v.Kind() == reflect.Slice {
						out = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
						reflect.Copy(out, v)
					} else {
						out = reflect.New(v.Type()).Elem()
						out.Set(v)
					}
				}
				out.Index(i).Set(e)
			}
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Map:
		if v.IsNil() {
			break
		}
		changed := false
		for it := v.MapRange(); it.Next() && !changed; {
			_, kc := cleanValue(it.Key())
			_, ec := cleanValue(it.Value())
			changed = kc || ec
		}
		if !changed {
			break
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k, _ := cleanValue(it.Key())
			e, _ := cleanValue(it.Value())
			out.SetMapIndex(k, e)
		}
		return out, true
	}
	return v, false
}
