package cdc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tightrope/tightrope/journal"
)

// TestPGSlotInvalidatedDuringCut is the acceptance's lost position: while
// the capture's connection is cut, the source's max_slot_wal_keep_size
// shrinks and WAL is generated until the checkpoint invalidates the slot.
// When the network is back, the reconnecting capture's position check
// fails with the evidence (wal_status lost, the slot's positions, the
// journal's), it stops for good, and nothing past the gap is spooled or
// applied.
func TestPGSlotInvalidatedDuringCut(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	wr, before, relay := startThroughRelay(t, w)
	c := w.capture()
	c.DSN, c.RetryMax = relay.dsn, time.Second
	var ev events
	ev.hook(c)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	for range 10 {
		wr.step(t)
	}
	spooled := waitSpooled(t, w, int64(wr.txs-before), false)

	relay.r.Drop(time.Hour)
	for range 5 {
		wr.step(t) // in the WAL about to be lost
	}
	invalidateSlot(t, w.source, w.stream)
	relay.r.Drop(0) // the network is back

	var err error
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the capture did not stop after the slot was invalidated")
	}
	var lost *PositionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("Run = %v, want a PositionLostError", err)
	}
	ev1 := strings.Join(lost.Evidence, "; ")
	for _, want := range []string{"wal_status lost", "confirmed_flush_lsn", "the journal holds changes up to " + spooled.Last} {
		if !strings.Contains(ev1, want) {
			t.Fatalf("evidence %q does not say %q", ev1, want)
		}
	}
	if retries, _ := ev.counts(); retries == 0 {
		t.Fatal("the cut was never retried")
	}
	t.Logf("evidence: %s", ev1)
	if sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream); sp.Count != spooled.Count || sp.Last != spooled.Last {
		t.Fatalf("journal holds %d transactions up to %s after the gap, %d up to %s before", sp.Count, sp.Last, spooled.Count, spooled.Last)
	}
	n, err := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}).Apply(ctx)
	if err != nil || int64(n) != spooled.Count {
		t.Fatalf("applied %d (err %v), want the %d before the gap", n, err, spooled.Count)
	}
	if src, dst := rowsOf(t, w.source), rowsOf(t, w.target); slices.Equal(src, dst) {
		t.Fatal("the target equals the source though the changes past the gap were lost: the writer's last transactions changed nothing?")
	}
	// Another Run says the same, without a retry.
	if err := w.capture().Run(ctx); !errors.As(err, &lost) {
		t.Fatalf("second Run = %v, want the PositionLostError again", err)
	}
}

// invalidateSlot shrinks the throwaway server's max_slot_wal_keep_size and
// writes and switches WAL segments until a checkpoint invalidates slot
// (wal_status lost); the setting is reset afterwards.
func invalidateSlot(t *testing.T, dsn, slot string) {
	t.Helper()
	ctx := context.Background()
	c := pgConnect(t, dsn)
	reset := func() {
		c.Exec(ctx, "ALTER SYSTEM RESET max_slot_wal_keep_size")
		c.Exec(ctx, "SELECT pg_reload_conf()")
	}
	t.Cleanup(reset)
	pgExec(t, dsn, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "SELECT pg_reload_conf()",
		"CREATE TABLE wal_filler (id serial PRIMARY KEY, pad text)")
	time.Sleep(200 * time.Millisecond) // the checkpointer reloads its configuration
	for i := range 20 {
		pgExec(t, dsn, "INSERT INTO wal_filler (pad) SELECT repeat('x', 1000) FROM generate_series(1, 2000)",
			"SELECT pg_switch_wal()", "INSERT INTO wal_filler (pad) VALUES ('y')", "SELECT pg_switch_wal()", "CHECKPOINT")
		var status string
		if err := c.QueryRow(ctx, "SELECT coalesce(wal_status, 'NULL') FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status == "lost" {
			t.Logf("slot %s lost after %d rounds of WAL", slot, i+1)
			reset()
			return
		}
	}
	t.Fatalf("slot %s was not invalidated", slot)
}

