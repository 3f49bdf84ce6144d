package assess

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// writeJournal writes a journal of migration mig holding the events
// given after its run_started, and returns its path.
func writeJournal(t *testing.T, dir, name, mig string, drafts []journal.Draft) string {
	t.Helper()
	path := filepath.Join(dir, name)
	text := "version: 1\nname: h\nmigration_id: " + mig + "\ndecision_maker: a\nobjectives: { rto: 1m, rpo: 0s, expected: 1m, window: 1h }\nconnections:\n  s: { driver: sqlite, path: s.db }\nsteps:\n  - { id: x, kind: shell, run: \"true\" }\n"
	s, err := journal.Create(path, journal.RunStartedPayload{RunbookText: text, RunbookPath: filepath.Join(dir, "h.yaml"), Operator: "a", Mode: "live"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(drafts) > 0 {
		if _, err := s.AppendBatch(context.Background(), drafts); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestHistoryReadsEachJournalOnce: the journals beside a runbook are read
// once for the whole assessment — not once a table and a snapshot, each
// loaded whole into memory (a run journal may hold millions of events) —
// and what they say is what each table and connection finds in them.
func TestHistoryReadsEachJournalOnce(t *testing.T) {
	dir := t.TempDir()
	var noise []journal.Draft
	for i := range 3000 {
		noise = append(noise, journal.Draft{Actor: "engine", StepID: "copy", Type: journal.Progress, Payload: journal.ProgressPayload{Table: "t", Read: int64(i)}})
	}
	copied := func(table string, rows, ms int64) journal.Draft {
		return journal.Draft{Actor: "engine", StepID: "copy", Type: journal.TableCopied, Payload: journal.ProgressPayload{Table: table, Written: rows, ElapsedMS: ms}}
	}
	other := writeJournal(t, dir, "other.journal", "MIG-OTHER", append(noise, copied("t0", 1000, 1000)))
	mine := writeJournal(t, dir, "mine.journal", "MIG-MINE", append(noise,
		copied("t0", 1000, 1000), copied("t1", 4000, 1000),
		journal.Draft{Actor: "engine", StepID: "restore", Type: journal.RestoreFinished, Payload: journal.RestorePayload{Connection: "s", Verified: true, DurationMS: 2000, Tables: []journal.TableSnapshot{{Table: "t0", Rows: 500}}}}))
	h := &history{paths: []string{other, mine, filepath.Join(dir, "missing.journal")}, mig: "MIG-MINE"}
	ctx := context.Background()
	for i := range 20 { // an assessment of 20 tables
		table := []string{"t0", "t1"}[i%2]
		want := []float64{1000, 4000}[i%2]
		c, ok := lastCopy(h.events(ctx), "copy", table)
		if !ok || c.rate != want || c.journal != mine {
			t.Fatalf("last copy of %s: %+v %v, want %.0f rows/s from %s", table, c, ok, want, mine)
		}
	}
	rs := restoresOf(h.events(ctx), "s")
	if len(rs) != 1 || rs[0].rows != 500 || rs[0].took != 2*time.Second {
		t.Fatalf("restores: %+v", rs)
	}
	if h.reads != 3 {
		t.Fatalf("%d journal reads for 3 journals and 21 questions: each must be read once", h.reads)
	}
	if n := len(h.events(ctx)); n != 3 {
		t.Fatalf("the history keeps %d events, want the 3 copies and restores of the migration (no progress, nothing of another migration)", n)
	}
}
