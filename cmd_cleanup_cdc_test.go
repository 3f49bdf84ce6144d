package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// pgCount runs a COUNT query on dsn.
func pgCount(t *testing.T, dsn, q string, args ...any) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCleanupRemovesWhatChangeCaptureLeft: after a finished PostgreSQL →
// PostgreSQL run with a change stream, the stream's slot and publication
// stay on the source and its position row on the target; cleanup lists
// them, removes nothing when not told yes, then with --yes drops the slot,
// the publication and the (then empty) position table, printing each; a
// second cleanup finds nothing. Neither output holds the DSNs' secret.
func TestCleanupRemovesWhatChangeCaptureLeft(t *testing.T) {
	srv := cdctest.Postgres(t)
	src := srv.CreateDatabase(t, dbtest.UniqueName(t, "cln"))
	dst := srv.CreateDatabase(t, dbtest.UniqueName(t, "clnnew"))
	ddl := `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)`
	exec := func(dsn, sql string) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(src, ddl)
	exec(dst, ddl)
	exec(src, `INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 200) g`)
	mig := fmt.Sprintf("CLN-%d", time.Now().UnixNano()%1e9)
	dir := t.TempDir()
	rb := filepath.Join(dir, "cdc.yaml")
	yaml := `version: 1
name: cleanup of a change stream
migration_id: ` + mig + `
decision_maker: alice
objectives: { rto: 10m, rpo: 0s, expected: 30m, window: 2h }
connections:
  source: { driver: postgres, dsn_env: CLN_SRC_DSN }
  target: { driver: postgres, dsn_env: CLN_DST_DSN }
steps:
  - { id: capture, title: Capture, kind: cdc-start, tables: [items] }
  - { id: bulk, title: Copy, kind: copy, tables: [items] }
  - { id: more, title: Write while capturing, kind: sql, on: source, run: "INSERT INTO items SELECT g, 'j' || g FROM generate_series(201, 250) g" }
  - { id: catch-up, title: Catch up, kind: cdc-catchup, lag: 2s, timeout: 5m }
  - { id: check, title: Compare, kind: verify, tables: [items] }
`
	if err := os.WriteFile(rb, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"CLN_SRC_DSN=" + src, "CLN_DST_DSN=" + dst}
	j := filepath.Join(dir, "cdc.journal")
	out, code := tightrope(t, env, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	events, err := journal.ReadAll(j)
	if err != nil {
		t.Fatal(err)
	}
	st := journal.Fold(events)
	if len(st.CDC) != 1 {
		t.Fatalf("streams in the journal: %d, want 1", len(st.CDC))
	}
	slot := st.CDC[0].Stream
	// The slot's cleanup in case the test fails before cleanup drops it.
	t.Cleanup(func() {
		exec(src, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"+slot+"'; DROP PUBLICATION IF EXISTS "+slot)
	})
	slots := func() int {
		return pgCount(t, src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", slot)
	}
	pubs := func() int { return pgCount(t, src, "SELECT count(*) FROM pg_publication WHERE pubname = $1", slot) }
	positionTable := func() int {
		return pgCount(t, dst, "SELECT count(*) FROM pg_tables WHERE tablename = $1 AND schemaname = current_schema()", cdc.PositionTable)
	}
	if slots() != 1 || pubs() != 1 || positionTable() != 1 {
		t.Fatalf("after the run: slots %d, publications %d, position tables %d; want 1 each", slots(), pubs(), positionTable())
	}
	if n := pgCount(t, dst, "SELECT count(*) FROM "+cdc.PositionTable+" WHERE stream = $1", slot); n != 1 {
		t.Fatalf("position rows of %s: %d, want 1", slot, n)
	}

	// While a capture reads the slot, cleanup keeps the slot, its
	// publication and its position.
	holdSlot(t, src, slot, func() {
		out, code := tightrope(t, env, "cleanup", "--yes", j)
		if code != 0 || !strings.Contains(out, "keep    replication slot "+slot) || !strings.Contains(out, "keep    publication "+slot) || strings.Contains(out, "dropped replication slot") {
			t.Fatalf("cleanup while the slot is active: exit %d:\n%s", code, out)
		}
		if slots() != 1 || pubs() != 1 || positionTable() != 1 {
			t.Fatalf("cleanup removed what an active slot uses:\n%s", out)
		}
	})

	out, code = tightropeIn(t, env, "no\n", "cleanup", j)
	if code == 0 || !strings.Contains(out, "nothing was removed") {
		t.Fatalf("unconfirmed cleanup: exit %d:\n%s", code, out)
	}
	for _, s := range []string{"remove  replication slot " + slot, "remove  publication " + slot, "remove  position of stream " + slot} {
		if !strings.Contains(out, s) {
			t.Errorf("plan lacks %q:\n%s", s, out)
		}
	}
	if slots() != 1 || pubs() != 1 || positionTable() != 1 {
		t.Fatalf("unconfirmed cleanup removed something:\n%s", out)
	}

	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 {
		t.Fatalf("cleanup: exit %d:\n%s", code, out)
	}
	for _, s := range []string{"dropped replication slot " + slot, "dropped publication " + slot, "dropped " + cdc.PositionTable + " (empty)"} {
		if !strings.Contains(out, s) {
			t.Errorf("cleanup output lacks %q:\n%s", s, out)
		}
	}
	if slots() != 0 || pubs() != 0 || positionTable() != 0 {
		t.Fatalf("after cleanup: slots %d, publications %d, position tables %d; want none:\n%s", slots(), pubs(), positionTable(), out)
	}
	if strings.Contains(out, src) || strings.Contains(out, dst) {
		t.Errorf("cleanup printed a DSN:\n%s", out)
	}

	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("second cleanup: exit %d:\n%s", code, out)
	}
}

// holdSlot streams from the slot on a replication connection (so the slot
// is active) while fn runs.
func holdSlot(t *testing.T, dsn, slot string, fn func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, dsn+"&replication=database")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = pglogrepl.StartReplication(ctx, conn, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + slot + "'"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for pgCount(t, dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND active", slot) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slot did not become active")
		}
		time.Sleep(50 * time.Millisecond)
	}
	fn()
}

