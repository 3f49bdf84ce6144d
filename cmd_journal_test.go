package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/journal/journalgen"
)

// genJournal writes a small generated run: 20 steps, 2 tables, 300
// reject rows, 2,000 events.
func genJournal(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.journal")
	if _, err := journalgen.Generate(context.Background(), path, journalgen.Spec{Events: 2000, Steps: 20, Tables: 2, Rejects: 300}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJournalStatePrintsTheFold(t *testing.T) {
	t.Parallel()
	j := genJournal(t)
	out, code := tightrope(t, nil, "journal", "state", j)
	if code != 0 {
		t.Fatalf("journal state exit %d: %s", code, out)
	}
	s, err := journal.FoldFile(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"events:   2000,", "outcome:  finished", "steps:    20 of 21 done", "tables:   2,", "300 rejected"} {
		if !strings.Contains(out, want) {
			t.Errorf("journal state does not say %q:\n%s", want, out)
		}
	}
	if s.LastSeq != 2000 || len(s.Steps) != 21 {
		t.Errorf("FoldFile: last seq %d, %d steps", s.LastSeq, len(s.Steps))
	}
}

// The rejects export streams; its output is byte for byte what the
// whole-slice writers give.
func TestRejectsExportStreamsTheSameBytes(t *testing.T) {
	t.Parallel()
	j := genJournal(t)
	recs, err := journal.ReadRejects(j)
	if err != nil || len(recs) != 300 {
		t.Fatalf("ReadRejects: %d rows, %v", len(recs), err)
	}
	for format, write := range map[string]func(*bytes.Buffer) error{
		"csv":  func(b *bytes.Buffer) error { return journal.WriteRejectsCSV(b, recs) },
		"json": func(b *bytes.Buffer) error { return journal.WriteRejectsJSON(b, recs) },
	} {
		var want bytes.Buffer
		if err := write(&want); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary, "rejects", "--format", format, j)
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("rejects --format %s: %v", format, err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("rejects --format %s streamed %d bytes, the slice writer gives %d", format, len(got), want.Len())
		}
	}
}

// On a terminal the CSV goes through safetext a line at a time: the same
// text as escaping it whole, however the writes split it.
func TestSafeLinesEscapesLikeTheWholeText(t *testing.T) {
	t.Parallel()
	text := "id,row\n1,\"{\"\"a\"\":\"\"\x1b[31mred\"\"}\"\n2,\"two\nlines é\"\n"
	for size := 1; size <= len(text); size++ {
		var out bytes.Buffer
		w := &safeLines{w: &out}
		for i := 0; i < len(text); i += size {
			if _, err := w.Write([]byte(text[i:min(i+size, len(text))])); err != nil {
				t.Fatal(err)
			}
		}
		if want := safetext.Text(text); out.String() != want {
			t.Fatalf("writes of %d bytes: %q, want %q", size, out.String(), want)
		}
	}
}
