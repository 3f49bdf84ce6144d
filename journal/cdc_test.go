package journal

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCDCChangesKeptVerbatim: captured row values that merely look like
// passwords are data and are spooled whole (the change is applied from the
// journal); one holding a registered secret's exact value is refused, never
// stored altered.
func TestCDCChangesKeptVerbatim(t *testing.T) {
	t.Parallel()
	const secret = "Tr0ub4dor-and-3-horses"
	s, err := Create(filepath.Join(t.TempDir(), "c.journal"), RunStartedPayload{Operator: "alice"}, "alice",
		WithSecrets("postgres://app:"+secret+"@db/shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	str := func(v string) *string { return &v }
	in := CDCChangesPayload{Stream: "s", Position: "0/16B3748", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Changes: []CDCChange{{Op: "insert", Table: "t", Columns: []string{"id", "dsn", "note", "empty"},
			New: []*string{str("1"), str("root:hunter22@tcp(h:3306)/db"), str("password=letmein"), nil}}}}
	ev, err := s.Append(context.Background(), "cdc", "c", CDCChanges, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("spooled %+v\ngot back %+v", in, got)
	}
	in.Changes[0].New[2] = str("x " + secret + " y")
	if _, err = s.Append(context.Background(), "cdc", "c", CDCChanges, in); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("a secret's exact value in captured data: append = %v, want a refusal", err)
	}
}
