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
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
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
