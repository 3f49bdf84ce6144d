package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
)

// clockAt returns a clock fixed at 02:00 plus minutes.
func clockAt(minutes int) func() time.Time {
	at := time.Date(2026, 3, 14, 2, minutes, 0, 0, time.UTC)
	return func() time.Time { return at }
}

func request(dir, method string, minutes int) Request {
	return Request{MigrationID: "MIG-7", StepID: "snap", Connection: "source", DSNEnv: testDSNEnv,
		Method: method, Dir: dir, Now: clockAt(minutes)}
}

// liveChecksums reads the manifest's tables on d now, each checksum of
// the kind the manifest holds.
func liveChecksums(t testing.TB, d db.DB, m journal.SnapshotPayload) []journal.TableSnapshot {
	t.Helper()
	got, err := checksums(testCtx(t), d, names(m), m.Tables)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// canonicalChecksums reads the manifest's tables on d now with the
// canonical, engine-neutral checksum: an independent witness of the
// server-side checksums the manifests of server engines hold.
func canonicalChecksums(t testing.TB, d db.DB, m journal.SnapshotPayload) []journal.TableSnapshot {
	t.Helper()
	got, err := verify.Checksums(testCtx(t), d, names(m))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantKind is the checksum kind a capture of d records: the server's own,
// canonical (no prefix) for SQLite.
func wantKind(d db.DB) string {
	switch d.Driver() {
	case db.Postgres:
		return db.ChecksumPostgres
	case db.MySQL:
		return db.ChecksumMySQL
	}
	return ""
}

func mustTake(t testing.TB, d db.DB, req Request) journal.SnapshotPayload {
	t.Helper()
	m, err := Take(testCtx(t), d, req)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return m
}

// checkRoundTrip snapshots the fixture, damages the live data, restores,
// and proves the restored tables equal the manifest; twice, since the
// snapshot must survive a restore for a second rollback.
func checkRoundTrip(t *testing.T, d db.DB, method string, inServer bool, extra ...string) {
	ctx := testCtx(t)
	fixture(t, d)
	dir := t.TempDir()
	m := mustTake(t, d, request(dir, method, 0))
	if m.Method != method || m.InServer != inServer || m.Tool == "" || m.ToolVersion == "" || m.Driver != d.Driver() ||
		m.DSNEnv != testDSNEnv || m.MigrationID != "MIG-7" || m.Step != "snap" || m.SHA256 == "" {
		t.Fatalf("manifest %+v", m)
	}
	want := map[string]int64{"NoKey": 4, "Order Items": 300, "user": 300}
	if len(m.Tables) != 3 {
		t.Fatalf("tables %+v", m.Tables)
	}
	for _, tb := range m.Tables {
		if want[tb.Table] != tb.Rows || tb.Checksum == "" || kindOf(tb.Checksum) != wantKind(d) {
			t.Errorf("manifest table %+v, want %d rows and a %q checksum", tb, want[tb.Table], wantKind(d))
		}
	}
	canonical := canonicalChecksums(t, d, m) // nothing writes: the data as captured
	if strings.Contains(m.Database, "@") && strings.Contains(m.Database, ":") && strings.Contains(m.Database, "[") {
		t.Errorf("database description %q", m.Database)
	}
	list, err := List(dir)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0].SnapshotPayload, m) {
		t.Fatalf("List = %+v, %v; want the manifest", list, err)
	}
	if got := liveChecksums(t, d, m); !reflect.DeepEqual(got, m.Tables) {
		t.Fatalf("live checksums at capture %+v, manifest %+v", got, m.Tables)
	}
	exec(t, d, "CREATE TABLE "+d.Quote("Later")+" (x integer)")
	for round := 1; round <= 2; round++ {
		damage(t, d)
		if got := liveChecksums(t, d, m); reflect.DeepEqual(got, m.Tables) {
			t.Fatal("damage changed nothing")
		}
		for i, got := range liveChecksums(t, d, m) {
			if got.Checksum == m.Tables[i].Checksum {
				t.Errorf("the damage to %s left its checksum as it was", got.Table)
			}
		}
		if err := VerifyArtefact(ctx, m, d); err != nil {
			t.Fatalf("round %d: VerifyArtefact: %v", round, err)
		}
		res, err := Restore(ctx, d, m)
		if err != nil {
			t.Fatalf("round %d: Restore: %v", round, err)
		}
		if !res.Verified || !reflect.DeepEqual(res.Tables, m.Tables) {
			t.Fatalf("round %d: restore verified=%v tables %+v, manifest %+v", round, res.Verified, res.Tables, m.Tables)
		}
		if got := liveChecksums(t, d, m); !reflect.DeepEqual(got, m.Tables) {
			t.Fatalf("round %d: after restore %+v, manifest %+v", round, got, m.Tables)
		}
		if got := canonicalChecksums(t, d, m); !reflect.DeepEqual(got, canonical) {
			t.Fatalf("round %d: canonical checksums after restore %+v, at capture %+v", round, got, canonical)
		}
		if !slices.Equal(res.Extra, extra) {
			t.Errorf("round %d: Extra = %q, want %q", round, res.Extra, extra)
		}
	}
}

