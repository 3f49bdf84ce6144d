package cdc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// pgWorld is a source and a target database on the throwaway logical
// PostgreSQL, a journal, and the stream's names.
type pgWorld struct {
	source, target string // DSNs
	stream         string
	journal        *journal.Store
}

const itemsDDL = `CREATE TABLE items (
	id int PRIMARY KEY,
	name text NOT NULL,
	qty int,
	note text,
	payload bytea,
	doc text)`

func newPGWorld(t *testing.T) *pgWorld { return newPGWorldB(t) }

// newPGWorldB is newPGWorld for tests and benchmarks.
func newPGWorldB(t testing.TB) *pgWorld {
	t.Helper()
	srv := cdctest.Postgres(t)
	w := &pgWorld{stream: dbtest.UniqueName(t, "s")}
	if len(w.stream) > 63 {
		w.stream = w.stream[len(w.stream)-63:]
		if w.stream[0] >= '0' && w.stream[0] <= '9' {
			w.stream = "s" + w.stream[1:]
		}
	}
	w.source = srv.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	w.target = srv.CreateDatabase(t, dbtest.UniqueName(t, "dst"))
	for _, dsn := range []string{w.source, w.target} {
		pgExec(t, dsn, itemsDDL)
	}
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	w.journal = j
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		PGStream{DSN: w.source, Stream: w.stream}.Drop(ctx) // the slot would pin the server's WAL
	})
	return w
}

func (w *pgWorld) streamDef() PGStream {
	return PGStream{Source: "src", DSN: w.source, Stream: w.stream, Tables: []string{"items"}}
}

func (w *pgWorld) capture() *PGCapture {
	return &PGCapture{DSN: w.source, Stream: w.stream, Journal: w.journal, Actor: "cdc", StepID: "capture", StatusEvery: 500 * time.Millisecond}
}

func pgConnect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func pgExec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	c := pgConnect(t, dsn)
	for _, s := range stmts {
		if _, err := c.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// rowsOf is every row of items as JSON text, in key order.
func rowsOf(t *testing.T, dsn string) []string {
	t.Helper()
	c := pgConnect(t, dsn)
	rows, err := c.Query(context.Background(), `SELECT row_to_json(i)::text FROM items i ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randInt(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

func randHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// writer changes items on the source in small transactions: inserts (with a
// large TOASTed doc), updates that leave doc alone, updates that move the
// key, deletes, NULLs and awkward text. It counts committed transactions.
type writer struct {
	conn *pgx.Conn
	ids  []int
	next int
	txs  int
}

func newWriter(t *testing.T, dsn string, firstID int, ids []int) *writer {
	return &writer{conn: pgConnect(t, dsn), ids: slices.Clone(ids), next: firstID}
}

// seed inserts n rows in one transaction.
func (wr *writer) seed(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := wr.conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		wr.insert(t, ctx, tx)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wr.txs++
}

func (wr *writer) insert(t *testing.T, ctx context.Context, tx pgx.Tx) {
	if err := wr.insertErr(ctx, tx); err != nil {
		t.Fatal(err)
	}
}

func (wr *writer) insertErr(ctx context.Context, tx pgx.Tx) error {
	id := wr.next
	wr.next++
	var note any = fmt.Sprintf("it's \"%d\" — ünïcode\ttab\nline", id)
	if id%5 == 0 {
		note = nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO items (id, name, qty, note, payload, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, fmt.Sprintf("item-%d", id), randInt(1000), note, []byte{0, 1, byte(id), '\\', 'x'}, randHex(9000))
	if err != nil {
		return err
	}
	wr.ids = append(wr.ids, id)
	return nil
}

// step commits one transaction of 1-3 changes.
func (wr *writer) step(t *testing.T) {
	t.Helper()
	if err := wr.stepErr(); err != nil {
		t.Fatal(err)
	}
}

// steps runs n steps in the background; wait returns the first error.
func (wr *writer) steps(n int) (wait func() error) {
	done := make(chan error, 1)
	go func() {
		for range n {
			if err := wr.stepErr(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return func() error { return <-done }
}

func (wr *writer) stepErr() error {
	ctx := context.Background()
	tx, err := wr.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for range 1 + randInt(3) {
		op := randInt(10)
		if len(wr.ids) < 5 {
			op = 0
		}
		switch {
		case op < 3:
			if err := wr.insertErr(ctx, tx); err != nil {
				return err
			}
		case op < 7: // update, doc untouched (sent as unchanged TOAST)
			id := wr.ids[randInt(len(wr.ids))]
			var qty any = randInt(1000)
			if op == 6 {
				qty = nil
			}
			if _, err := tx.Exec(ctx, `UPDATE items SET qty = $2, name = name || '+' WHERE id = $1`, id, qty); err != nil {
				return err
			}
		case op < 8: // move the key
			i := randInt(len(wr.ids))
			id, to := wr.ids[i], wr.next
			wr.next++
			if _, err := tx.Exec(ctx, `UPDATE items SET id = $2, payload = $3 WHERE id = $1`, id, to, []byte(randHex(8))); err != nil {
				return err
			}
			wr.ids[i] = to
		default:
			i := randInt(len(wr.ids))
			if _, err := tx.Exec(ctx, `DELETE FROM items WHERE id = $1`, wr.ids[i]); err != nil {
				return err
			}
			wr.ids = slices.Delete(wr.ids, i, i+1)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	wr.txs++
	return nil
}

// copyFromSnapshot copies items from the source as of the exported snapshot
// into the target: the bulk copy's part.
func copyFromSnapshot(t *testing.T, w *pgWorld, snapshot string) int {
	t.Helper()
	ctx := context.Background()
	src, dst := pgConnect(t, w.source), pgConnect(t, w.target)
	tx, err := src.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot)); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `SELECT id, name, qty, note, payload, doc FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	var all [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	n, err := dst.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name", "qty", "note", "payload", "doc"}, pgx.CopyFromRows(all))
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// waitSpooled waits until the journal holds exactly want transactions of
// the stream (atLeast: want or more).
func waitSpooled(t *testing.T, w *pgWorld, want int64, atLeast bool) Spooled {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // a backlog after a long cut spools slowly on a loaded machine; the wait ends as soon as it is in
	for {
		sp, _, err := ReadSpooled(context.Background(), w.journal.Path(), w.stream)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Count >= want || time.Now().After(deadline) {
			if sp.Count != want && !(atLeast && sp.Count > want) {
				t.Fatalf("journal holds %d transactions of stream %s, want %d", sp.Count, w.stream, want)
			}
			return sp
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runCapture runs a capture in the background; stop cancels it and returns
// its error (nil when it stopped because it was told to).
func runCapture(c *PGCapture) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return func() error {
		cancel()
		err := <-done
		if err == context.Canceled {
			return nil
		}
		return err
	}
}
