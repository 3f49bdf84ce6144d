package main

// The checks of the cdc kill tests (kill_cdc_test.go) over the source, the
// target and the journal.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/journal"
)

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