// checkDamagedArtefact damages the snapshot with spoil and proves Restore
// refuses it before touching the live data, and VerifyArtefact reports it.
func checkDamagedArtefact(t *testing.T, d db.DB, method string, spoil func(m journal.SnapshotPayload)) {
	ctx := testCtx(t)
	fixture(t, d)
	m := mustTake(t, d, request(t.TempDir(), method, 0))
	damage(t, d)
	before := liveChecksums(t, d, m)
	spoil(m)
	if err := VerifyArtefact(ctx, m, d); !errors.Is(err, ErrDamaged) {
		t.Fatalf("VerifyArtefact of a damaged artefact: %v, want ErrDamaged", err)
	}
	_, err := Restore(ctx, d, m)
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Restore of a damaged artefact: %v, want ErrDamaged", err)
	}
	t.Logf("restore refused: %v", err)
	if got := liveChecksums(t, d, m); !reflect.DeepEqual(got, before) {
		t.Fatalf("the refused restore changed the live data: %+v, before %+v", got, before)
	}
}

// flipByte flips one byte in the middle of a file artefact.
func flipByte(t testing.TB) func(m journal.SnapshotPayload) {
	return func(m journal.SnapshotPayload) {
		b, err := os.ReadFile(m.Artefact)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x20
		if err := os.WriteFile(m.Artefact, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkPrune takes three snapshots and prunes to two: the oldest goes,
// artefact (file or in-server database) and manifest; keep 1 is refused;
// a dry run deletes nothing.
func checkPrune(t *testing.T, d db.DB, method string) {
	ctx := testCtx(t)
	fixture(t, d)
	dir := t.TempDir()
	var ms []journal.SnapshotPayload
	for i := range 3 {
		ms = append(ms, mustTake(t, d, request(dir, method, i)))
	}
	other := request(dir, method, 9)
	other.Connection = "target"
	mustTake(t, d, other)
	if _, err := Prune(ctx, dir, 1, false, nil); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Fatalf("Prune keep 1: %v", err)
	}
	connect := func(context.Context, journal.SnapshotPayload) (db.DB, error) { return d, nil }
	rep, err := Prune(ctx, dir, 2, true, connect)
	if err != nil || len(rep.Deleted) != 1 || rep.Deleted[0].Label != ms[0].Label || len(rep.Kept) != 3 {
		t.Fatalf("dry run: %+v, %v", rep, err)
	}
	if list, _ := List(dir); len(list) != 4 {
		t.Fatalf("the dry run deleted: %d left", len(list))
	}
	if err := VerifyArtefact(ctx, ms[0], d); err != nil {
		t.Fatalf("the dry run damaged the oldest: %v", err)
	}
	rep, err = Prune(ctx, dir, 2, false, connect)
	if err != nil || len(rep.Deleted) != 1 || len(rep.Skipped) != 0 {
		t.Fatalf("prune: %+v, %v", rep, err)
	}
	list, _ := List(dir)
	if len(list) != 3 || list[0].Label != ms[1].Label {
		t.Fatalf("after prune: %+v", list)
	}
	if err := VerifyArtefact(ctx, ms[0], d); !errors.Is(err, ErrDamaged) {
		t.Fatalf("the pruned artefact still verifies: %v", err)
	}
	for _, m := range ms[1:] {
		if err := VerifyArtefact(ctx, m, d); err != nil {
			t.Fatalf("a kept snapshot is damaged: %v", err)
		}
	}
	if rep, err := Prune(ctx, dir, 2, false, connect); err != nil || len(rep.Deleted) != 0 {
		t.Fatalf("second prune: %+v, %v", rep, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 6 {
		t.Errorf("%d files left in %s", len(entries), dir)
	}
}

// checkConcurrentWrites snapshots while a writer moves value between two
// tables in transactions (the sum over both never changes) and appends
// rows: the manifest must equal what a restore brings back (artefact and
// checksums are one instant), and the restored tables must keep the sum
// (the instant is consistent across tables).
func checkConcurrentWrites(t *testing.T, d db.DB, method string) {
	ctx := testCtx(t)
	q := d.Quote
	exec(t, d, "CREATE TABLE "+q("Acct A")+" (id integer NOT NULL PRIMARY KEY, v integer NOT NULL)",
		"CREATE TABLE "+q("acct_b")+" (id integer NOT NULL PRIMARY KEY, v integer NOT NULL)")
	var rows []string
	for i := 1; i <= 5000; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 100)", i))
	}
	exec(t, d, "INSERT INTO "+q("Acct A")+" VALUES "+strings.Join(rows, ", "), "INSERT INTO "+q("acct_b")+" VALUES "+strings.Join(rows, ", "))
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			tx, err := d.SQL().BeginTx(ctx, nil)
			if err != nil {
				continue
			}
			id := i%5000 + 1
			_, err = tx.Exec("UPDATE " + q("acct_b") + " SET v = v + 1 WHERE id = " + fmt.Sprint(id))
			if err == nil {
				_, err = tx.Exec("UPDATE " + q("Acct A") + " SET v = v - 1 WHERE id = " + fmt.Sprint(5001-id))
			}
			if err == nil && tx.Commit() == nil {
				n++
			} else {
				tx.Rollback()
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	m, err := Take(ctx, d, request(t.TempDir(), method, 0))
	close(stop)
	n := <-done
	if err != nil {
		t.Fatalf("Take under writes: %v", err)
	}
	t.Logf("%d transfers committed during the test", n)
	res, err := Restore(ctx, d, m)
	if err != nil || !res.Verified {
		t.Fatalf("restore of a snapshot taken under writes: verified=%v, %v\nmanifest %+v\nrestored %+v", res.Verified, err, m.Tables, res.Tables)
	}
	var sum int64
	if err := d.SQL().QueryRow("SELECT (SELECT SUM(v) FROM " + q("Acct A") + ") + (SELECT SUM(v) FROM " + q("acct_b") + ")").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 2*5000*100 {
		t.Fatalf("the snapshot is not one instant across tables: sum %d, want %d", sum, 2*5000*100)
	}
}
