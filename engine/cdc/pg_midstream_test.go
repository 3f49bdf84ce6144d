package cdc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// TestPGSchemaChangeDuringCut: a table altered while the capture's
// connection is down arrives on the new connection as its first relation
// message, with nothing on that connection to compare it with; the capture
// still knows the shape from before the cut and stops with a
// *SchemaChangedError. The transaction committed before the ALTER is
// spooled; nothing after it is, and apply stops there.
func TestPGSchemaChangeDuringCut(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	wr, before, relay := startThroughRelay(t, w)
	c := w.capture()
	c.DSN, c.RetryMax = relay.dsn, 500*time.Millisecond
	var ev events
	ev.hook(c)
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	for range 5 {
		wr.step(t)
	}
	waitSpooled(t, w, int64(wr.txs-before), false)
	relay.r.Drop(time.Hour)
	wr.step(t) // old shape, during the cut
	spooledBefore := wr.txs - before
	pgExec(t, w.source, "ALTER TABLE items ADD COLUMN extra int DEFAULT 7")
	for range 3 {
		wr.step(t) // new shape
	}
	time.Sleep(time.Second)
	relay.r.Drop(0)
	err := <-done
	var changed *SchemaChangedError
	if !errors.As(err, &changed) || !strings.Contains(changed.After, "extra") || strings.Contains(changed.Before, "extra") || changed.Table != "items" {
		t.Fatalf("Run = %v, want items' schema change naming the new column", err)
	}
	if retries, resumed := ev.counts(); retries == 0 || resumed != 1 {
		t.Fatalf("%d retries, %d resumptions: the change must be caught on the new connection", retries, resumed)
	}
	sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream)
	if sp.Count != int64(spooledBefore) {
		t.Fatalf("spooled %d transactions, want the %d committed before the ALTER", sp.Count, spooledBefore)
	}
	pgExec(t, w.target, "ALTER TABLE items ADD COLUMN extra int DEFAULT 7")
	if n, err := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}).Apply(ctx); err != nil || n != spooledBefore {
		t.Fatalf("applied %d (err %v), want %d", n, err, spooledBefore)
	}
}

// TestPGLongTransactionInCommitOrder: a source transaction opened before
// others and committed after them is spooled after them, whole, in commit
// order — also when the connection is cut while it is open.
func TestPGLongTransactionInCommitOrder(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	wr, before, relay := startThroughRelay(t, w)
	c := w.capture()
	c.DSN, c.RetryMax = relay.dsn, 500*time.Millisecond
	stop := runCapture(c)

	long := pgConnect(t, w.source)
	tx, err := long.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var xid int64
	if err := tx.QueryRow(ctx, "SELECT txid_current() % 4294967296").Scan(&xid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO items (id, name, qty) SELECT g, 'long-' || g, g FROM generate_series(100000, 100049) g"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		wr.step(t)
	}
	waitSpooled(t, w, int64(wr.txs-before), false)
	relay.r.Drop(2 * time.Second) // the long transaction is open across a cut
	if _, err := tx.Exec(ctx, "UPDATE items SET qty = -qty WHERE id BETWEEN 100000 AND 100009"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		wr.step(t)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wr.step(t)
	want := wr.txs - before + 1
	waitSpooled(t, w, int64(want), false)
	time.Sleep(300 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := checkExactlyOnce(t, w); got != want {
		t.Fatalf("journal holds %d transactions, want %d", got, want)
	}
	var order []int64
	var longTx *journal.CDCChangesPayload
	journal.ScanDecoded(ctx, w.journal.Path(), func(e journal.Event, p any, err error) error {
		if err == nil && e.Type == journal.CDCChanges {
			tx := p.(journal.CDCChangesPayload)
			order = append(order, tx.XID)
			if tx.XID == xid {
				longTx = &tx
			}
		}
		return err
	})
	if longTx == nil || len(longTx.Changes) != 60 {
		t.Fatalf("the long transaction (xid %d) spooled as %+v, want its 50 inserts and 10 updates", xid, longTx)
	}
	if i := slices.Index(order, xid); i != len(order)-2 {
		t.Fatalf("the long transaction is spooled at %d of %d: want commit order (before the writer's last)", i, len(order))
	}
	if n, err := (&PGApplier{DSN: w.target, Stream: w.stream, JournalPath: w.journal.Path()}).Apply(ctx); err != nil || n != want {
		t.Fatalf("applied %d of %d: %v", n, want, err)
	}
	if src, dst := rowsOf(t, w.source), rowsOf(t, w.target); !slices.Equal(src, dst) {
		t.Fatalf("target differs from source\n%s", firstDiff(src, dst))
	}
}

// TestPGSchemaChangeWhileStopped: a table altered while no capture ran is
// caught by the next Run too, against the shape journaled when the stream
// started (or, for a stream started without one, the columns of the last
// row the journal holds); nothing of the new shape is spooled.
func TestPGSchemaChangeWhileStopped(t *testing.T) {
	w := newPGWorld(t)
	ctx := context.Background()
	snap, _, err := w.streamDef().Create(ctx, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	wr := newWriter(t, w.source, 1, nil)
	wr.seed(t, 3)
	stop := runCapture(w.capture())
	waitSpooled(t, w, 1, false)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	pgExec(t, w.source, "ALTER TABLE items ADD COLUMN extra int", "INSERT INTO items (id, name, extra) VALUES (1000, 'new shape', 1)")
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = w.capture().Run(rctx)
	var changed *SchemaChangedError
	if !errors.As(err, &changed) || !strings.Contains(changed.After, "extra") || strings.Contains(changed.Before, "extra") {
		t.Fatalf("Run = %v, want a schema change against the journal's shape", err)
	}
	if sp, _, _ := ReadSpooled(ctx, w.journal.Path(), w.stream); sp.Count != 1 {
		t.Fatalf("spooled %d transactions, want only the one before the change", sp.Count)
	}
}
