package cdc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/tightrope/tightrope/journal"
)

// TestPGCaptureApplyRestart: the bulk copy reads the slot's exported
// snapshot while a writer changes the source; the stream captures every
// change after it, a restart mid-stream resumes from the journal, and after
// apply the target equals the source exactly — no transaction spooled or
// applied twice, none lost.
func TestPGCaptureApplyRestart(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	wr := newWriter(t, w.source, 1, nil)
	wr.seed(t, 40)

	snap, started, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Name == "" || started.SystemID == "" || started.Timeline == 0 || started.Start != snap.ConsistentPoint {
		t.Fatalf("stream started without its evidence: %+v, snapshot %+v", started, snap)
	}
	before := wr.txs
	for range 30 { // changes after the slot: the stream's, not the snapshot's
		wr.step(t)
	}
	if n := copyFromSnapshot(t, w, snap.Name); n != 40 {
		t.Fatalf("the snapshot holds %d rows, want the 40 there when the slot was made", n)
	}
	if err := snap.Release(ctx); err != nil {
		t.Fatal(err)
	}

	stop := runCapture(w.capture())
	wait := wr.steps(80)
	waitSpooled(t, w, 45, true) // part of the writer's work is in: stop mid-stream
	if err := stop(); err != nil {
		t.Fatalf("capture: %v", err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	applier := &PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}
	first, err := applier.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 60 { // written while nothing captures
		wr.step(t)
	}
	stop = runCapture(w.capture())
	for range 40 {
		wr.step(t)
	}
	sp := waitSpooled(t, w, int64(wr.txs-before), false)
	time.Sleep(300 * time.Millisecond) // anything doubled would arrive now
	if err := stop(); err != nil {
		t.Fatalf("capture after restart: %v", err)
	}
	if sp2, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream); sp2.Count != sp.Count {
		t.Fatalf("journal holds %d transactions after the wait, %d before: a transaction was spooled twice", sp2.Count, sp.Count)
	}
	second, err := applier.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first+second != wr.txs-before {
		t.Fatalf("applied %d + %d transactions, the writer committed %d after the snapshot", first, second, wr.txs-before)
	}
	if again, err := applier.Apply(ctx); err != nil || again != 0 {
		t.Fatalf("applying again applied %d (err %v): the target's position should make it a no-op", again, err)
	}
	checkStrictlyIncreasing(t, w)
	src, dst := rowsOf(t, w.source), rowsOf(t, w.target)
	if !slices.Equal(src, dst) {
		t.Fatalf("target differs from source: %d rows vs %d\n%s", len(dst), len(src), firstDiff(src, dst))
	}
	at, err := applier.Position(ctx)
	if err != nil || at.Seq != sp.LastSeq || at.Position != sp.Last {
		t.Fatalf("target position %+v (err %v), journal's last %d at %s", at, err, sp.LastSeq, sp.Last)
	}
	// The slot confirms exactly what the journal holds.
	var confirmed string
	if err := pgConnect(t, w.source).QueryRow(ctx, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", w.stream).Scan(&confirmed); err != nil {
		t.Fatal(err)
	}
	if c, _ := pglogrepl.ParseLSN(confirmed); c.String() != sp.Last {
		t.Fatalf("slot confirmed %s, journal holds up to %s", confirmed, sp.Last)
	}
}

// checkStrictlyIncreasing: the spooled positions rise strictly (no
// transaction twice, in source order).
func checkStrictlyIncreasing(t *testing.T, w *pgWorld) {
	t.Helper()
	var last pglogrepl.LSN
	n := 0
	err := journal.ScanDecoded(context.Background(), w.journal.Path(), func(e journal.Event, p any, err error) error {
		if err != nil || e.Type != journal.CDCChanges {
			return err
		}
		pos, err := pglogrepl.ParseLSN(p.(journal.CDCChangesPayload).Position)
		if err != nil {
			return err
		}
		if pos <= last {
			t.Errorf("seq %d: position %s after %s", e.Seq, pos, last)
		}
		last = pos
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("scan: %v (%d transactions)", err, n)
	}
}

func firstDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return "source: " + trim(x) + "\ntarget: " + trim(y)
		}
	}
	return ""
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestPGPositionLostSlotDropped: a dropped slot is evidence, not a fresh
// start.
func TestPGPositionLostSlotDropped(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	pgExec(t, w.source, "SELECT pg_drop_replication_slot('"+w.stream+"')")
	err = w.capture().Run(ctx)
	var lost *PositionLostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Run = %v, want a position lost error naming the missing slot", err)
	}
}

