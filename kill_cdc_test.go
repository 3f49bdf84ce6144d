package main

// SIGKILL under strategy cdc: the bulk copy reads the change stream's
// snapshot (PostgreSQL: the slot's exported snapshot; MariaDB: a held
// connection in a consistent snapshot). A kill ends that snapshot with the
// process, so the resumed copy reads the live tables from its checkpoints,
// and the stream's replay from its start — upsert and delete by key —
// has to make the target converge. A writer inserts, updates (values and
// keys, moving rows across the copy's checkpoints both ways) and deletes
// on the source the whole time, also while no process runs. The real
// binary is killed once, at a random point of the copy or right after
// cdc-start, resumed, and run through the catch-up; then the target must
// equal the source row for row (less the rejected rows), every reject be
// journaled once, read = written + rejected for each table, every
// captured transaction be spooled once and applied once, and the journal
// say that the resumed copy read live and why.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// cdcKillRows is how many rows each table starts with; one in
// killRejectEvery holds N/A where the target wants an integer.
const cdcKillRows = 2500

var cdcKillTables = []string{"items", "parts"}

// cdcKillSide is the source of a kill test: its engine, DSN and a pool.
type cdcKillSide struct {
	driver string // runbook driver: postgres | mysql
	dsn    string
	db     *sql.DB
}

