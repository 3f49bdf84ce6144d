package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// typeCase is one source value: written into column col of its own row
// as the SQL literal lit, streamed and copied. refuse "" means it must
// land in the stream's target exactly as the bulk copy lands it; otherwise
// the copy must reject the row and the stream refuse it with an error
// containing refuse.
type typeCase struct {
	name, col, lit, refuse string
}

// typeDirection is one direction of the stream with its tables: the
// columns after the key on the source and on the target, and the PostgreSQL
// database encodings ("" is UTF8).
type typeDirection struct {
	name           string
	src, dst       string // db.Postgres | db.MySQL
	srcEnc, dstEnc string
	srcCols        string
	dstCols        string
	cases          []typeCase
}

// typeWorld is a direction's databases: the source, the copy's target and
// the stream's target.
type typeWorld struct {
	d                    typeDirection
	source, copy, strm   string // DSNs
	journal              *journal.Store
	stream               string
	srcSQL, cpSQL, stSQL *sql.DB
}

// typeDatabase creates a database for a direction on the throwaway server
// of driver (PostgreSQL in encoding enc when set) with table vals.
func typeDatabase(t *testing.T, driver, enc, prefix, cols string) (string, *sql.DB) {
	t.Helper()
	name := dbtest.UniqueName(t, prefix)
	var dsn string
	switch driver {
	case db.Postgres:
		srv := cdctest.Postgres(t)
		if enc == "" {
			dsn = srv.CreateDatabase(t, name)
		} else {
			pgExec(t, srv.DSN, fmt.Sprintf("CREATE DATABASE %s ENCODING '%s' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'", quoteIdent(name), enc))
			dsn = srv.DSNFor(name)
		}
		pgExec(t, dsn, "CREATE TABLE vals (id int PRIMARY KEY, "+cols+")")
		s, err := sql.Open("pgx", dsn+"&client_encoding=UTF8") // the test's own session: UTF-8 whatever the database's encoding
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return dsn, s
	default:
		dsn = cdctest.MariaDB(t).CreateDatabase(t, name)
		s := myOpen(t, dsn)
		if _, err := s.Exec("CREATE TABLE vals (id int PRIMARY KEY, " + cols + ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"); err != nil {
			t.Fatal(err)
		}
		return dsn, s
	}
}

