package journal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// declaredTypes are the event types declared as constants of type Type in
// the package's (non-test) sources.
func declaredTypes(t *testing.T) map[Type]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[Type]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Type" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: %s is not a string literal", name, n.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[Type(v)] = n.Name
				}
			}
		}
	}
	return out
}

// TestEveryTypeRegistered checks that every declared event type has its
// payload struct registered in payloadOf, and nothing else is.
func TestEveryTypeRegistered(t *testing.T) {
	declared := declaredTypes(t)
	if len(declared) < 20 {
		t.Fatalf("found only %d event types in the sources: %v", len(declared), declared)
	}
	for typ, name := range declared {
		if _, ok := payloadOf[typ]; !ok {
			t.Errorf("%s (%q) has no payload registered: add its line to payloadOf in payloads.go", name, typ)
		}
	}
	for typ := range payloadOf {
		if _, ok := declared[typ]; !ok {
			t.Errorf("payloadOf registers %q, which is not a declared event type", typ)
		}
	}
}

// fill sets every field of v (recursively) to a value that is not zero, so
// a round trip shows every field survives.
func fill(t *testing.T, v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("v-" + name)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(7 + len(name)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5 + float64(len(name)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Interface:
		v.Set(reflect.ValueOf("any-" + name)) // a string decodes back as itself
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), name)
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), name)
		v.Set(p)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, name+"-key")
		fill(t, e, name)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC)))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s: a payload field that is not exported is never written", v.Type(), f.Name)
			}
			fill(t, v.Field(i), f.Name)
		}
	default:
		t.Fatalf("%s: fill does not know kind %s", name, v.Kind())
	}
}

// TestPayloadsRoundTrip writes one event of every registered type, every
// field set, through a real store (canonical JSON, redaction, SQLite) and
// checks that Decode gives back the same value of the registered struct.
func TestPayloadsRoundTrip(t *testing.T) {
	want := map[Type]any{}
	for typ, spec := range payloadOf {
		zero, err := spec.decode([]byte(`{}`))
		if err != nil {
			t.Fatalf("%s: decode {}: %v", typ, err)
		}
		rt := reflect.TypeOf(zero)
		if rt.Kind() != reflect.Struct {
			t.Fatalf("%s decodes to %s: payloads are struct values, not pointers", typ, rt)
		}
		v := reflect.New(rt).Elem()
		fill(t, v, string(typ))
		want[typ] = v.Interface()
	}

	path := filepath.Join(t.TempDir(), "run.journal")
	first := want[RunStarted].(RunStartedPayload)
	sum := sha256.Sum256([]byte(first.RunbookText))
	first.RunbookSHA256 = hex.EncodeToString(sum[:]) // Create checks it
	key := []byte("0123456789abcdef-round-trip")
	first.Chain, first.KeyID = ChainHMAC, KeyID(key) // Create sets them from the key
	want[RunStarted] = first
	s, err := Create(path, first, "alice", WithClock(testClock()), WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	for typ, p := range want {
		if typ == RunStarted {
			continue
		}
		if _, err := s.Append(context.Background(), "alice", "step", typ, p); err != nil {
			t.Fatalf("append %s: %v", typ, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	events, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(want) {
		t.Fatalf("read %d events, wrote %d", len(events), len(want))
	}
	for _, e := range events {
		got, err := Decode(e)
		if err != nil {
			t.Errorf("%s: %v", e.Type, err)
			continue
		}
		if !reflect.DeepEqual(got, want[e.Type]) {
			t.Errorf("%s round trip:\n got %#v\nwant %#v", e.Type, got, want[e.Type])
		}
	}
}

// TestDecodeErrors checks that a payload that does not fit its struct is an
// error naming the seq and type, and that an unknown type is not an error.
func TestDecodeErrors(t *testing.T) {
	bad := Event{Seq: 42, Type: TriggerFired, Payload: []byte(`{"trigger":"reject_rate","observed":"lots"}`)}
	p, err := Decode(bad)
	if p != nil || err == nil {
		t.Fatalf("Decode(bad) = %#v, %v; want nil and an error", p, err)
	}
	var pe *PayloadError
	if !errors.As(err, &pe) || pe.Seq != 42 || pe.Type != TriggerFired {
		t.Fatalf("error %T %v is not a *PayloadError for seq 42", err, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "seq 42: trigger payload: ") || !strings.Contains(msg, "observed") {
		t.Errorf("error = %q", msg)
	}
	if p, err := Decode(Event{Seq: 3, Type: Note, Payload: []byte(`not json`)}); p != nil || err == nil {
		t.Errorf("Decode(not json) = %#v, %v", p, err)
	}

	p, err = Decode(Event{Seq: 7, Type: "from_the_future", Payload: []byte(`{"x":1}`)})
	if p != nil || err != nil {
		t.Errorf("unknown type: Decode = %#v, %v; want nil, nil", p, err)
	}

	// Fields a newer writer added are ignored.
	p, err = Decode(Event{Seq: 8, Type: Note, Payload: []byte(`{"text":"hi","mood":"calm"}`)})
	if n, ok := p.(NotePayload); err != nil || !ok || n.Text != "hi" {
		t.Errorf("extra field: Decode = %#v, %v", p, err)
	}
}