// TestPGPositionLostConfirmedPastJournal: a slot advanced past what the
// journal spooled means changes were acknowledged and never captured.
func TestPGPositionLostConfirmedPastJournal(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	wr := newWriter(t, w.source, 1, nil)
	wr.seed(t, 3)
	pgExec(t, w.source, "SELECT pg_switch_wal()", "CHECKPOINT")
	wr.seed(t, 3)
	pgExec(t, w.source, "SELECT pg_replication_slot_advance('"+w.stream+"', pg_current_wal_lsn())")
	err = w.capture().Run(ctx)
	var lost *PositionLostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "never spooled") {
		t.Fatalf("Run = %v, want a position lost error naming the confirmed position", err)
	}
	// The advance moved the slot's restart_lsn past the journal too: the
	// WAL between is not kept for it any more.
	if !strings.Contains(err.Error(), "keeps WAL only from restart_lsn") {
		t.Fatalf("Run = %v, want the restart_lsn past the journal as evidence", err)
	}
	if n, _ := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}).Apply(ctx); n != 0 {
		t.Fatalf("applied %d transactions past a gap", n)
	}
}

// TestPGSchemaChangeStops: a table altered mid-stream stops the capture
// with both shapes, before any change of the new shape is spooled.
func TestPGSchemaChangeStops(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	wr := newWriter(t, w.source, 1, nil)
	wr.seed(t, 2)
	pgExec(t, w.source, "ALTER TABLE items ADD COLUMN extra int", "UPDATE items SET extra = 1")
	ctx2, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = w.capture().Run(ctx2)
	var changed *SchemaChangedError
	if !errors.As(err, &changed) || !strings.Contains(changed.After, "extra") {
		t.Fatalf("Run = %v, want a schema change naming the new column", err)
	}
	sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	if sp.Count > 1 {
		t.Fatalf("spooled %d transactions; only the one before the change may be", sp.Count)
	}
}

// TestPGSchemaChangedWhileNothingCaptured: a table altered before the
// capture's connection ever announced it (between processes) is caught
// against the shape journaled when the stream started; the same table
// unaltered is not (TestPGCaptureApplyRestart restarts over it).
func TestPGSchemaChangedWhileNothingCaptured(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, started, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	if shape := started.Shapes["items"]; !strings.Contains(shape, "id oid23/-1 key") || strings.Contains(shape, "extra") {
		t.Fatalf("journaled shape of items: %q", shape)
	}
	pgExec(t, w.source, "ALTER TABLE items ADD COLUMN extra int", "INSERT INTO items (id, name, extra) VALUES (1, 'a', 1)")
	ctx2, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = w.capture().Run(ctx2)
	var changed *SchemaChangedError
	if !errors.As(err, &changed) || changed.Before != readableShape(started.Shapes["items"]) || strings.Contains(changed.Before, "oid") || !strings.Contains(changed.After, "extra") {
		t.Fatalf("Run = %v, want a schema change from the journaled shape", err)
	}
	if sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream); sp.Count != 0 {
		t.Fatalf("spooled %d transactions of the new shape", sp.Count)
	}
}

// TestPGAcknowledgesOnlySpooled: when the journal cannot take the changes,
// the slot is not told they were received — a later capture gets them all.
func TestPGAcknowledgesOnlySpooled(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, started, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	wr := newWriter(t, w.source, 1, nil)
	for range 10 {
		wr.step(t)
	}
	path := w.journal.Path()
	w.journal.Close() // the spool fails: nothing may be acknowledged
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Statuses go out every 100ms while the transactions wait a second to
	// be spooled: any of them acknowledging more than the journal holds shows.
	err = (&PGCapture{DSN: w.source, Stream: w.stream, Journal: w.journal, StatusEvery: 100 * time.Millisecond, FlushEvery: time.Second}).Run(rctx)
	if err == nil || !strings.Contains(err.Error(), "spool") {
		t.Fatalf("Run with a closed journal = %v, want a spool error", err)
	}
	var confirmed string
	if err := pgConnect(t, w.source).QueryRow(ctx, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", w.stream).Scan(&confirmed); err != nil {
		t.Fatal(err)
	}
	c, _ := pglogrepl.ParseLSN(confirmed)
	if s, _ := pglogrepl.ParseLSN(started.Start); c > s {
		t.Fatalf("slot confirmed %s past the stream's start %s though nothing was spooled", c, s)
	}
	j, err := journal.OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	w.journal = j
	stop := runCapture(w.capture())
	waitSpooled(t, w, int64(wr.txs), false)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n, err := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: path}).Apply(ctx); err != nil || n != wr.txs {
		t.Fatalf("applied %d of %d: %v", n, wr.txs, err)
	}
	if src, dst := rowsOf(t, w.source), rowsOf(t, w.target); !slices.Equal(src, dst) {
		t.Fatalf("target differs from source\n%s", firstDiff(src, dst))
	}
}
