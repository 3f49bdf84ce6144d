package fault

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/journal"
)

func TestParseCDCSpecs(t *testing.T) {
	for _, ok := range []string{"cdc-cut:source@catchup:60s", "cdc-cut:source@catchup:60s:5s", "cdc-slot-invalidate:source@catchup:30s",
		"cdc-slot-invalidate:source@catchup:30s:rows=100", "binlog-purge:source@catchup:30s:2s", "cdc-ddl:source@catchup:items",
		"cdc-ddl:source@catchup:items:3s", "cdc-long-tx:source@catchup:items:20s", "apply-lock:target@catchup:items:10s:1s"} {
		f, err := Parse(ok)
		if err != nil {
			t.Errorf("%s: %v", ok, err)
			continue
		}
		if f.Spec() != ok {
			t.Errorf("Spec() = %q, want %q", f.Spec(), ok)
		}
		if _, later := f.(later); !later {
			t.Errorf("%s does not strike into its step", ok)
		}
	}
	for spec, want := range map[string]string{
		"cdc-cut:source:60s":                       "CONN@STEP:DURATION",
		"cdc-slot-invalidate:source@catchup":       "CONN@STEP:DURATION[:AFTER]",
		"cdc-slot-invalidate:source@catchup:soon":  "not a duration",
		"binlog-purge:source@catchup:0s":           "not a duration",
		"cdc-ddl:source@catchup":                   "CONN@STEP:TABLE[:AFTER]",
		"cdc-ddl:source@catchup::1s":               "TABLE is empty",
		"cdc-long-tx:source@catchup:items":         "CONN@STEP:TABLE:DURATION[:AFTER]",
		"apply-lock:target@catchup:items:10s:when": "not a duration",
		"apply-lock:target@catchup:items:10s:1s:x": "CONN@STEP:TABLE:DURATION[:AFTER]",
	} {
		if _, err := Parse(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", spec, err, want)
		}
	}
	// The faults that cut their connection ask the drill for a relay.
	for _, spec := range []string{"cdc-cut:source@c:1s", "cdc-slot-invalidate:source@c:1s", "binlog-purge:source@c:1s"} {
		f, _ := Parse(spec)
		if ru, ok := f.(RelayUser); !ok || ru.RelayConn() != "source" {
			t.Errorf("%s does not ask for a relay on source", spec)
		}
	}
	for _, k := range Kinds() {
		if strings.HasPrefix(k.Name, "cdc-") || k.Name == "apply-lock" || k.Name == "binlog-purge" {
			if k.Doc == "" || !strings.HasPrefix(k.Syntax, k.Name+":") {
				t.Errorf("kind %s: doc %q, syntax %q", k.Name, k.Doc, k.Syntax)
			}
		}
	}
}

