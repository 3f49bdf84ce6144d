package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcWorld is a source and a target database on the throwaway logical
// PostgreSQL, named to a runbook through two environment variables, and
// the migration id the stream's name derives from.
type cdcWorld struct {
	src, dst string // DSNs
	srcEnv   string
	dstEnv   string
	mig      string
	dir      string
}

const cdcDDL = `CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, amount numeric(12,2), note text, at timestamptz);
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, tier text)`

func newCDCWorld(t *testing.T, orders int) *cdcWorld {
	t.Helper()
	srv := cdctest.Postgres(t)
	b := make([]byte, 4)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	w := &cdcWorld{
		src: srv.CreateDatabase(t, dbtest.UniqueName(t, "src")), dst: srv.CreateDatabase(t, dbtest.UniqueName(t, "dst")),
		srcEnv: "TR_CDC_SRC_" + tag, dstEnv: "TR_CDC_DST_" + tag, mig: "MIG-CDC-" + tag, dir: t.TempDir(),
	}
	t.Setenv(w.srcEnv, w.src)
	t.Setenv(w.dstEnv, w.dst)
	for _, dsn := range []string{w.src, w.dst} {
		cdcExec(t, dsn, cdcDDL)
	}
	cdcExec(t, w.src, fmt.Sprintf(`INSERT INTO customers SELECT g, 'c' || g, 'gold' FROM generate_series(1, 200) g;
		INSERT INTO orders SELECT g, 1 + g %% 200, g * 1.25, repeat('x', g %% 40), now() FROM generate_series(1, %d) g`, orders))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		name := streamName(w.mig, "capture")
		for ctx.Err() == nil { // the slot pins the server's WAL; it is busy until its walsender exits
			err := cdc.PGStream{DSN: w.src, Stream: name}.Drop(ctx)
			if err == nil || strings.Contains(err.Error(), "does not exist") {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	return w
}

// runbook is a PG→PG change-capture runbook over the world.
func (w *cdcWorld) runbook(t *testing.T, triggers, steps string) *runbooks.Runbook {
	t.Helper()
	text := fmt.Sprintf(`version: 1
name: CDC
migration_id: %s
decision_maker: alice
objectives: { rto: 5m, rpo: 0s, expected: 10m, window: 1h }
connections:
  source: { driver: postgres, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
%ssteps:
%s`, w.mig, w.srcEnv, w.dstEnv, triggers, steps)
	path := filepath.Join(w.dir, "rb.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(rb); err != nil {
		t.Fatal(err)
	}
	return rb
}

// resume opens a new conductor over the run's journal, as tightrope
// resume does after the last process stopped.
func resumeRun(t *testing.T, r *demoRun, autoDecide string) *Conductor {
	t.Helper()
	events, err := journal.ReadAll(r.journal)
	if err != nil {
		t.Fatal(err)
	}
	c := New(Options{Runbook: r.rb, Journal: r.store, State: journal.Fold(events), Operator: "alice", BaseDir: r.dir, AutoDecide: autoDecide})
	go func() {
		for range c.Updates() {
		}
	}()
	return c
}

func cdcExec(t testing.TB, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// tableRows is every row of a table as text, in key order.
func tableRows(t *testing.T, dsn, table string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT t::text FROM "+table+" t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTables fails unless both tables are equal in the two databases, row
// for row.
func sameTables(t *testing.T, w *cdcWorld) {
	t.Helper()
	for _, table := range []string{"orders", "customers"} {
		src, dst := tableRows(t, w.src, table), tableRows(t, w.dst, table)
		if !slices.Equal(src, dst) {
			for i := range max(len(src), len(dst)) {
				var a, b string
				if i < len(src) {
					a = src[i]
				}
				if i < len(dst) {
					b = dst[i]
				}
				if a != b {
					t.Fatalf("%s: target differs from source (%d rows vs %d); first difference at row %d:\nsource %s\ntarget %s", table, len(dst), len(src), i, a, b)
				}
			}
		}
	}
}

// cdcWriter changes the source in transactions of one to four statements
// — inserts, updates, deletes over both tables — until stopped.
type cdcWriter struct {
	dsn    string
	nextID atomic.Int64
	txs    atomic.Int64
	stop   chan struct{}
	done   chan error
	pause  time.Duration
	mu     sync.Mutex
}

func startWriter(t *testing.T, dsn string, firstID int, pause time.Duration) *cdcWriter {
	t.Helper()
	wr := &cdcWriter{dsn: dsn, stop: make(chan struct{}), done: make(chan error, 1), pause: pause}
	wr.nextID.Store(int64(firstID))
	go func() { wr.done <- wr.run() }()
	t.Cleanup(func() { wr.halt(t) })
	return wr
}

func rnd(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

func (wr *cdcWriter) run() error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, wr.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for {
		select {
		case <-wr.stop:
			return nil
		default:
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		for range 1 + rnd(4) {
			hi := int(wr.nextID.Load())
			var q string
			var args []any
			switch rnd(7) {
			case 0, 1, 2:
				id := wr.nextID.Add(1)
				q, args = "INSERT INTO orders VALUES ($1, $2, $3, $4, now())", []any{id, 1 + rnd(200), fmt.Sprintf("%d.%02d", rnd(1000), rnd(100)), strings.Repeat("n", rnd(30))}
			case 3, 4:
				q, args = "UPDATE orders SET amount = amount + 1, note = $2, at = now() WHERE id = $1", []any{1 + rnd(hi), fmt.Sprintf("u%d", rnd(1e6))}
			case 5:
				q, args = "DELETE FROM orders WHERE id = $1", []any{1 + rnd(hi)}
			default:
				q, args = "UPDATE customers SET tier = $2, name = name || '.' WHERE id = $1", []any{1 + rnd(200), []string{"gold", "silver", "lead"}[rnd(3)]}
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				tx.Rollback(ctx)
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		wr.txs.Add(1)
		time.Sleep(wr.pause)
	}
}

// halt stops the writer and reports its error; a second call does nothing.
func (wr *cdcWriter) halt(t *testing.T) {
	t.Helper()
	wr.mu.Lock()
	defer wr.mu.Unlock()
	select {
	case <-wr.stop:
		return
	default:
	}
	close(wr.stop)
	if err := <-wr.done; err != nil {
		t.Errorf("writer: %v", err)
	}
}

// marker writes a last customer row after the writer stopped and returns
// its id: once it is on the target, everything before it is (apply goes
// in source order).
func (w *cdcWorld) marker(t *testing.T) int {
	t.Helper()
	id := 100000 + rnd(100000)
	cdcExec(t, w.src, fmt.Sprintf("INSERT INTO customers VALUES (%d, 'marker', 'end')", id))
	return id
}

// waitMarker waits until the marker row is on the target.
func (w *cdcWorld) waitMarker(t *testing.T, id int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(context.Background(), w.dst)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(context.Background(), "SELECT count(*) FROM customers WHERE id = $1", id).Scan(&n)
		conn.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the marker written after the writer stopped never reached the target")
}

// cdcEvents decodes the journal's change-capture events.
type cdcEvents struct {
	changes     []journal.Event // cdc_changes
	changesP    []journal.CDCChangesPayload
	applied     []journal.CDCAppliedPayload
	appliedSeq  []int64 // journal seq of each cdc_applied
	samples     []journal.CDCLagPayload
	triggers    []journal.TriggerPayload
	resumedAt   int64 // seq of the last run_resumed
	logs        []string
	logSeqs     []int64
	triggerSeqs []int64
	started     []journal.CDCStreamPayload
	tableCopied map[string]journal.ProgressPayload
}

func readCDC(t *testing.T, path string) cdcEvents {
	t.Helper()
	ev := cdcEvents{tableCopied: map[string]journal.ProgressPayload{}}
	err := journal.ScanDecoded(context.Background(), path, func(e journal.Event, p any, err error) error {
		if err != nil {
			return err
		}
		switch x := p.(type) {
		case journal.CDCChangesPayload:
			ev.changes, ev.changesP = append(ev.changes, e), append(ev.changesP, x)
		case journal.CDCAppliedPayload:
			ev.applied, ev.appliedSeq = append(ev.applied, x), append(ev.appliedSeq, e.Seq)
		case journal.CDCLagPayload:
			ev.samples = append(ev.samples, x)
		case journal.TriggerPayload:
			ev.triggers, ev.triggerSeqs = append(ev.triggers, x), append(ev.triggerSeqs, e.Seq)
		case journal.RunResumedPayload:
			ev.resumedAt = e.Seq
		case journal.LogPayload:
			ev.logs, ev.logSeqs = append(ev.logs, x.Line), append(ev.logSeqs, e.Seq)
		case journal.CDCStreamPayload:
			ev.started = append(ev.started, x)
		}
		if e.Type == journal.TableCopied {
			ev.tableCopied[p.(journal.ProgressPayload).Table] = p.(journal.ProgressPayload)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// checkAppliedOnce: every spooled transaction was applied exactly once —
// cdc_applied seqs rise strictly, their transaction counts add up to the
// spooled ones, and the target's position row is the last spooled one.
func checkAppliedOnce(t *testing.T, w *cdcWorld, ev cdcEvents) {
	t.Helper()
	if len(ev.changes) == 0 || len(ev.applied) == 0 {
		t.Fatalf("%d transactions spooled, %d cdc_applied: the stream carried nothing", len(ev.changes), len(ev.applied))
	}
	var last int64
	total := 0
	for i, a := range ev.applied {
		if a.Seq <= last {
			t.Fatalf("cdc_applied %d is up to seq %d after seq %d: applied twice or out of order", i, a.Seq, last)
		}
		if a.Txs <= 0 || a.Target != "target" {
			t.Fatalf("cdc_applied %+v", a)
		}
		last = a.Seq
		total += a.Txs
	}
	if total != len(ev.changes) {
		t.Fatalf("cdc_applied counts %d transactions, the journal spooled %d", total, len(ev.changes))
	}
	lastTx := ev.changes[len(ev.changes)-1]
	if last != lastTx.Seq {
		t.Fatalf("applied up to seq %d, the last spooled transaction is seq %d", last, lastTx.Seq)
	}
	conn, err := pgx.Connect(context.Background(), w.dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var seq int64
	var pos string
	if err := conn.QueryRow(context.Background(), "SELECT journal_seq, position FROM "+cdc.PositionTable).Scan(&seq, &pos); err != nil {
		t.Fatal(err)
	}
	if seq != lastTx.Seq || pos != ev.changesP[len(ev.changesP)-1].Position {
		t.Fatalf("target position seq %d at %s; last spooled seq %d at %s", seq, pos, lastTx.Seq, ev.changesP[len(ev.changesP)-1].Position)
	}
}

// snapshotRows is how many orders the source held at the slot's
// consistent point: what it holds now minus what every spooled
// transaction inserted and deleted. A copy that read the exported
// snapshot read exactly that many.
func snapshotRows(t *testing.T, w *cdcWorld, ev cdcEvents, table string) int64 {
	t.Helper()
	n := int64(len(tableRows(t, w.src, table)))
	for _, tx := range ev.changesP {
		for _, c := range tx.Changes {
			if c.Table != table {
				continue
			}
			switch c.Op {
			case "insert":
				n--
			case "delete":
				n++
			}
		}
	}
	return n
}