// TestPGPositionLostIdentity: a journal whose stream was started on another
// system or timeline, or that holds changes past the source's WAL end, is
// evidence on the first connection already — never retried.
func TestPGPositionLostIdentity(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, started, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	for name, tc := range map[string]struct {
		edit  func(p *journal.CDCStreamPayload)
		ahead bool
		want  []string
	}{
		"another system": {edit: func(p *journal.CDCStreamPayload) { p.SystemID = "7000000000000000001" },
			want: []string{"the source is system " + started.SystemID + ", the stream was started on system 7000000000000000001"}},
		"another timeline": {edit: func(p *journal.CDCStreamPayload) { p.Timeline = started.Timeline + 3 },
			want: []string{fmt.Sprintf("the source is on timeline %d, the stream was started on timeline %d", started.Timeline, started.Timeline+3)}},
		"journal past the source's WAL": {edit: func(*journal.CDCStreamPayload) {}, ahead: true,
			want: []string{"the journal holds changes up to FFFF/0 but the source's WAL ends at"}},
	} {
		t.Run(name, func(t *testing.T) {
			j, err := journal.Create(filepath.Join(t.TempDir(), "other.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			p := started
			tc.edit(&p)
			if _, err := j.Append(ctx, "cdc", "start", journal.CDCStreamStarted, p); err != nil {
				t.Fatal(err)
			}
			if tc.ahead {
				tx := journal.CDCChangesPayload{Stream: w.stream, Position: "FFFF/0", XID: 1, At: time.Now().UTC(), Changes: []journal.CDCChange{}}
				if _, err := j.Append(ctx, "cdc", "capture", journal.CDCChanges, tx); err != nil {
					t.Fatal(err)
				}
			}
			c := w.capture()
			c.Journal = j
			var ev events
			ev.hook(c)
			err = c.Run(ctx)
			var lost *PositionLostError
			if !errors.As(err, &lost) {
				t.Fatalf("Run = %v, want a PositionLostError", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("Run = %v, want evidence %q", err, want)
				}
			}
			if retries, _ := ev.counts(); retries != 0 {
				t.Fatalf("a lost position was retried %d times", retries)
			}
		})
	}
}

// TestPGPositionJournalAheadOfSlot: a capture stopped between its journal
// commit and its status to the source leaves the journal ahead of the
// slot's confirmed position. That is no loss: the next Run resumes from
// the journal and spools nothing twice.
func TestPGPositionJournalAheadOfSlot(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	wr := newWriter(t, w.source, 1, nil)
	for range 6 {
		wr.step(t)
	}
	// Spool the transactions without telling the slot: decode them on a
	// connection that never sends a status.
	conn, err := connectReplication(ctx, w.source)
	if err != nil {
		t.Fatal(err)
	}
	sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	s := &PGCapture{DSN: w.source, Stream: w.stream, Journal: w.journal}
	spoolWithoutStatus(t, s, conn, sp)
	conn.Close(ctx)
	ahead, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	if ahead.Count != 6 || slotConfirmed(t, w).String() == ahead.Last {
		t.Fatalf("set-up: journal holds %d up to %s, slot confirmed %s", ahead.Count, ahead.Last, slotConfirmed(t, w))
	}
	for range 3 {
		wr.step(t)
	}
	stop := runCapture(w.capture())
	waitSpooled(t, w, 9, false)
	time.Sleep(300 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatalf("capture with the journal ahead of the slot: %v", err)
	}
	if got := checkExactlyOnce(t, w); got != 9 {
		t.Fatalf("journal holds %d transactions, want 9", got)
	}
}

// spoolWithoutStatus decodes the stream on conn from the journal's position
// and spools every transaction until there are 6, telling the source
// nothing: what a capture killed between its journal commit and its status
// leaves behind.
func spoolWithoutStatus(t *testing.T, c *PGCapture, conn *pgconn.PgConn, sp Spooled) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start, _ := pglogrepl.ParseLSN(sp.Resume())
	err := pglogrepl.StartReplication(ctx, conn, c.Stream, start, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names " + quoteLiteral(sp.Started.Publication)},
	})
	if err != nil {
		t.Fatal(err)
	}
	dec := newPGDecoder(c.Stream, start, nil)
	for n := 0; n < 6; {
		msg, err := conn.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cd, ok := msg.(*pgproto3.CopyData)
		if !ok || len(cd.Data) == 0 || cd.Data[0] != pglogrepl.XLogDataByteID {
			continue
		}
		x, err := pglogrepl.ParseXLogData(cd.Data[1:])
		if err != nil {
			t.Fatal(err)
		}
		tx, err := dec.decode(x.WALData)
		if err != nil {
			t.Fatal(err)
		}
		if tx != nil {
			if _, err := c.Journal.Append(ctx, "cdc", "capture", journal.CDCChanges, *tx); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
}

// TestPGSlotGoneBetweenCheckAndStart: a slot dropped after the position
// check passed is refused by START_REPLICATION; that refusal is the same
// lost position, not a retry.
func TestPGSlotGoneBetweenCheckAndStart(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	beforeStart = func() { pgExec(t, w.source, "SELECT pg_drop_replication_slot('"+w.stream+"')") }
	defer func() { beforeStart = nil }()
	c := w.capture()
	var ev events
	ev.hook(c)
	err = c.Run(ctx)
	var lost *PositionLostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "START_REPLICATION on slot") {
		t.Fatalf("Run = %v, want a PositionLostError told by START_REPLICATION", err)
	}
	if retries, _ := ev.counts(); retries != 0 {
		t.Fatalf("retried %d times", retries)
	}
}
