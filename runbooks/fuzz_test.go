package runbooks

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that every failure
// is an ErrorList of placed, sorted errors. The seeds below and the corpus
// in testdata/fuzz/FuzzParse run with a plain go test.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"",
		"version: 1\n",
		hdr + gate,
		hdr + "  - { id: a, kind: copy, tables: [t], casts: [{ column: t.c, map: { x: null } }] }\n",
		hdr + gate + "rollback:\n  - { id: a, kind: restore, snapshot: a }\n",
		"steps: [*x]\n",
		"a: &x [*x]\n",
		"steps:\n  - ? [a]\n    : b\n",
		"<<: { version: 1 }\n",
		"version: !!binary 1\n",
		"%YAML 1.2\n---\nversion: 1\n...\n",
		"version: 1\n\tname: x\n",
		"name: \"\\xff\"\n",
		"triggers: { reject_rate: 99999999999999999999999999%, verify_mismatch: 18446744073709551615 }\n",
		"steps: [{ id: w, kind: wait, duration: 9999999999h }]\n",
		"- - - -\n",
		"{ : }\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		rb, err := Parse("fuzz.yaml", text)
		if err == nil {
			if rb == nil || !bytes.Equal(rb.Text, text) || rb.Path != "fuzz.yaml" {
				t.Fatalf("success without the runbook and its text: %+v", rb)
			}
			for _, st := range append(append([]Step(nil), rb.Steps...), rb.Rollback...) {
				if st.Line < 1 || st.Col < 1 {
					t.Errorf("step %q at %d:%d", st.ID, st.Line, st.Col)
				}
			}
			_ = Lint(rb)
			return
		}
		var list ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("error is %T, want ErrorList: %v", err, err)
		}
		if len(list) == 0 {
			t.Fatal("empty ErrorList returned as an error")
		}
		for i, e := range list {
			if e.Line < 1 || e.Col < 1 {
				t.Errorf("error at %d:%d: %s", e.Line, e.Col, e.Msg)
			}
			if i > 0 && (e.Line < list[i-1].Line || e.Line == list[i-1].Line && e.Col < list[i-1].Col) {
				t.Errorf("errors out of order: %v before %v", list[i-1], e)
			}
		}
		if !strings.HasPrefix(list.Error(), "fuzz.yaml:") {
			t.Errorf("Error() = %q", list.Error())
		}
	})
}