// The PostgreSQL change-capture faults against a live capture through the
// relay: cdc-long-tx holds a transaction open while another commits, and
// the capture spools it after, whole; cdc-cut cuts the capture, which
// resumes; cdc-ddl alters the table and the capture stops with a schema
// change.
func TestCDCFaultsOnPostgresCapture(t *testing.T) {
	w := pgCDCWorld(t)
	s := w.startStream(t)

	wait := w.strike(t, "cdc-long-tx:source@long:items:1500ms:0s", "long")
	got := wait(1)
	if !strings.Contains(got[0].Detail, "column qty of the first row of items") || got[0].Target != "source:items" {
		t.Fatalf("long-tx strike %+v", got[0])
	}
	w.exec(t, "INSERT INTO items VALUES (100, 100, 'during')") // commits while the long one is open
	got = wait(2)
	if !got[1].Ended {
		t.Fatalf("long-tx end %+v", got[1])
	}
	s.spooled(t, 2)
	var txs []journal.CDCChangesPayload
	journal.ScanDecoded(context.Background(), s.journal.Path(), func(e journal.Event, p any, err error) error {
		if err == nil && e.Type == journal.CDCChanges {
			txs = append(txs, p.(journal.CDCChangesPayload))
		}
		return err
	})
	if len(txs) != 2 || len(txs[0].Changes) != 1 || txs[0].Changes[0].Op != "insert" || len(txs[1].Changes) != 2 || txs[1].Changes[0].Op != "update" {
		t.Fatalf("spooled %+v: want the insert, then the long transaction's two updates", txs)
	}
	if v := txs[1].Changes[1].New; len(v) < 2 || v[1] == nil || *v[1] != "1" {
		t.Fatalf("the long transaction's last change %+v: want qty back at 1", txs[1].Changes[1])
	}

	wait = w.strike(t, "cdc-cut:source@cut:2s:0s", "cut")
	if p := wait(1)[0]; !strings.Contains(p.Detail, "every connection reset") {
		t.Fatalf("cut %+v", p)
	}
	if c, err := net.DialTimeout("tcp", w.relay.Addr(), time.Second); err == nil {
		c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("a connection through the relay was served during the cut")
		}
		c.Close()
	}
	select {
	case r := <-s.resumed:
		if r.Down < 1500*time.Millisecond {
			t.Fatalf("resumed after %s, the cut was 2s", r.Down)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the capture did not resume after the cut")
	}
	w.exec(t, "INSERT INTO items VALUES (101, 101, 'after the cut')")
	s.spooled(t, 3)

	wait = w.strike(t, "cdc-ddl:source@ddl:items:0s", "ddl")
	if p := wait(1)[0]; !strings.Contains(p.Detail, "ADD COLUMN") {
		t.Fatalf("ddl %+v", p)
	}
	w.exec(t, "INSERT INTO items VALUES (102, 102, 'new shape', 1)")
	var changed *cdc.SchemaChangedError
	if err := s.result(t); !errors.As(err, &changed) || !strings.Contains(changed.After, DDLColumn) {
		t.Fatalf("capture after cdc-ddl: %v, want a schema change naming %s", err, DDLColumn)
	}
}

// cdc-slot-invalidate: while the capture is cut, the slot is invalidated;
// on reconnect the capture reports the position lost with wal_status lost,
// and the server's setting is back as it was. With a slot of another
// database on the server, it refuses and touches nothing.
func TestCDCSlotInvalidateFault(t *testing.T) {
	other := pgCDCWorld(t)
	otherSlot := "s_other_" + time.Now().Format("150405")
	other.exec(t, "SELECT pg_create_logical_replication_slot('"+otherSlot+"', 'pgoutput')")
	w := pgCDCWorld(t)
	s := w.startStream(t)
	w.exec(t, "INSERT INTO items VALUES (100, 100, 'x')")
	s.spooled(t, 1)

	before := keepSize(t, w)
	_, err := w.strikeErr(t, "cdc-slot-invalidate:source@refused:1s:0s", "refused")
	if !strings.Contains(err, otherSlot) || !strings.Contains(err, "would invalidate them too") {
		t.Fatalf("with another database's slot: %q, want a refusal naming %s", err, otherSlot)
	}
	if after := keepSize(t, w); after != before || slotStatus(t, w, s.name) == "lost" {
		t.Fatalf("the refused fault changed something: max_slot_wal_keep_size %s→%s, slot %s", before, after, slotStatus(t, w, s.name))
	}
	other.exec(t, "SELECT pg_drop_replication_slot('"+otherSlot+"')")

	wait := w.strike(t, "cdc-slot-invalidate:source@inval:5s:0s", "inval")
	p := wait(1)[0]
	if !strings.Contains(p.Detail, s.name) || !strings.Contains(p.Detail, "wal_status lost") || !strings.Contains(p.Detail, "cut") {
		t.Fatalf("slot-invalidate %+v", p)
	}
	if slotStatus(t, w, s.name) != "lost" || keepSize(t, w) != before {
		t.Fatalf("slot %s, max_slot_wal_keep_size %s (was %s)", slotStatus(t, w, s.name), keepSize(t, w), before)
	}
	// the lag sampler sees it too, whether or not a capture reconnects
	if ss, err := cdc.Sample(context.Background(), "postgres", w.direct, s.name, ""); err != nil || len(ss.Lost) != 1 || !strings.Contains(ss.Lost[0], "wal_status lost") {
		t.Fatalf("the lag sample of the lost slot: %+v, %v; want the loss as evidence", ss, err)
	}
	var lost *cdc.PositionLostError
	if err := s.result(t); !errors.As(err, &lost) || !strings.Contains(err.Error(), "wal_status lost") {
		t.Fatalf("capture after cdc-slot-invalidate: %v, want the position lost", err)
	}
	if sp := s.spooled(t, 1); sp.Count != 1 {
		t.Fatalf("journal holds %d transactions past the gap", sp.Count-1)
	}
}