// runTypeDirection streams and copies every case of d and compares.
func runTypeDirection(t *testing.T, d typeDirection) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	w := &typeWorld{d: d}
	w.source, w.srcSQL = typeDatabase(t, d.src, d.srcEnc, "ts", d.srcCols)
	w.copy, w.cpSQL = typeDatabase(t, d.dst, d.dstEnc, "tc", d.dstCols)
	w.strm, w.stSQL = typeDatabase(t, d.dst, d.dstEnc, "tt", d.dstCols)
	var err error
	if w.journal, err = journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.journal.Close() })
	w.stream = "s_" + strings.TrimPrefix(dbtest.UniqueName(t, "ty"), "ty_")
	if len(w.stream) > 60 {
		w.stream = "s" + w.stream[len(w.stream)-59:]
	}
	started, err := Create(ctx, d.src, StreamSpec{Source: "src", DSN: w.source, Stream: w.stream, Tables: []string{"vals"}}, w.journal, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	started.Release(ctx)
	if d.src == db.Postgres {
		t.Cleanup(func() {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			PGStream{DSN: w.source, Stream: w.stream}.Drop(c)
		})
	}
	capture, err := NewCapture(d.src, CaptureSpec{DSN: w.source, Stream: w.stream, Journal: w.journal, Actor: "cdc", StepID: "capture"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- capture.Run(cctx) }()

	// The values that must arrive go in one source transaction, each
	// refused one in its own after it.
	var good, bad []typeCase
	for _, c := range d.cases {
		if c.refuse == "" {
			good = append(good, c)
		} else {
			bad = append(bad, c)
		}
	}
	ids := map[string]int{}
	insert := func(c typeCase) string {
		ids[c.name] = len(ids) + 1
		return fmt.Sprintf("INSERT INTO vals (id, %s) VALUES (%d, %s)", c.col, ids[c.name], c.lit)
	}
	tx, err := w.srcSQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range good {
		if _, err := tx.ExecContext(ctx, insert(c)); err != nil {
			t.Fatalf("%s: source: %v", c.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, c := range bad {
		if _, err := w.srcSQL.ExecContext(ctx, insert(c)); err != nil {
			t.Fatalf("%s: source: %v", c.name, err)
		}
	}

	// Wait for every transaction, or the capture's refusal.
	want := int64(1 + len(bad))
	var captureErr error
	for {
		sp, _, err := ReadSpooled(ctx, w.journal.Path(), w.stream)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Count >= want {
			break
		}
		select {
		case captureErr = <-done:
			done <- captureErr
		case <-time.After(30 * time.Millisecond):
		}
		if captureErr != nil || ctx.Err() != nil {
			break
		}
	}
	stop()
	if err := <-done; captureErr == nil && err != nil && !errors.Is(err, context.Canceled) {
		captureErr = err
	}
	txs := spooledTxs(t, w.journal, w.stream)

	// The bulk copy of the same rows.
	rejects, copyErr := w.bulkCopy(t, ctx)

	// Each spooled transaction applied on its own (a refusal stops a
	// stream: the next case needs a stream of its own).
	applyErr := map[int]error{}
	for i, tx := range txs {
		stream := fmt.Sprintf("%s_%d", w.stream, i)
		j := respool(t, w.journal, w.stream, stream, tx)
		a, err := NewApplier(d.dst, ApplySpec{DSN: w.strm, Stream: stream, JournalPath: j.Path()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Apply(ctx)
		for _, ch := range tx.Changes {
			if len(ch.Key) == 1 && ch.Key[0] != nil {
				var id int
				fmt.Sscan(*ch.Key[0], &id)
				applyErr[id] = err
			}
		}
	}

	for _, c := range d.cases {
		id := ids[c.name]
		cp, cpOK := w.hexOf(t, w.cpSQL, d.dst, c.col, id)
		st, stOK := w.hexOf(t, w.stSQL, d.dst, c.col, id)
		reason := rejects[id]
		aerr, applied := applyErr[id]
		var got string
		switch {
		case !applied && captureErr != nil:
			got = "capture refused: " + captureErr.Error()
		case !applied:
			got = "never captured"
		case aerr != nil:
			got = "apply refused: " + aerr.Error()
		case stOK:
			got = st
		default:
			got = "missing"
		}
		copied := cp
		switch {
		case copyErr != nil:
			copied, reason = "failed: "+copyErr.Error(), copyErr.Error()
		case !cpOK:
			copied = "rejected: " + reason
		}
		t.Logf("%-14s %-22s copy %-28s stream %s", d.name, c.name, copied, got)
		if c.refuse == "" {
			if !cpOK {
				t.Errorf("%s: the copy rejected %s (%s), the case expects it to land", c.name, c.lit, reason)
			} else if !stOK || aerr != nil || st != cp {
				t.Errorf("%s: %s copied as %s, streamed as %s", c.name, c.lit, cp, got)
			}
			continue
		}
		if cpOK {
			t.Errorf("%s: the copy landed %s as %s, the case expects a reject", c.name, c.lit, cp)
		}
		if stOK || (aerr == nil && (applied || captureErr == nil)) || !strings.Contains(got, c.refuse) {
			t.Errorf("%s: %s streamed as %q, want a refusal saying %q", c.name, c.lit, got, c.refuse)
		}
	}
}

// bulkCopy copies vals from the source to the copy's target and returns
// the rejected rows' reasons by id, or the error that stopped the copy (a
// value the copy cannot even read refuses every row).
func (w *typeWorld) bulkCopy(t *testing.T, ctx context.Context) (map[int]string, error) {
	t.Helper()
	src, dst := typeOpen(t, ctx, w.d.src, w.source), typeOpen(t, ctx, w.d.dst, w.copy)
	sink := &typeSink{rejects: map[int]string{}}
	_, err := copyengine.Table(ctx, src, dst, "vals", runbooks.Step{Batch: 100}, "types/copy", sink)
	return sink.rejects, err
}

// typeOpen opens a database through db.Open as a runbook connection
// would, its DSN in an environment variable of this test's own (the
// directions run in parallel, so t.Setenv is not for them).
func typeOpen(t *testing.T, ctx context.Context, driver, dsn string) db.DB {
	t.Helper()
	env := "TIGHTROPE_TYPES_" + strings.ToUpper(strings.NewReplacer("-", "_", "/", "_").Replace(dbtest.UniqueName(t, "dsn")))
	os.Setenv(env, dsn)
	t.Cleanup(func() { os.Unsetenv(env) })
	d, err := db.Open(ctx, runbooks.Connection{Name: driver, Driver: driver, DSNEnv: env}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// hexOf is the stored bytes of a column of row id on a target, in hex as
// the server reads them (booleans and bits as their text), ok false when
// the row is not there.
func (w *typeWorld) hexOf(t *testing.T, s *sql.DB, driver, col string, id int) (string, bool) {
	t.Helper()
	var q string
	if driver == db.MySQL {
		q = fmt.Sprintf("SELECT COALESCE(HEX(%s), 'NULL') FROM vals WHERE id = ?", quoteMy(col))
	} else {
		var typ string
		if err := s.QueryRow("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'vals'::regclass AND attname = $1", col).Scan(&typ); err != nil {
			t.Fatal(err)
		}
		c := quoteIdent(col)
		expr := "encode(convert_to(" + c + "::text, 'UTF8'), 'hex')"
		switch {
		case typ == "bytea":
			expr = "encode(" + c + ", 'hex')"
		case typ == "text" || strings.HasPrefix(typ, "character"):
			expr = "encode(convert_to(" + c + ", getdatabaseencoding()), 'hex')"
		}
		q = "SELECT COALESCE(" + expr + ", 'NULL') FROM vals WHERE id = $1"
	}
	var out string
	err := s.QueryRow(q, id).Scan(&out)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	if out == "" {
		out = "''"
	}
	return strings.ToLower(out), true
}

// spooledTxs reads a stream's spooled transactions.
func spooledTxs(t *testing.T, j *journal.Store, stream string) []journal.CDCChangesPayload {
	t.Helper()
	var out []journal.CDCChangesPayload
	err := journal.ScanDecoded(context.Background(), j.Path(), func(e journal.Event, p any, err error) error {
		if err != nil {
			return err
		}
		if x, ok := p.(journal.CDCChangesPayload); ok && x.Stream == stream {
			out = append(out, x)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// respool is a journal holding the stream started as in j, renamed, with
// the one transaction tx.
func respool(t *testing.T, j *journal.Store, from, to string, tx journal.CDCChangesPayload) *journal.Store {
	t.Helper()
	sp, _, err := ReadSpooled(context.Background(), j.Path(), from)
	if err != nil {
		t.Fatal(err)
	}
	n, err := journal.Create(filepath.Join(t.TempDir(), to+".journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	started := sp.Started
	started.Stream = to
	tx.Stream = to
	ctx := context.Background()
	if _, err := n.Append(ctx, "cdc", "start", journal.CDCStreamStarted, started); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Append(ctx, "cdc", "capture", journal.CDCChanges, tx); err != nil {
		t.Fatal(err)
	}
	return n
}

// typeSink keeps the copy's rejects' reasons by id.
type typeSink struct {
	mu      sync.Mutex
	rejects map[int]string
}

func (s *typeSink) Rejects(_ context.Context, _ string, rows []copyengine.Rejected) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		var id int
		fmt.Sscan(fmt.Sprint(r.Key["id"]), &id)
		s.rejects[id] = r.Reason + ": " + r.Detail
	}
	return nil
}
func (s *typeSink) Cast(string, string, string, string, int64)          {}
func (s *typeSink) Progress(context.Context, copyengine.Counters) error { return nil }
func (s *typeSink) Created(string, []db.Mapping)                        {}
func (s *typeSink) Retry(string, int, time.Duration, error)             {}
