package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// itemsMyDDL is the MariaDB source table: UTF-8 text, one latin1 column.
const itemsMyDDL = "CREATE TABLE items (id int PRIMARY KEY, name varchar(200) NOT NULL, qty int NULL, note text CHARACTER SET latin1 NULL, price decimal(10,2)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

// myWriter changes items on the MariaDB source in small transactions.
type myWriter struct {
	db   *sql.DB
	ids  []int
	next int
	txs  int
}

func (wr *myWriter) step() error {
	tx, err := wr.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for range 1 + randInt(3) {
		op := randInt(10)
		if len(wr.ids) < 5 {
			op = 0
		}
		switch {
		case op < 3:
			id := wr.next
			wr.next++
			var note any = fmt.Sprintf("it's \"%d\" ünïcode café\\ %s", id, randHex(600))
			if id%4 == 0 {
				note = nil
			}
			if _, err := tx.Exec("INSERT INTO items (id, name, qty, note, price) VALUES (?, ?, ?, ?, ?)",
				id, fmt.Sprintf("item-%d — ✓ 日本", id), randInt(1000), note, fmt.Sprintf("%d.%02d", randInt(500), randInt(100))); err != nil {
				return err
			}
			wr.ids = append(wr.ids, id)
		case op < 7:
			var qty any = randInt(1000)
			if op == 6 {
				qty = nil
			}
			if _, err := tx.Exec("UPDATE items SET qty = ?, name = CONCAT(name, '+') WHERE id = ?", qty, wr.ids[randInt(len(wr.ids))]); err != nil {
				return err
			}
		case op < 8:
			i := randInt(len(wr.ids))
			to := wr.next
			wr.next++
			if _, err := tx.Exec("UPDATE items SET id = ? WHERE id = ?", to, wr.ids[i]); err != nil {
				return err
			}
			wr.ids[i] = to
		default:
			i := randInt(len(wr.ids))
			if _, err := tx.Exec("DELETE FROM items WHERE id = ?", wr.ids[i]); err != nil {
				return err
			}
			wr.ids = slices.Delete(wr.ids, i, i+1)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	wr.txs++
	return nil
}

// myRows is items on MariaDB as text, in key order.
func myRows(t *testing.T, db *sql.DB) [][5]sql.NullString {
	t.Helper()
	rows, err := db.Query("SELECT id, name, qty, note, price FROM items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][5]sql.NullString
	for rows.Next() {
		var r [5]sql.NullString
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// pgItemRows is items on PostgreSQL in the same text forms.
func pgItemRows(t *testing.T, dsn string) [][5]sql.NullString {
	t.Helper()
	c := pgConnect(t, dsn)
	rows, err := c.Query(context.Background(), "SELECT id::text, name, qty::text, note, price::text FROM items ORDER BY items.id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][5]sql.NullString
	for rows.Next() {
		var r [5]*string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4]); err != nil {
			t.Fatal(err)
		}
		var n [5]sql.NullString
		for i, p := range r {
			if p != nil {
				n[i] = sql.NullString{String: *p, Valid: true}
			}
		}
		out = append(out, n)
	}
	return out
}

// TestMariaDBCaptureApplyRestartToPostgres: row changes captured from a
// MariaDB binlog, stopped mid-stream and resumed from the journal's GTID
// position, applied to PostgreSQL: the target equals the source, no
// transaction spooled twice.
func TestMariaDBCaptureApplyRestartToPostgres(t *testing.T) {
	my := cdctest.MariaDB(t)
	pg := cdctest.Postgres(t)
	ctx := context.Background()
	srcDSN := my.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	src, err := sql.Open("mysql", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec(itemsMyDDL); err != nil {
		t.Fatal(err)
	}
	target := pg.CreateDatabase(t, dbtest.UniqueName(t, "dst"))
	pgExec(t, target, "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text, price numeric(10,2))")
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	wr := &myWriter{db: src, next: 1}
	for range 10 {
		if err := wr.step(); err != nil {
			t.Fatal(err)
		}
	}
	stream := "s_" + dbtest.UniqueName(t, "m")[len("m_"):]
	if len(stream) > 63 {
		stream = stream[:63]
	}
	snap, _, err := (MyStream{Source: "src", DSN: srcDSN, Stream: stream, Tables: []string{"items"}}).Create(ctx, j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	before := wr.txs
	// The writer goes on while the bulk copy reads the snapshot: the copy
	// sees the table as of the stream's start, the stream everything after.
	for range 10 {
		if err := wr.step(); err != nil {
			t.Fatal(err)
		}
	}
	srcDB, err := dbtest.Open(t, "mysql", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := srcDB.Table(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Reader(srcDB).ReadBatch(ctx, tbl, []string{"id", "name", "qty", "note", "price"}, nil, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		v := make([]string, len(r))
		for i, x := range r {
			v[i] = "NULL"
			if x != nil {
				v[i] = quoteLiteral(fmt.Sprint(x))
			}
		}
		pgExec(t, target, "INSERT INTO items VALUES ("+strings.Join(v, ", ")+")")
	}
	if err := snap.Release(ctx); err != nil {
		t.Fatal(err)
	}
	capture := func() *MyCapture {
		return &MyCapture{DSN: srcDSN, Stream: stream, ServerID: 9001, Journal: j, Actor: "cdc", StepID: "capture"}
	}
	run := func() func() error {
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- capture().Run(cctx) }()
		return func() error {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		}
	}
	waitCount := func(want int64, atLeast bool) Spooled {
		deadline := time.Now().Add(60 * time.Second)
		for {
			sp, _, err := ReadSpooled(ctx, j.Path(), stream)
			if err != nil {
				t.Fatal(err)
			}
			if sp.Count >= want || time.Now().After(deadline) {
				if sp.Count != want && !(atLeast && sp.Count > want) {
					t.Fatalf("journal holds %d transactions, want %d", sp.Count, want)
				}
				return sp
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	stop := run()
	for range 60 {
		if err := wr.step(); err != nil {
			t.Fatal(err)
		}
	}
	waitCount(30, true)
	if err := stop(); err != nil {
		t.Fatalf("capture: %v", err)
	}
	applier := &PGApplier{DSN: target, Stream: stream, JournalPath: j.Path()}
	first, err := applier.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 40 { // while nothing captures
		if err := wr.step(); err != nil {
			t.Fatal(err)
		}
	}
	stop = run()
	for range 30 {
		if err := wr.step(); err != nil {
			t.Fatal(err)
		}
	}
	sp := waitCount(int64(wr.txs-before), false)
	time.Sleep(300 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatalf("capture after restart: %v", err)
	}
	if sp2, _, _ := ReadSpooled(ctx, j.Path(), stream); sp2.Count != sp.Count {
		t.Fatalf("journal holds %d transactions after the wait, %d before: spooled twice", sp2.Count, sp.Count)
	}
	second, err := applier.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first+second != wr.txs-before {
		t.Fatalf("applied %d + %d, the writer committed %d", first, second, wr.txs-before)
	}
	s, d := myRows(t, src), pgItemRows(t, target)
	if !slices.Equal(s, d) {
		for i := range min(len(s), len(d)) {
			if s[i] != d[i] {
				t.Errorf("row %d: source %v\ntarget %v", i, s[i], d[i])
				break
			}
		}
		ids := func(rs [][5]sql.NullString) (out []string) {
			for _, r := range rs {
				out = append(out, r[0].String)
			}
			return out
		}
		t.Logf("source ids %v\ntarget ids %v", ids(s), ids(d))
		journal.ScanDecoded(ctx, j.Path(), func(e journal.Event, p any, err error) error {
			if c, ok := p.(journal.CDCChangesPayload); ok {
				for _, ch := range c.Changes {
					k := ""
					if len(ch.Key) > 0 && ch.Key[0] != nil {
						k = *ch.Key[0]
					}
					nk := ""
					if len(ch.New) > 0 && ch.New[0] != nil {
						nk = *ch.New[0]
					}
					t.Logf("seq %d %s %s key %s new %s", e.Seq, c.Position, ch.Op, k, nk)
				}
			}
			return nil
		})
		t.Fatalf("target differs from source: %d rows vs %d", len(d), len(s))
	}
}

// lit is a PostgreSQL literal for a test value.
func lit(v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	return quoteLiteral(v.String)
}

// TestMariaDBIdentityMismatch: a journal whose stream was started on
// another server is a position lost error, not a capture.
func TestMariaDBIdentityMismatch(t *testing.T) {
	my := cdctest.MariaDB(t)
	ctx := context.Background()
	dsn := my.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.Append(ctx, "cdc", "start", journal.CDCStreamStarted, journal.CDCStreamPayload{
		Stream: "other", Engine: "mysql", Tables: []string{"items"}, SystemID: "mariadb server_id 1 gtid_domain_id 0", Start: "0-1-5"}); err != nil {
		t.Fatal(err)
	}
	err = (&MyCapture{DSN: dsn, Stream: "other", ServerID: 9002, Journal: j}).Run(ctx)
	var lost *PositionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("Run = %v, want a position lost error", err)
	}
}

// TestMariaDBBinlogPurged: a journal position whose binlog was purged is a
// position lost error naming the position, and nothing is spooled.
func TestMariaDBBinlogPurged(t *testing.T) {
	my := cdctest.MariaDB(t)
	ctx := context.Background()
	dsn := my.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	src, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec(itemsMyDDL); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	const stream = "s_purged"
	snap, _, err := (MyStream{DSN: dsn, Stream: stream, Tables: []string{"items"}}).Create(ctx, j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	wr := &myWriter{db: src, next: 1}
	for range 5 {
		if err := wr.step(); err != nil {
			t.Fatal(err)
		}
	}
	// The binlog holding the stream's changes goes, while nothing captures
	// (a file is purged once the server's binlog checkpoint has passed it).
	purged := false
	for range 50 {
		if _, err := src.Exec("FLUSH BINARY LOGS"); err != nil {
			t.Fatal(err)
		}
		var last string
		if err := src.QueryRow("SHOW MASTER STATUS").Scan(&last, new(any), new(any), new(any)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := src.Exec("PURGE BINARY LOGS TO '" + last + "'"); err != nil {
			t.Fatal(err)
		}
		var first string
		if err := src.QueryRow("SHOW BINARY LOGS").Scan(&first, new(any)); err != nil {
			t.Fatal(err)
		}
		if first == last {
			purged = true
			break
		}
	}
	if !purged {
		t.Fatal("the server kept its old binlogs")
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = (&MyCapture{DSN: dsn, Stream: stream, ServerID: 9003, Journal: j}).Run(rctx)
	var lost *PositionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("Run = %v, want a position lost error", err)
	}
	t.Logf("evidence: %v", lost)
	var oldest string
	if err := src.QueryRow("SHOW BINARY LOGS").Scan(&oldest, new(any)); err != nil {
		t.Fatal(err)
	}
	saved, _, _ := ReadSpooled(ctx, j.Path(), stream)
	if len(lost.Evidence) != 1 || !strings.Contains(lost.Evidence[0], "binlog purged: the oldest binlog on the server, "+oldest+", starts after GTID ") ||
		!strings.Contains(lost.Evidence[0], "the journal's position is "+saved.Resume()) {
		t.Fatalf("evidence %q: want the oldest binlog's GTID against the saved %s", lost.Evidence, saved.Resume())
	}
	if sp, _, _ := ReadSpooled(ctx, j.Path(), stream); sp.Count != 0 {
		t.Fatalf("spooled %d transactions from a purged position", sp.Count)
	}
}

// myItemsWorld is a MariaDB source with items on the throwaway server, a
// journal and a started stream.
type myItemsWorld struct {
	dsn    string
	src    *sql.DB
	j      *journal.Store
	stream string
	wr     *myWriter
}

func newMyItemsWorld(t testing.TB) *myItemsWorld {
	t.Helper()
	my := cdctest.MariaDB(t)
	ctx := context.Background()
	w := &myItemsWorld{dsn: my.CreateDatabase(t, dbtest.UniqueName(t, "src"))}
	var err error
	if w.src, err = sql.Open("mysql", w.dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.src.Close() })
	if _, err := w.src.Exec(itemsMyDDL); err != nil {
		t.Fatal(err)
	}
	if w.j, err = journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.j.Close() })
	w.stream = "s_" + dbtest.UniqueName(t, "m")[len("m_"):]
	if len(w.stream) > 63 {
		w.stream = w.stream[:63]
	}
	snap, _, err := (MyStream{DSN: w.dsn, Stream: w.stream, Tables: []string{"items"}}).Create(ctx, w.j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	w.wr = &myWriter{db: w.src, next: 1}
	return w
}

func (w *myItemsWorld) capture(id uint32) *MyCapture {
	return &MyCapture{DSN: w.dsn, Stream: w.stream, ServerID: id, Journal: w.j, Actor: "cdc", StepID: "capture", Retry: 50 * time.Millisecond}
}

// waitSpooled waits until the journal holds n transactions of the stream.
func (w *myItemsWorld) waitSpooled(t testing.TB, n int64) Spooled {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sp, _, err := ReadSpooled(context.Background(), w.j.Path(), w.stream)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Count >= n || time.Now().After(deadline) {
			if sp.Count != n {
				t.Fatalf("journal holds %d transactions, want %d", sp.Count, n)
			}
			return sp
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killDump kills the server's binlog dump threads (the capture's
// connection) and returns how many it killed.
func killDump(t *testing.T, admin *sql.DB) int {
	t.Helper()
	rows, err := admin.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		admin.Exec(fmt.Sprintf("KILL %d", id))
	}
	return len(ids)
}

// TestMariaDBReconnectAfterKill: the binlog dump thread killed three
// times while a writer commits: the capture reconnects from the journal's
// position each time, the journal holds every writer transaction once, in
// order, and the target (the shared MariaDB, by MyApplier) equals the
// source. MyLag then reads the stream as caught up.
func TestMariaDBReconnectAfterKill(t *testing.T) {
	w := newMyItemsWorld(t)
	ctx := context.Background()
	admin := myOpen(t, cdctest.MariaDB(t).DSN)
	sp0, _, err := ReadSpooled(ctx, w.j.Path(), w.stream)
	if err != nil {
		t.Fatal(err)
	}
	if lag, err := MyLag(ctx, w.dsn, sp0, MyPoint{}); err != nil || lag.SourceLagBytes != -1 || lag.SourceLagMS != -1 || lag.HeadroomBytes != -1 || lag.OldestLog == "" {
		t.Fatalf("lag before any coordinate = %+v, %v; want -1 (not measurable) with the oldest binlog", lag, err)
	}
	var reconnects atomic.Int32
	c := w.capture(9011)
	c.OnReconnect = func(error) { reconnects.Add(1) }
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(cctx) }()
	killed := 0
	for i := range 300 {
		if err := w.wr.step(); err != nil {
			t.Fatal(err)
		}
		if i%80 == 40 {
			k := 0
			for deadline := time.Now().Add(10 * time.Second); k == 0 && time.Now().Before(deadline); {
				k = killDump(t, admin)
				if k == 0 {
					time.Sleep(20 * time.Millisecond)
				}
			}
			killed += k
		}
	}
	sp := w.waitSpooled(t, int64(w.wr.txs))
	time.Sleep(200 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("capture: %v", err)
	}
	if killed < 3 || reconnects.Load() < 3 {
		t.Fatalf("killed %d dump threads, the capture reconnected %d times; want 3 each", killed, reconnects.Load())
	}
	if sp2 := w.waitSpooled(t, int64(w.wr.txs)); sp2.LastSeq != sp.LastSeq {
		t.Fatal("more spooled after the wait: doubled")
	}
	var prev uint64
	journal.ScanDecoded(ctx, w.j.Path(), func(e journal.Event, p any, err error) error {
		if tx, ok := p.(journal.CDCChangesPayload); ok {
			seqs, err := myGTIDSeqs(tx.Position)
			if err != nil {
				t.Fatal(err)
			}
			if seqs[0] <= prev {
				t.Errorf("seq %d: position %s not after %d", e.Seq, tx.Position, prev)
			}
			prev = seqs[0]
		}
		return nil
	})
	dst, tdb := myTargetDB(t)
	if _, err := tdb.Exec(itemsMyDDL); err != nil {
		t.Fatal(err)
	}
	n, err := (&MyApplier{DSN: dst, Stream: w.stream, JournalPath: w.j.Path()}).Apply(ctx)
	if err != nil || n != w.wr.txs {
		t.Fatalf("applied %d, %v; the writer committed %d", n, err, w.wr.txs)
	}
	if s, d := myRows(t, w.src), myRows(t, tdb); !slices.Equal(s, d) {
		t.Fatalf("target (%d rows) differs from source (%d rows)", len(d), len(s))
	}
	lag, err := MyLag(ctx, w.dsn, sp, MyPoint{})
	if err != nil {
		t.Fatal(err)
	}
	if lag.SourceLagBytes != 0 || lag.SourceLagMS != 0 || len(lag.Lost) != 0 || lag.OldestLog == "" || lag.HeadroomBytes != -1 {
		t.Fatalf("lag of a caught-up stream (its position in the active binlog: no headroom figure, never graded low): %+v", lag)
	}
	// A write to another table: from the last spooled commit the source
	// is ahead; from a capture's read point that passed it, it is not.
	if _, err := w.src.Exec("CREATE TABLE other (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if lag, _ = MyLag(ctx, w.dsn, sp, MyPoint{}); lag.SourceLagBytes <= 0 || lag.SourceLagMS < 0 {
		t.Fatalf("lag after an uncaptured write, from the spooled commit: %+v", lag)
	}
	c2 := w.capture(9012)
	cctx, cancel = context.WithCancel(ctx)
	go func() { done <- c2.Run(cctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lag, err = MyLag(ctx, w.dsn, sp, c2.ReadPoint())
		if err != nil {
			t.Fatal(err)
		}
		if lag.SourceLagBytes == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if lag.SourceLagBytes != 0 {
		t.Fatalf("lag from the read point of a capture that read everything: %+v", lag)
	}
	// Once the binlog rotates, the saved position is in a file a purge
	// can remove: headroom is counted again (the files before it).
	if _, err := w.src.Exec("FLUSH BINARY LOGS"); err != nil {
		t.Fatal(err)
	}
	if lag, err = MyLag(ctx, w.dsn, sp, c2.ReadPoint()); err != nil || lag.HeadroomBytes < 0 {
		t.Fatalf("headroom of a position in a rotated binlog: %+v, %v", lag, err)
	}
}

// TestMariaDBSchemaChangeMidStream: an ALTER TABLE of a captured table —
// in the captured database's session, or qualified from a session in
// another database — stops the capture with a *SchemaChangedError; every
// transaction before it is spooled, none after; a restart stops at the same
// place.
func TestMariaDBSchemaChangeMidStream(t *testing.T) {
	for _, qualified := range []bool{false, true} {
		t.Run(fmt.Sprintf("qualified=%v", qualified), func(t *testing.T) {
			w := newMyItemsWorld(t)
			ctx := context.Background()
			for range 20 {
				if err := w.wr.step(); err != nil {
					t.Fatal(err)
				}
			}
			before := w.wr.txs
			alter, on := "ALTER TABLE items ADD COLUMN extra int NULL", w.src
			if qualified {
				name := w.dsn[strings.LastIndex(w.dsn, "/")+1:]
				alter, on = "ALTER TABLE `"+name+"`.items ADD COLUMN extra int NULL", myOpen(t, cdctest.MariaDB(t).DSNFor("mysql"))
			}
			if _, err := on.Exec(alter); err != nil {
				t.Fatal(err)
			}
			if _, err := w.src.Exec("INSERT INTO items (id, name, extra) VALUES (100000, 'after', 1)"); err != nil {
				t.Fatal(err)
			}
			for run := range 2 {
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := w.capture(9013).Run(rctx)
				cancel()
				var sc *SchemaChangedError
				if !errors.As(err, &sc) || sc.Table != "items" || !strings.Contains(sc.After, "ADD COLUMN extra") {
					t.Fatalf("run %d: Run = %v, want a schema change of items", run, err)
				}
				if sp, _, _ := ReadSpooled(ctx, w.j.Path(), w.stream); sp.Count != int64(before) {
					t.Fatalf("run %d: spooled %d transactions, want the %d before the ALTER", run, sp.Count, before)
				}
			}
		})
	}
}

// TestMariaDBPositionPastServer: a journal position the server's binlog
// never reached (a source restored from a backup, or reset) is a position
// lost error saying so, before any event is read.
func TestMariaDBPositionPastServer(t *testing.T) {
	w := newMyItemsWorld(t)
	ctx := context.Background()
	sp, _, err := ReadSpooled(ctx, w.j.Path(), w.stream)
	if err != nil {
		t.Fatal(err)
	}
	seqs, _ := myGTIDSeqs(sp.Started.Start)
	ahead := fmt.Sprintf("0-%d-%d", cdctest.MariaDB(t).ServerID, seqs[0]+1000)
	if _, err := w.j.Append(ctx, "cdc", "capture", journal.CDCChanges, journal.CDCChangesPayload{Stream: w.stream, Position: ahead, At: time.Now(), Changes: []journal.CDCChange{}}); err != nil {
		t.Fatal(err)
	}
	err = w.capture(9014).Run(ctx)
	var lost *PositionLostError
	if !errors.As(err, &lost) || !strings.Contains(lost.Error(), "before the journal's position "+ahead) {
		t.Fatalf("Run = %v, want a position lost error naming %s", err, ahead)
	}
}