// q turns a statement written with ? placeholders into the side's dialect.
func (s cdcKillSide) q(stmt string) string {
	if s.driver != "postgres" {
		return stmt
	}
	var b strings.Builder
	n := 0
	for _, r := range stmt {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestCDCKillAndResumeMariaDBToPostgres(t *testing.T) {
	t.Parallel()
	my, pg := cdctest.MariaDB(t), cdctest.Postgres(t)
	dsn := my.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	d, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, table := range cdcKillTables {
		if _, err := d.Exec("CREATE TABLE " + table + " (id bigint PRIMARY KEY, qty varchar(16), name varchar(40), " +
			"price decimal(10,2), at datetime(6), note text) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"); err != nil {
			t.Fatal(err)
		}
	}
	runCDCKill(t, cdcKillSide{driver: "mysql", dsn: dsn, db: d}, pg, 1)
}

func TestCDCKillAndResumePostgresToPostgres(t *testing.T) {
	t.Parallel()
	pg := cdctest.Postgres(t)
	dsn := pg.CreateDatabase(t, dbtest.UniqueName(t, "src"))
	d, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, table := range cdcKillTables {
		if _, err := d.Exec("CREATE TABLE " + table + " (id bigint PRIMARY KEY, qty text, name varchar(40), " +
			"price numeric(10,2), at timestamp(6), note text)"); err != nil {
			t.Fatal(err)
		}
	}
	runCDCKill(t, cdcKillSide{driver: "postgres", dsn: dsn, db: d}, pg, 2)
}

// runCDCKill fills the source, starts the writer, runs the runbook and
// kills it once at a point chosen from the seed, resumes it, stops the
// writer once the catch-up is done, waits for a marker written after the
// writer's last transaction to reach the target, ends the run, and checks
// everything.
func runCDCKill(t *testing.T, src cdcKillSide, pg *cdctest.PostgresServer, stream uint64) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("TIGHTROPE_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), stream))
	mode := rng.IntN(4) // one run in four is killed between cdc-start and the copy, on PostgreSQL one more inside cdc-start
	between, inside := mode == 0, mode == 1 && src.driver == "postgres"
	fraction, delay := 0.1+0.8*rng.Float64(), time.Duration(rng.IntN(30))*time.Millisecond
	where := fmt.Sprintf("mid-copy: %.0f%% of the rows in the target, then %s", 100*fraction, delay)
	switch {
	case between:
		where = "between cdc-start and the copy"
	case inside:
		where, delay = "inside cdc-start, its publication and slot made and not journaled", 0
	}
	t.Logf("seed %d (rerun with TIGHTROPE_KILL_SEED=%d): kill %s", seed, seed, where)
	start := time.Now()

	fillCDCKillSource(t, src)
	dstDSN := pg.CreateDatabase(t, dbtest.UniqueName(t, "dst"))
	dst, err := sql.Open("pgx", dstDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	for _, table := range cdcKillTables {
		if _, err := dst.Exec("CREATE TABLE " + table + " (id bigint PRIMARY KEY, qty integer, name varchar(40), " +
			"price numeric(10,2), at timestamp(6), note text)"); err != nil {
			t.Fatal(err)
		}
	}
	tag := strconv.FormatUint(rng.Uint64()%1e9, 36)
	mig := "MIG-CDCKILL-" + tag
	name := engine.StreamName(mig, "capture")
	if src.driver == "postgres" {
		t.Cleanup(func() { dropCDCKillSlot(t, src.dsn, name) })
	}
	dir := t.TempDir()
	j := filepath.Join(dir, "run.journal")
	keepJournalOnFailure(t, j)
	srcEnv, dstEnv := "TR_CDCKILL_SRC_"+tag, "TR_CDCKILL_DST_"+tag
	env := []string{srcEnv + "=" + src.dsn, dstEnv + "=" + dstDSN}
	pause := ""
	if between { // the kill lands in the wait: after cdc-start, before any copy batch
		pause = "  - { id: pause, kind: wait, duration: 3s }\n"
	}
	runbook := filepath.Join(dir, "cdc-kill.yaml")
	text := fmt.Sprintf(`version: 1
name: CDC kill and resume
migration_id: %s
decision_maker: tester
strategy: cdc
connections:
  source: { driver: %s, dsn_env: %s }
  target: { driver: postgres, dsn_env: %s }
triggers: { reject_rate: 5%% }
steps:
  - { id: capture, kind: cdc-start, tables: [items, parts] }
%s  - { id: copy, kind: copy, tables: [items, parts], batch: 100, parallel: 2 }
  - { id: catch-up, kind: cdc-catchup, lag: 5s, timeout: 2m }
  - { id: quiet, kind: manual, instructions: stop the writers }
`, mig, src.driver, srcEnv, dstEnv, pause)
	if err := os.WriteFile(runbook, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	wr := startCDCKillWriter(t, src, rng.Uint64())
	args := []string{"run", runbook, "--plain", "--auto-decide", "continue", "--as", "tester", "--journal", j}
	until := func(out string) bool {
		return strings.Contains(out, "copy: step started") && cdcKillTargetRows(t, dst) >= int(fraction*float64(2*cdcKillRows))
	}
	switch {
	case between:
		until = func(out string) bool { return strings.Contains(out, "pause: step started") }
	case inside:
		until = func(out string) bool { return strings.Contains(out, "capture: step started") }
	}
	out, code, killed := runAndKill(t, env, args, until, delay)
	if !killed {
		t.Fatalf("the run ended (exit %d) before it was killed:\n%s", code, out)
	}
	if inside {
		leaveCDCKillStream(t, src, j, name)
	}
	atKill := cdcKillTargetRows(t, dst)
	t.Logf("killed with %d rows in the target after %s; writer: %d transactions", atKill, time.Since(start).Round(time.Millisecond), wr.txs())
	if (between || inside) && atKill != 0 {
		t.Fatalf("killed %s, and %d rows are in the target", where, atKill)
	}
	first := readCDCKill(t, j)
	if len(first.started) != 1 && !inside {
		t.Fatalf("%d cdc_stream_started before the kill", len(first.started))
	}
	if !between && !inside && !first.logged("copy", "the copy ends where the stream begins") {
		t.Errorf("the first process's copy did not read the stream's snapshot: %q", first.linesOf("copy"))
	}
	time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond) // the writer writes while no process runs

	resume := []string{"resume", j, "--plain", "--as", "tester"} // no --auto-decide: the manual step waits for the test
	out = finishCDCKill(t, env, resume, func() {
		wr.halt(t)
		mark := cdcKillMarker(t, src)
		waitCDCKillMarker(t, dst, mark)
	})
	t.Logf("resumed run finished after %s; writer: %d transactions", time.Since(start).Round(time.Millisecond), wr.txs())

	counts := tableCounts(t, out) // which checks read = written + rejected
	rejected := checkCDCKillRejects(t, env, j)
	ev := readCDCKill(t, j)
	for _, table := range cdcKillTables {
		c, ok := counts[table]
		if !ok {
			t.Errorf("%s: no summary line:\n%s", table, out)
		}
		tc, ok := ev.copied[table]
		if !ok {
			t.Fatalf("%s: no table_copied", table)
		}
		if tc.Read != tc.Written+tc.Rejected {
			t.Errorf("%s: table_copied read %d != written %d + rejected %d", table, tc.Read, tc.Written, tc.Rejected)
		}
		if int(tc.Rejected) != len(rejected[table]) || c[2] != len(rejected[table]) {
			t.Errorf("%s: the copy counts %d rejected (summary %d), the journal holds %d rejects", table, tc.Rejected, c[2], len(rejected[table]))
		}
		if want := cdcKillRows/killRejectEvery + 1; len(rejected[table]) != want {
			t.Errorf("%s: %d rows rejected, the source holds %d N/A rows", table, len(rejected[table]), want)
		}
		sameCDCKillTable(t, src, dst, table, rejected[table])
	}
	checkCDCKillStream(t, ev, dst, name)
	madeAgain := inside && len(first.started) == 0
	if madeAgain && !ev.logged("capture", "dropping them (no capture reads them) and creating the stream again") {
		t.Errorf("the rerun cdc-start did not say it dropped the killed process's publication and slot: %q", ev.linesOf("capture"))
	}
	if madeAgain { // the stream is made again: the copy reads its new snapshot
		if len(ev.live) != 0 || !ev.loggedAfter(ev.resumedAt, "copy", "the copy ends where the stream begins") {
			t.Errorf("the stream was made again and the copy did not read its snapshot: %q, %+v", ev.linesOf("copy"), ev.live)
		}
	} else if !ev.loggedAfter(ev.resumedAt, "copy", "the copy reads the live tables") ||
		!ev.loggedAfter(ev.resumedAt, "copy", "ended with the process that was stopped") {
		t.Errorf("the resumed copy did not say it reads live and why; its lines: %q", ev.linesOf("copy"))
	}
	if !madeAgain && (len(ev.live) != 1 || !slices.Equal(ev.live[0].Tables, cdcKillTables) || ev.live[0].Reason == "" || ev.live[0].Head <= 0 || ev.liveAt[0] < ev.resumedAt) {
		t.Errorf("the resumed copy's decision to read live is not recorded as one cdc_copy_live of both tables with its reason and the source's head: %+v", ev.live)
	}
	refetched := 0
	for _, l := range ev.linesOf("catch-up") {
		if strings.Contains(l, "read again from the source") {
			refetched++
		}
	}
	if out, code := tightrope(t, nil, "journal", "verify", j); code != 0 {
		t.Errorf("journal verify exit %d: %s", code, out)
	}
	t.Logf("%d rows read again from the source by the applier", refetched)
	t.Logf("%d transactions spooled (%d before the kill), %d cdc_applied; %s in all",
		len(ev.changes), len(first.changes), len(ev.applied), time.Since(start).Round(time.Millisecond))
}

// fillCDCKillSource writes the initial rows: keys 1, 4, 7, … (the gaps
// take rows the writer moves or inserts below the copy's checkpoints).
func fillCDCKillSource(t *testing.T, src cdcKillSide) {
	t.Helper()
	for _, table := range cdcKillTables {
		const per = 500
		for lo := 0; lo < cdcKillRows; lo += per {
			var ph []string
			var args []any
			for i := lo; i < min(lo+per, cdcKillRows); i++ {
				qty := strconv.Itoa(i % 1000)
				if i%killRejectEvery == 7 {
					qty = "N/A"
				}
				ph = append(ph, "(?, ?, ?, ?, ?, ?)")
				args = append(args, killKey(i), qty, fmt.Sprintf("%s %d ü", table, i), fmt.Sprintf("%d.%02d", i, i%100), cdcKillTime(i), cdcKillNote(i))
			}
			if _, err := src.db.Exec(src.q("INSERT INTO "+table+" VALUES "+strings.Join(ph, ", ")), args...); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// cdcKillNote is a row's note: for one row in four about 3 kB that does
// not compress, which PostgreSQL keeps out of line (TOAST) — an update
// that leaves it alone does not send it.
func cdcKillNote(i int) any {
	if i%4 != 1 {
		return nil
	}
	var b strings.Builder
	r := rand.New(rand.NewPCG(uint64(i), 9))
	for b.Len() < 3000 {
		b.WriteString(strconv.FormatUint(r.Uint64(), 36))
	}
	return b.String()
}

func cdcKillTime(i int) string {
	return fmt.Sprintf("2024-%02d-%02d 12:%02d:%02d.%06d", i%12+1, i%28+1, i%60, i*7%60, i*7919%1000000)
}

// cdcKillTargetRows counts the rows of both tables in the target.
func cdcKillTargetRows(t *testing.T, dst *sql.DB) int {
	t.Helper()
	var n int
	if err := dst.QueryRow("SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM parts)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cdcKillWriter changes the source in transactions of one to four
// statements until halted: inserts at fresh keys above the initial ones
// and in the gaps below them, updates of values, updates of keys (to a
// fresh key above, or into a gap below: across the copy's checkpoints
// either way) and deletes. It never touches a row holding N/A.
type cdcKillWriter struct {
	stop  chan struct{}
	done  chan error
	once  sync.Once
	mu    sync.Mutex
	count int
}

func (w *cdcKillWriter) txs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

func startCDCKillWriter(t *testing.T, src cdcKillSide, seed uint64) *cdcKillWriter {
	t.Helper()
	w := &cdcKillWriter{stop: make(chan struct{}), done: make(chan error, 1)}
	rng := rand.New(rand.NewPCG(seed, 3))
	live := map[string][]int64{}        // keys the writer may touch, per table
	used := map[string]map[int64]bool{} // every key in the table
	for _, table := range cdcKillTables {
		used[table] = map[int64]bool{}
		for i := range cdcKillRows {
			used[table][killKey(i)] = true
			if i%killRejectEvery != 7 {
				live[table] = append(live[table], killKey(i))
			}
		}
	}
	next := killKey(cdcKillRows)
	fresh := func(table string) int64 {
		if rng.IntN(2) == 0 { // a gap below the initial keys
			for range 20 {
				k := int64(rng.IntN(cdcKillRows))*3 + 2 + int64(rng.IntN(2))
				if !used[table][k] {
					return k
				}
			}
		}
		next++
		return next
	}
	take := func(table string) (int64, int) {
		i := rng.IntN(len(live[table]))
		return live[table][i], i
	}
	step := func(tx *sql.Tx) error {
		table := cdcKillTables[rng.IntN(len(cdcKillTables))]
		n := rng.IntN(100000)
		switch op := rng.IntN(8); {
		case op < 3:
			k := fresh(table)
			if _, err := tx.Exec(src.q("INSERT INTO "+table+" VALUES (?, ?, ?, ?, ?, ?)"),
				k, strconv.Itoa(n%1000), fmt.Sprintf("new %d", n), fmt.Sprintf("%d.%02d", n, n%100), cdcKillTime(n), cdcKillNote(n)); err != nil {
				return err
			}
			used[table][k] = true
			live[table] = append(live[table], k)
		case op < 5:
			k, _ := take(table)
			if _, err := tx.Exec(src.q("UPDATE "+table+" SET qty = ?, name = ?, price = ?, at = ? WHERE id = ?"),
				strconv.Itoa(n%1000), fmt.Sprintf("upd %d", n), fmt.Sprintf("%d.%02d", n, n%100), cdcKillTime(n), k); err != nil {
				return err
			}
		case op < 7:
			k, i := take(table)
			to := fresh(table)
			if _, err := tx.Exec(src.q("UPDATE "+table+" SET id = ?, name = ? WHERE id = ?"), to, fmt.Sprintf("moved from %d", k), k); err != nil {
				return err
			}
			delete(used[table], k)
			used[table][to] = true
			live[table][i] = to
		default:
			k, i := take(table)
			if _, err := tx.Exec(src.q("DELETE FROM "+table+" WHERE id = ?"), k); err != nil {
				return err
			}
			delete(used[table], k)
			live[table] = slices.Delete(live[table], i, i+1)
		}
		return nil
	}
	go func() {
		w.done <- func() error {
			for {
				select {
				case <-w.stop:
					return nil
				default:
				}
				tx, err := src.db.Begin()
				if err != nil {
					return err
				}
				for range 1 + rng.IntN(4) {
					if err := step(tx); err != nil {
						tx.Rollback()
						return err
					}
				}
				if err := tx.Commit(); err != nil {
					return err
				}
				w.mu.Lock()
				w.count++
				w.mu.Unlock()
				time.Sleep(12 * time.Millisecond) // slow enough for the applier to catch up on a loaded machine
			}
		}()
	}()
	t.Cleanup(func() { w.halt(t) })
	return w
}

// halt stops the writer and reports its error, once.
func (w *cdcKillWriter) halt(t *testing.T) {
	t.Helper()
	w.once.Do(func() {
		close(w.stop)
		if err := <-w.done; err != nil {
			t.Errorf("writer: %v", err)
		}
	})
}

// cdcKillMarker writes one last row after the writer stopped: once it is
// on the target, everything before it is (apply goes in source order).
func cdcKillMarker(t *testing.T, src cdcKillSide) int64 {
	t.Helper()
	k := int64(1_000_000_000 + rand.IntN(1000))
	if _, err := src.db.Exec(src.q("INSERT INTO parts VALUES (?, '1', 'marker', '0.00', ?, NULL)"), k, cdcKillTime(1)); err != nil {
		t.Fatal(err)
	}
	return k
}

func waitCDCKillMarker(t *testing.T, dst *sql.DB, k int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := dst.QueryRow("SELECT count(*) FROM parts WHERE id = $1", k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the marker written after the writer stopped never reached the target")
}

// finishCDCKill runs the resume to its end: once the catch-up is done and
// the manual step asks, quiesce runs (stop the writer, wait for the last
// change on the target) and the step is confirmed on standard input.
func finishCDCKill(t *testing.T, env, args []string, quiesce func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	output := func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(90 * time.Second)
	asked := false
	for !asked {
		select {
		case err := <-exited:
			t.Fatalf("the resumed run ended (%v) before its last step asked:\n%s", err, output())
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			t.Fatalf("the resumed run did not reach its last step within 90s:\n%s", output())
		case <-time.After(20 * time.Millisecond):
		}
		out := output()
		i := strings.Index(out, "quiet: step started")
		asked = i >= 0 && strings.Contains(out[i:], "answer (one line)")
	}
	quiesce()
	if _, err := io.WriteString(stdin, "confirm\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the resumed run: %v\n%s", err, output())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("the resumed run did not end after its last step was confirmed:\n%s", output())
	}
	stdin.Close()
	return output()
}

// checkCDCKillRejects reads the journal's rejects: every one an N/A row
// rejected on qty, none twice. It returns the rejected keys by table.
func checkCDCKillRejects(t *testing.T, env []string, j string) map[string]map[int64]bool {
	t.Helper()
	out, code := tightrope(t, env, "rejects", j, "--format", "json")
	if code != 0 {
		t.Fatalf("rejects exit %d: %s", code, out)
	}
	var recs []struct {
		Table  string          `json:"table"`
		Key    json.RawMessage `json:"key"`
		Column string          `json:"column"`
		Reason string          `json:"reason"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("rejects --format json: %v\n%.500s", err, out)
	}
	keys := map[string]map[int64]bool{}
	for _, r := range recs {
		var key struct{ ID int64 }
		if err := json.Unmarshal(r.Key, &key); err != nil || key.ID == 0 {
			t.Fatalf("reject key %s: %v", r.Key, err)
		}
		if r.Column != "qty" || r.Reason != "not_integer" || (key.ID-1)%3 != 0 || int((key.ID-1)/3)%killRejectEvery != 7 {
			t.Errorf("%s %d: rejected for %s on %s: not an N/A row", r.Table, key.ID, r.Reason, r.Column)
		}
		if keys[r.Table] == nil {
			keys[r.Table] = map[int64]bool{}
		}
		if keys[r.Table][key.ID] {
			t.Errorf("%s %d: rejected twice", r.Table, key.ID)
		}
		keys[r.Table][key.ID] = true
	}
	return keys
}

// sameCDCKillTable fails unless the target's table equals the source's
// row for row, less the rejected rows (which must not be in the target).
func sameCDCKillTable(t *testing.T, src cdcKillSide, dst *sql.DB, table string, rejected map[int64]bool) {
	t.Helper()
	srcQ := "SELECT id, qty, name, CAST(price AS CHAR), DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), MD5(note) FROM " + table + " ORDER BY id"
	if src.driver == "postgres" {
		srcQ = "SELECT id, qty, name, price::text, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), md5(note) FROM " + table + " ORDER BY id"
	}
	dstQ := "SELECT id, qty::text, name, price::text, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), md5(note) FROM " + table + " ORDER BY id"
	rows := func(d *sql.DB, q string, skip map[int64]bool) []string {
		r, err := d.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var id int64
			var qty, name, price, at, note sql.NullString
			if err := r.Scan(&id, &qty, &name, &price, &at, &note); err != nil {
				t.Fatal(err)
			}
			if !skip[id] {
				out = append(out, fmt.Sprintf("%d|%s|%s|%s|%s|%s", id, qty.String, name.String, price.String, at.String, note.String))
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := rows(src.db, srcQ, rejected), rows(dst, dstQ, nil)
	for _, g := range got {
		id, _, _ := strings.Cut(g, "|")
		if k, _ := strconv.ParseInt(id, 10, 64); rejected[k] {
			t.Errorf("%s %d: in the target and in the rejects", table, k)
		}
	}
	if slices.Equal(want, got) {
		return
	}
	gotSet := map[string]bool{}
	for _, g := range got {
		gotSet[g] = true
	}
	wantSet := map[string]bool{}
	var missing, extra []string
	for _, w := range want {
		wantSet[w] = true
		if !gotSet[w] {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !wantSet[g] {
			extra = append(extra, g)
		}
	}
	t.Errorf("%s: the target (%d rows) differs from the source (%d rows less rejects): %d source rows missing or different %q, %d target rows not in the source %q",
		table, len(got), len(want), len(missing), missing[:min(5, len(missing))], len(extra), extra[:min(5, len(extra))])
}

// cdcKillEvents is what the checks read from the journal.
type cdcKillEvents struct {
	started   []journal.CDCStreamPayload
	changes   []journal.CDCChangesPayload
	changeSeq []int64
	applied   []journal.CDCAppliedPayload
	copied    map[string]journal.ProgressPayload // the last table_copied of each table
	logs      []journal.Event
	lines     []journal.LogPayload
	resumedAt int64
	live      []journal.CDCCopyLivePayload
	liveAt    []int64
}

func readCDCKill(t *testing.T, path string) cdcKillEvents {
	t.Helper()
	events, err := journal.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	ev := cdcKillEvents{copied: map[string]journal.ProgressPayload{}}
	for _, e := range events {
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		switch x := p.(type) {
		case journal.CDCStreamPayload:
			ev.started = append(ev.started, x)
		case journal.CDCChangesPayload:
			ev.changes, ev.changeSeq = append(ev.changes, x), append(ev.changeSeq, e.Seq)
		case journal.CDCAppliedPayload:
			ev.applied = append(ev.applied, x)
		case journal.LogPayload:
			ev.logs, ev.lines = append(ev.logs, e), append(ev.lines, x)
		case journal.RunResumedPayload:
			ev.resumedAt = e.Seq
		case journal.CDCCopyLivePayload:
			ev.live, ev.liveAt = append(ev.live, x), append(ev.liveAt, e.Seq)
		}
		if e.Type == journal.TableCopied {
			x := p.(journal.ProgressPayload)
			ev.copied[x.Table] = x
		}
	}
	return ev
}

func (ev cdcKillEvents) logged(step, sub string) bool { return ev.loggedAfter(0, step, sub) }

// loggedAfter tells whether a log line of step after seq contains sub.
func (ev cdcKillEvents) loggedAfter(seq int64, step, sub string) bool {
	for i, e := range ev.logs {
		if e.Seq > seq && e.StepID == step && strings.Contains(ev.lines[i].Line, sub) {
			return true
		}
	}
	return false
}

func (ev cdcKillEvents) linesOf(step string) []string {
	var out []string
	for i, e := range ev.logs {
		if e.StepID == step {
			out = append(out, ev.lines[i].Line)
		}
	}
	return out
}

// checkCDCKillStream: every source transaction spooled once (positions
// rise strictly across the kill), every spooled transaction applied once
// (cdc_applied seqs rise strictly, their counts add up), and the target's
// position row names the last one.
func checkCDCKillStream(t *testing.T, ev cdcKillEvents, dst *sql.DB, name string) {
	t.Helper()
	if len(ev.changes) == 0 || len(ev.applied) == 0 {
		t.Fatalf("%d transactions spooled, %d cdc_applied: the stream carried nothing", len(ev.changes), len(ev.applied))
	}
	seen := map[string]int{}
	for i, c := range ev.changes {
		if c.Stream != name {
			t.Fatalf("cdc_changes of stream %q", c.Stream)
		}
		if j, dup := seen[c.Position]; dup {
			t.Errorf("the transaction at %s was spooled twice (seq %d and %d)", c.Position, ev.changeSeq[j], ev.changeSeq[i])
		}
		seen[c.Position] = i
	}
	var last int64
	txs := 0
	for _, a := range ev.applied {
		if a.Seq <= last {
			t.Fatalf("a cdc_applied up to seq %d follows one up to seq %d: applied twice or out of order", a.Seq, last)
		}
		last, txs = a.Seq, txs+a.Txs
	}
	if txs != len(ev.changes) {
		t.Errorf("cdc_applied counts %d transactions, the journal spooled %d", txs, len(ev.changes))
	}
	if want := ev.changeSeq[len(ev.changeSeq)-1]; last != want {
		t.Errorf("applied up to seq %d, the last spooled transaction is seq %d", last, want)
	}
	var seq int64
	var pos string
	if err := dst.QueryRow("SELECT journal_seq, position FROM "+cdc.PositionTable+" WHERE stream = $1", name).Scan(&seq, &pos); err != nil {
		t.Fatal(err)
	}
	if lastTx := ev.changes[len(ev.changes)-1]; seq != ev.changeSeq[len(ev.changeSeq)-1] || pos != lastTx.Position {
		t.Errorf("the target's position is seq %d at %s; the last spooled is seq %d at %s", seq, pos, ev.changeSeq[len(ev.changeSeq)-1], lastTx.Position)
	}
}

// leaveCDCKillStream makes what a process killed inside cdc-start, after
// its CREATE PUBLICATION and CREATE_REPLICATION_SLOT and before journaling
// the stream, leaves on the source — unless the kill came after the
// stream was journaled (then the case is a kill between cdc-start and the
// copy, and says so).
func leaveCDCKillStream(t *testing.T, src cdcKillSide, j, name string) {
	t.Helper()
	if ev := readCDCKill(t, j); len(ev.started) > 0 {
		t.Logf("the kill came after cdc_stream_started: nothing to leave behind")
		return
	}
	for _, q := range []string{
		"CREATE PUBLICATION " + name + " FOR TABLE items, parts",
		"SELECT pg_create_logical_replication_slot('" + name + "', 'pgoutput')",
	} {
		if _, err := src.db.Exec(q); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// dropCDCKillSlot drops the test's slot and publication on the logical
// PostgreSQL (a slot left behind pins the server's WAL).
func dropCDCKillSlot(t *testing.T, dsn, name string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		d, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		_, err = d.Exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", name)
		var left int
		d.QueryRow("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", name).Scan(&left)
		d.Exec("DROP PUBLICATION IF EXISTS " + name)
		d.Close()
		if err == nil && left == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("slot %s left on the throwaway server", name)
}