// TestCleanupRemovesAMariaDBStreamsPosition: a MariaDB stream holds
// nothing on its source (a binlog position only), so after a finished
// MariaDB → PostgreSQL run with change capture cleanup lists only the
// stream's position on the target, removes it (dropping the emptied
// table), and a second cleanup finds nothing.
func TestCleanupRemovesAMariaDBStreamsPosition(t *testing.T) {
	my, pg := cdctest.MariaDB(t), cdctest.Postgres(t)
	src := my.CreateDatabase(t, dbtest.UniqueName(t, "clm"))
	dst := pg.CreateDatabase(t, dbtest.UniqueName(t, "clmpg"))
	mdb, err := sql.Open("mysql", src)
	if err != nil {
		t.Fatal(err)
	}
	defer mdb.Close()
	for _, q := range []string{"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL)", "INSERT INTO items VALUES (1, 'a'), (2, 'b')"} {
		if _, err := mdb.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE TABLE items (id int PRIMARY KEY, name varchar(100) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rb := filepath.Join(dir, "mycdc.yaml")
	yaml := `version: 1
name: cleanup of a MariaDB stream
migration_id: ` + fmt.Sprintf("CLM-%d", time.Now().UnixNano()%1e9) + `
decision_maker: alice
objectives: { rto: 10m, rpo: 0s, expected: 30m, window: 2h }
connections:
  source: { driver: mysql, dsn_env: CLM_SRC_DSN }
  target: { driver: postgres, dsn_env: CLM_DST_DSN }
steps:
  - { id: capture, title: Capture, kind: cdc-start, tables: [items] }
  - { id: bulk, title: Copy, kind: copy, tables: [items] }
  - { id: more, title: Write while capturing, kind: sql, on: source, run: "INSERT INTO items VALUES (3, 'c'), (4, 'd')" }
  - { id: catch-up, title: Catch up, kind: cdc-catchup, lag: 2s, timeout: 5m }
  - { id: check, title: Compare, kind: verify, tables: [items] }
`
	if err := os.WriteFile(rb, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "mysql://" + strings.Replace(strings.Replace(src, "@tcp(", "@", 1), ")/", "/", 1)
	env := []string{"CLM_SRC_DSN=" + url, "CLM_DST_DSN=" + dst}
	j := filepath.Join(dir, "mycdc.journal")
	out, code := tightrope(t, env, "run", rb, "--plain", "--auto-decide", "continue", "--as", "alice", "--journal", j)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	st := journal.Fold(mustReadAll(t, j))
	if len(st.CDC) != 1 {
		t.Fatalf("streams in the journal: %d, want 1", len(st.CDC))
	}
	stream := st.CDC[0].Stream
	if n := pgCount(t, dst, "SELECT count(*) FROM "+cdc.PositionTable+" WHERE stream = $1", stream); n != 1 {
		t.Fatalf("position rows of %s after the run: %d, want 1", stream, n)
	}
	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 {
		t.Fatalf("cleanup: exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "deleted the position of stream "+stream+" and dropped "+cdc.PositionTable+" (empty) on target") {
		t.Errorf("cleanup output lacks the position's removal:\n%s", out)
	}
	if strings.Contains(out, "replication slot") || strings.Contains(out, "publication") {
		t.Errorf("cleanup lists source objects a MariaDB stream does not have:\n%s", out)
	}
	if n := pgCount(t, dst, "SELECT count(*) FROM pg_tables WHERE tablename = $1 AND schemaname = current_schema()", cdc.PositionTable); n != 0 {
		t.Fatalf("%s still on the target after cleanup:\n%s", cdc.PositionTable, out)
	}
	out, code = tightrope(t, env, "cleanup", "--yes", j)
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("second cleanup: exit %d:\n%s", code, out)
	}
}

func mustReadAll(t *testing.T, path string) []journal.Event {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return events
}