// strikeErr injects spec and returns its first record's error.
func (w *cdcWorld) strikeErr(t *testing.T, spec, step string) (journal.FaultPayload, string) {
	t.Helper()
	f, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	in := NewInjector(w.env, []Fault{f}, nil)
	ch := make(chan journal.FaultPayload, 4)
	in.BeforeStep(context.Background(), runbookStep(step), journal.State{}, func(p journal.FaultPayload) { ch <- p })
	select {
	case p := <-ch:
		return p, p.Error
	case <-time.After(time.Minute):
		t.Fatalf("%s recorded nothing", spec)
		return journal.FaultPayload{}, ""
	}
}

func keepSize(t *testing.T, w *cdcWorld) string {
	t.Helper()
	var v string
	if err := w.sql(t).QueryRow("SHOW max_slot_wal_keep_size").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func slotStatus(t *testing.T, w *cdcWorld, slot string) string {
	t.Helper()
	var v *string
	if err := w.sql(t).QueryRow("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v == nil {
		return "NULL"
	}
	return *v
}

// apply-lock stalls writes to the table (reads go on) for its duration,
// on both engines.
func TestApplyLockFault(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) *cdcWorld{"postgres": pgCDCWorld, "mysql": myCDCWorld} {
		t.Run(name, func(t *testing.T) {
			w := mk(t)
			wait := w.strike(t, "apply-lock:source@apply:items:2s:0s", "apply")
			p := wait(1)[0]
			if !strings.Contains(p.Detail, "writes wait") {
				t.Fatalf("apply-lock %+v", p)
			}
			d := w.sql(t)
			var n int
			if err := d.QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil || n == 0 {
				t.Fatalf("a read during the lock: %d rows, %v", n, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			_, err := d.ExecContext(ctx, "UPDATE items SET qty = qty + 1 WHERE id = 1")
			cancel()
			if err == nil {
				t.Fatal("a write went through during the lock")
			}
			start := time.Now()
			if _, err := d.Exec("UPDATE items SET qty = qty + 1 WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			if waited := time.Since(start); waited < time.Second {
				t.Fatalf("a write waited only %s for the 2s lock", waited)
			}
			if p := wait(2)[1]; !p.Ended {
				t.Fatalf("apply-lock end %+v", p)
			}
		})
	}
}

// binlog-purge rotates the binary log and purges every older one while
// the source's connection is cut.
func TestBinlogPurgeFault(t *testing.T) {
	w := myCDCWorld(t)
	w.exec(t, "FLUSH BINARY LOGS", "INSERT INTO items VALUES (10, 10, 'x')", "FLUSH BINARY LOGS")
	d := w.sql(t)
	before, err := binlogs(context.Background(), d)
	if err != nil || len(before) < 3 {
		t.Fatalf("binary logs before: %v %v", before, err)
	}
	wait := w.strike(t, "binlog-purge:source@purge:2s:0s", "purge")
	p := wait(1)[0]
	after, err := binlogs(context.Background(), d)
	if err != nil || len(after) != 1 || contains(before, after[0]) {
		t.Fatalf("binary logs after: %v (before %v) %v: want only a new one", after, before, err)
	}
	for _, b := range before {
		if !strings.Contains(p.Detail, b) {
			t.Fatalf("detail %q does not name purged log %s", p.Detail, b)
		}
	}
}

// binlog-purge against a change stream: a capture spools a transaction
// and stops, the binlog is purged while the connection is cut (with the
// fault's own transaction in it, the source being otherwise quiet); the
// capture started again through the relay reports the position lost (the
// binlog holding what it needs is gone).
func TestBinlogPurgeLosesMariaDBPosition(t *testing.T) {
	w := myCDCWorld(t)
	ctx := context.Background()
	j, err := journal.Create(t.TempDir()+"/run.journal", journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	const stream = "purged"
	snap, _, err := (cdc.MyStream{Source: "source", DSN: w.direct, Stream: stream, Tables: []string{"items"}}).Create(ctx, j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Release(ctx); err != nil { // no copy reads it
		t.Fatal(err)
	}
	capture := &cdc.MyCapture{DSN: w.through, Stream: stream, ServerID: 9101, Journal: j, Actor: "cdc", StepID: "capture"}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- capture.Run(rctx) }()
	w.exec(t, "INSERT INTO items VALUES (20, 20, 'spooled')")
	deadline := time.Now().Add(30 * time.Second)
	for sp, _, _ := cdc.ReadSpooled(ctx, j.Path(), stream); sp.Count < 1; sp, _, _ = cdc.ReadSpooled(ctx, j.Path(), stream) {
		if time.Now().After(deadline) {
			t.Fatal("the capture spooled nothing")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	// nothing is written meanwhile: the fault's own transaction is what
	// the purge takes past the saved position
	w.strike(t, "binlog-purge:source@purge:1s:0s", "purge")(1)
	time.Sleep(1200 * time.Millisecond) // the cut is over
	sp, _, err := cdc.ReadSpooled(ctx, j.Path(), stream)
	if err != nil {
		t.Fatal(err)
	}
	if ss, err := cdc.Sample(ctx, "mysql", w.direct, stream, sp.Last); err != nil || len(ss.Lost) == 0 || !strings.Contains(ss.Lost[0], "binlog purged") {
		t.Fatalf("the lag sample after the purge: %+v, %v; want the loss as evidence", ss, err)
	}
	rctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = capture.Run(rctx)
	var lost *cdc.PositionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("capture after binlog-purge: %v, want the position lost", err)
	}
	t.Logf("evidence: %v", err)
}

// cdc-ddl adds its column and cdc-long-tx holds its transaction open (the
// row stays locked) for its duration and commits no net change, on both
// engines.
func TestDDLAndLongTxFaults(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) *cdcWorld{"postgres": pgCDCWorld, "mysql": myCDCWorld} {
		t.Run(name, func(t *testing.T) {
			w := mk(t)
			d := w.sql(t)
			w.strike(t, "cdc-ddl:source@ddl:items:0s", "ddl")(1)
			var n int
			if err := d.QueryRow("SELECT count(" + DDLColumn + ") FROM items").Scan(&n); err != nil {
				t.Fatalf("the column cdc-ddl adds: %v", err)
			}

			wait := w.strike(t, "cdc-long-tx:source@long:items:1500ms:0s", "long")
			wait(1)
			ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
			_, err := d.ExecContext(ctx, "UPDATE items SET note = 'other' WHERE id = 1")
			cancel()
			if err == nil {
				t.Fatal("the long transaction's row was free while it was open")
			}
			if p := wait(2)[1]; !p.Ended {
				t.Fatalf("long-tx end %+v", p)
			}
			var qty int
			if err := d.QueryRow("SELECT qty FROM items WHERE id = 1").Scan(&qty); err != nil || qty != 1 {
				t.Fatalf("qty of row 1 after the long transaction: %d (%v), want 1 (no net change)", qty, err)
			}
		})
	}
}
