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

// journal state names each change stream with its spooled and applied
// positions and how far the target is behind.
func TestJournalStateNamesChangeStreams(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cdc.journal")
	store, err := journal.Create(path, journal.RunStartedPayload{Operator: "alice", Mode: journal.ModeLive, ToolVersion: "test",
		RunbookText: "version: 1\nname: CDC\n"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	appendOr := func(typ journal.Type, p any) {
		t.Helper()
		if _, err := store.Append(ctx, "tightrope", "capture", typ, p); err != nil {
			t.Fatal(err)
		}
	}
	appendOr(journal.CDCStreamStarted, journal.CDCStreamPayload{Stream: "mig_orders", Source: "source", Engine: "postgres", Tables: []string{"orders"}, Start: "0/100"})
	for i, pos := range []string{"0/200", "0/300", "0/400"} {
		one := "1"
		appendOr(journal.CDCChanges, journal.CDCChangesPayload{Stream: "mig_orders", Position: pos, XID: int64(700 + i),
			Changes: []journal.CDCChange{{Op: "insert", Table: "orders", Columns: []string{"id"}, New: []*string{&one}}}})
	}
	appendOr(journal.CDCApplied, journal.CDCAppliedPayload{Stream: "mig_orders", Target: "target", Seq: 3, Position: "0/200", Txs: 1, Changes: 1})
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	out, code := tightrope(t, nil, "journal", "state", path)
	if code != 0 {
		t.Fatalf("journal state exit %d: %s", code, out)
	}
	want := "stream:   mig_orders (postgres), 3 txs spooled to 0/400, 1 applied to 0/200, 2 behind"
	if !strings.Contains(out, want) {
		t.Errorf("journal state does not say %q:\n%s", want, out)
	}
}
