package report

import (
	"reflect"

	"github.com/tightrope/tightrope/journal"
)

// finish runs every string of the report through journal.RedactText, so
// nothing shaped like a DSN password leaves in a report even if it reached
// the journal (a journal written by an older build, or by hand), and makes
// every nil list empty, so JSON says [] rather than null. Walking the whole
// value, it cannot miss a field added later.
func finish(r *Report) { finishValue(reflect.ValueOf(r).Elem()) }

func finishValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(journal.RedactText(v.String(), nil))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			finishValue(v.Elem())
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			e := reflect.New(v.Elem().Type()).Elem()
			e.Set(v.Elem())
			finishValue(e)
			v.Set(e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				finishValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		for i := range v.Len() {
			finishValue(v.Index(i))
		}
	case reflect.Map:
		// The report holds no maps; a map added later must not slip by.
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			finishValue(e)
			v.SetMapIndex(k, e)
		}
	}
}
