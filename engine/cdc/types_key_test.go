package cdc

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// TestBinaryKeyStream: a MariaDB table keyed by a BINARY(4) — whose
// trailing zero bytes the binlog drops — streams inserts, an update by
// key, an update that moves the key and a delete to a MariaDB and a
// PostgreSQL target, which end holding exactly the source's rows.
func TestBinaryKeyStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	my := cdctest.MariaDB(t)
	src := my.CreateDatabase(t, dbtest.UniqueName(t, "ks"))
	s := myOpen(t, src)
	if _, err := s.Exec("CREATE TABLE kb (k binary(4) PRIMARY KEY, v varbinary(4))"); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	stream := "s_" + dbtest.UniqueName(t, "k")[2:]
	started, err := Create(ctx, db.MySQL, StreamSpec{Source: "src", DSN: src, Stream: stream, Tables: []string{"kb"}}, j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	started.Release(ctx)
	capture, err := NewCapture(db.MySQL, CaptureSpec{DSN: src, Stream: stream, Journal: j, Actor: "cdc", StepID: "capture"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- capture.Run(cctx) }()
	for _, q := range []string{
		"INSERT INTO kb VALUES (x'01', x'00'), (x'02', x'ff00'), (x'0300', NULL)",
		// A BINARY(4) compares padded: its key is x'01000000'.
		"UPDATE kb SET v = x'0000' WHERE k = x'01000000'",
		"UPDATE kb SET k = x'04' WHERE k = x'02000000'",
		"DELETE FROM kb WHERE k = x'03000000'",
	} {
		if _, err := s.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	began := time.Now()
	for {
		sp, _, err := ReadSpooled(ctx, j.Path(), stream)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Count == 4 {
			break
		}
		if time.Since(began) > 20*time.Second {
			for _, tx := range spooledTxs(t, j, stream) {
				t.Logf("spooled %+v", tx)
			}
			t.Fatalf("spooled %d transactions after 20s", sp.Count)
		}
		select {
		case err := <-done:
			t.Fatalf("capture: %v (spooled %d transactions)", err, sp.Count)
		case <-time.After(30 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	rows := func(s *sql.DB, q string) []string {
		t.Helper()
		r, err := s.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var k, v string
			if err := r.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, k+"="+v)
		}
		return out
	}
	want := rows(s, "SELECT LOWER(HEX(k)), COALESCE(LOWER(HEX(v)), 'NULL') FROM kb ORDER BY k")
	if !slices.Equal(want, []string{"01000000=0000", "04000000=ff00"}) {
		t.Fatalf("source rows %v", want)
	}
	mdst := my.CreateDatabase(t, dbtest.UniqueName(t, "kt"))
	md := myOpen(t, mdst)
	if _, err := md.Exec("CREATE TABLE kb (k binary(4) PRIMARY KEY, v varbinary(4))"); err != nil {
		t.Fatal(err)
	}
	pdst := cdctest.Postgres(t).CreateDatabase(t, dbtest.UniqueName(t, "kp"))
	pgExec(t, pdst, "CREATE TABLE kb (k bytea PRIMARY KEY, v bytea)")
	pd, err := sql.Open("pgx", pdst)
	if err != nil {
		t.Fatal(err)
	}
	defer pd.Close()
	for _, target := range []struct {
		driver, dsn string
		rows        func() []string
	}{
		{db.MySQL, mdst, func() []string {
			return rows(md, "SELECT LOWER(HEX(k)), COALESCE(LOWER(HEX(v)), 'NULL') FROM kb ORDER BY k")
		}},
		{db.Postgres, pdst, func() []string {
			return rows(pd, "SELECT encode(k, 'hex'), COALESCE(encode(v, 'hex'), 'NULL') FROM kb ORDER BY k")
		}},
	} {
		a, err := NewApplier(target.driver, ApplySpec{DSN: target.dsn, Stream: stream, JournalPath: j.Path()})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := a.Apply(ctx); err != nil || n != 4 {
			t.Fatalf("%s: Apply = %d, %v; want 4 transactions", target.driver, n, err)
		}
		if got := target.rows(); !slices.Equal(got, want) {
			t.Errorf("%s target rows %v, want the source's %v", target.driver, got, want)
		}
	}
}
