package runbooks

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestLoadShop(t *testing.T) {
	rb, err := Load("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile("testdata/shop.yaml")
	if rb.Path != "testdata/shop.yaml" || string(rb.Text) != string(text) {
		t.Errorf("Path %q, Text %d bytes; want the file as read", rb.Path, len(rb.Text))
	}
	if rb.Version != 1 || rb.Name != "Shop database to PostgreSQL" || rb.MigrationID != "MIG-2026-042" ||
		rb.DecisionMaker != "alice" || rb.Strategy != "snapshot" {
		t.Errorf("header = %d %q %q %q %q", rb.Version, rb.Name, rb.MigrationID, rb.DecisionMaker, rb.Strategy)
	}
	wantObj := Objectives{RTO: 30 * time.Minute, RPO: 0, Expected: 45 * time.Minute, Window: 4 * time.Hour}
	if rb.Objectives != wantObj {
		t.Errorf("objectives = %+v, want %+v", rb.Objectives, wantObj)
	}
	wantConn := []Connection{
		{Name: "source", Driver: "mysql", DSNEnv: "SHOP_MYSQL_DSN"},
		{Name: "target", Driver: "postgres", DSNEnv: "SHOP_PG_DSN"},
	}
	if !reflect.DeepEqual(rb.Connections, wantConn) {
		t.Errorf("connections = %+v", rb.Connections)
	}
	wantTrig := Triggers{RejectRate: ptr(0.001), Overrun: ptr(1.5), VerifyMismatch: ptr(int64(0)),
		CDCLag: ptr(30 * time.Second), StepFailed: true}
	if !reflect.DeepEqual(rb.Triggers, wantTrig) {
		t.Errorf("triggers = %+v", rb.Triggers)
	}
	wantNotify := []Notify{{On: []string{"trigger", "decision", "rollback", "finished"}, Exec: "./notify.sh"}}
	if !reflect.DeepEqual(rb.Notify, wantNotify) {
		t.Errorf("notify = %+v", rb.Notify)
	}
	wantSteps := []Step{
		{ID: "freeze", Title: "Put the shop into maintenance mode", Kind: KindManual, Owner: "bob",
			OnFailure: "stop", Checklist: []string{"Banner is up", "Cron jobs paused"}, Line: 20, Col: 5},
		{ID: "snap", Kind: KindSnapshot, Of: "source", OnFailure: "stop", Line: 25, Col: 5},
		{ID: "prep", Kind: KindSQL, On: "target", Run: "create schema if not exists shop", OnFailure: "stop", Line: 26, Col: 5},
		{ID: "copy", Kind: KindCopy, Tables: []string{"customers", "orders"}, From: "source", To: "target",
			Batch: 5000, Parallel: 2, OnFailure: "stop", Line: 27, Col: 5},
		{ID: "check", Kind: KindVerify, All: true, From: "source", To: "target", OnFailure: "stop", Line: 28, Col: 5},
		{ID: "go", Kind: KindGate, Question: "Switch the shop to PostgreSQL?", OnFailure: "stop", Line: 29, Col: 5},
		{ID: "switch", Kind: KindShell, Run: "./switch.sh postgres", Expected: 2 * time.Minute, OnFailure: "stop", Line: 30, Col: 5},
	}
	if !reflect.DeepEqual(rb.Steps, wantSteps) {
		t.Errorf("steps:\n got %+v\nwant %+v", rb.Steps, wantSteps)
	}
	wantRollback := []Step{
		{ID: "restore", Kind: KindRestore, Snapshot: "snap", OnFailure: "stop", Line: 32, Col: 5},
		{ID: "switch-back", Kind: KindShell, Run: "./switch.sh mysql", OnFailure: "stop", Line: 33, Col: 5},
	}
	if !reflect.DeepEqual(rb.Rollback, wantRollback) {
		t.Errorf("rollback:\n got %+v\nwant %+v", rb.Rollback, wantRollback)
	}
}

func TestLoadBlockStyle(t *testing.T) {
	rb, err := Load("testdata/block.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := rb.Connection("target"); c != (Connection{Name: "target", Driver: "sqlite", Path: "./orders.db"}) {
		t.Errorf("target = %+v", c)
	}
	if rb.Notify[0].URL != "https://hooks.example.com/cutover" || !reflect.DeepEqual(rb.Notify[0].On, []string{"trigger", "rollback"}) {
		t.Errorf("notify = %+v", rb.Notify)
	}
	if *rb.Triggers.RejectRate != 0.005 || *rb.Triggers.Overrun != 1.2 || rb.Triggers.CDCLag != nil || rb.Triggers.VerifyMismatch != nil {
		t.Errorf("triggers = %+v", rb.Triggers)
	}
	announce, _ := rb.StepByID("announce")
	if announce.Instructions != "Post in #ops that the orders database is frozen.\nWait for an acknowledgement.\n" ||
		!reflect.DeepEqual(announce.Checklist, []string{"Posted in #ops", "Acknowledged"}) || announce.Line != 28 || announce.Col != 5 {
		t.Errorf("announce = %+v", announce)
	}
	snap, _ := rb.StepByID("snap")
	if snap.Method != "pg_dump" || snap.Expected != 5*time.Minute {
		t.Errorf("snap = %+v", snap)
	}
	if settle, _ := rb.StepByID("settle"); settle.Duration != 30*time.Second {
		t.Errorf("settle = %+v", settle)
	}
	cp, _ := rb.StepByID("copy-orders")
	wantCasts := []Cast{{Table: "orders", Column: "status", Map: map[string]*string{"N/A": nil, "": nil, "shipped": ptr("SHIPPED")}}}
	if !reflect.DeepEqual(cp.Casts, wantCasts) {
		t.Errorf("casts = %+v", cp.Casts)
	}
	if cp.Batch != 0 || cp.Parallel != 0 || !cp.Create || !cp.Idempotent ||
		cp.OnFailure != OnFailureRollback || !reflect.DeepEqual(cp.Key, []string{"order_id", "line_no"}) ||
		!reflect.DeepEqual(cp.Tables, []string{"orders", "order_lines"}) || cp.All {
		t.Errorf("copy-orders = %+v", cp)
	}
	if sw, _ := rb.StepByID("switch"); sw.Undo != "./point-at.sh postgres" {
		t.Errorf("switch = %+v", sw)
	}
	if r, _ := rb.StepByID("restore"); r.Owner != "carol" || r.Line != 72 {
		t.Errorf("restore = %+v", r)
	}
}

// TestFlowAndBlockAgree parses the same steps written both ways.
func TestFlowAndBlockAgree(t *testing.T) {
	const head = "version: 1\nname: t\nmigration_id: M-1\ndecision_maker: alice\n" +
		"connections:\n  source: { driver: sqlite, path: a.db }\n  target: { driver: sqlite, dsn_env: B_DSN }\n"
	flow := head + `steps:
  - { id: s, kind: snapshot }
  - { id: c, kind: copy, tables: all, from: target, to: source, batch: 10, parallel: 4, create: true, casts: [{column: a.b, map: {x: "y", "": null}}] }
  - { id: w, kind: wait, duration: 1h30m, title: Breathe, on_failure: continue, idempotent: false }
rollback: [{ id: r, kind: restore, snapshot: s }]
`
	block := head + `steps:
  - id: s
    kind: snapshot
  - id: c
    kind: copy
    tables: all
    from: target
    to: source
    batch: 10
    parallel: 4
    create: true
    casts:
      - column: a.b
        map:
          x: "y"
          "": null
  - id: w
    kind: wait
    duration: 1h30m
    title: Breathe
    on_failure: continue
    idempotent: false
rollback:
  - id: r
    kind: restore
    snapshot: s
`
	f, err := Parse("flow.yaml", []byte(flow))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("block.yaml", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	strip := func(steps []Step) []Step {
		out := append([]Step(nil), steps...)
		for i := range out {
			out[i].Line, out[i].Col = 0, 0
		}
		return out
	}
	if !reflect.DeepEqual(strip(f.Steps), strip(b.Steps)) || !reflect.DeepEqual(strip(f.Rollback), strip(b.Rollback)) {
		t.Errorf("flow and block differ:\nflow  %+v\nblock %+v", f.Steps, b.Steps)
	}
	want := Step{ID: "c", Kind: KindCopy, All: true, From: "target", To: "source", Batch: 10, Parallel: 4, Create: true,
		OnFailure: "stop", Casts: []Cast{{Table: "a", Column: "b", Map: map[string]*string{"x": ptr("y"), "": nil}}}}
	if got := strip(f.Steps)[1]; !reflect.DeepEqual(got, want) {
		t.Errorf("copy step = %+v, want %+v", got, want)
	}
	if s := f.Steps[0]; s.Of != "source" || s.Line != 9 || s.Col != 5 {
		t.Errorf("snapshot default: %+v", s)
	}
	if s := b.Steps[2]; s.Duration != 90*time.Minute || s.OnFailure != OnFailureContinue || s.Title != "Breathe" || s.Line != 24 || s.Col != 5 {
		t.Errorf("wait: %+v", s)
	}
	if f.Rollback[0].Line != 12 || f.Rollback[0].Col != 12 {
		t.Errorf("flow rollback step at %d:%d, want 12:12", f.Rollback[0].Line, f.Rollback[0].Col)
	}
}

// TestParseDetails covers values whose reading is easy to get subtly wrong.
func TestParseDetails(t *testing.T) {
	const head = "version: 1\nname: t\nmigration_id: 42\ndecision_maker: alice\n"
	cases := []struct {
		name, text string
		check      func(*Runbook) bool
	}{
		{"numeric id is a string", head + "steps: [{ id: g, kind: gate, question: ok? }]\n",
			func(rb *Runbook) bool { return rb.MigrationID == "42" }},
		{"strategy default", head + "steps: [{ id: g, kind: gate, question: ok? }]\n",
			func(rb *Runbook) bool { return rb.Strategy == "snapshot" }},
		{"percent exact", head + "triggers: { reject_rate: 0.1%, overrun: 150% }\nsteps: [{ id: g, kind: gate, question: ok? }]\n",
			func(rb *Runbook) bool { return *rb.Triggers.RejectRate == 0.001 && *rb.Triggers.Overrun == 1.5 }},
		{"percent forms", head + "triggers: { reject_rate: .5%, overrun: 100.% }\nsteps: [{ id: g, kind: gate, question: ok? }]\n",
			func(rb *Runbook) bool { return *rb.Triggers.RejectRate == 0.005 && *rb.Triggers.Overrun == 1 }},
		{"zero duration", head + "objectives: { rpo: 0s, rto: 0 }\nsteps: [{ id: g, kind: gate, question: ok? }]\n",
			func(rb *Runbook) bool { return rb.Objectives.RPO == 0 && rb.Objectives.RTO == 0 }},
		{"anchors and tags are transparent", head + "steps: [&g { id: g, kind: gate, question: !!str 12 }]\n",
			func(rb *Runbook) bool { return rb.Steps[0].Question == "12" }},
		{"crlf line ends", "version: 1\r\nname: t\r\nmigration_id: m\r\ndecision_maker: d\r\nsteps:\r\n  - { id: g, kind: gate, question: q }\r\n",
			func(rb *Runbook) bool { return rb.Steps[0].Line == 6 && rb.Steps[0].Question == "q" }},
		{"byte-order mark", "\ufeff" + head + "steps: [{ id: g, kind: gate, question: ok? }]\n",
			func(rb *Runbook) bool { return rb.Version == 1 && rb.Steps[0].Line == 5 && rb.Text[0] == 0xef }},
		{"cdc and switch kinds", head + "strategy: blue-green\nconnections:\n  source: { driver: postgres, dsn_env: A }\n  target: { driver: sqlite, path: b }\n" +
			"steps:\n  - { id: cs, kind: cdc-start, tables: [t] }\n  - { id: cc, kind: cdc-catchup }\n  - { id: sw, kind: switch, run: ./flip.sh, undo: ./flop.sh }\n",
			func(rb *Runbook) bool {
				return rb.Strategy == "blue-green" && rb.Steps[1].From == "source" && rb.Steps[1].To == "target" && rb.Steps[2].Undo == "./flop.sh" &&
					rb.Steps[1].Lag == DefaultCatchupLag && rb.Steps[1].Timeout == 0
			}},
		{"cdc-catchup lag and timeout", head + "connections:\n  source: { driver: postgres, dsn_env: A }\n  target: { driver: postgres, dsn_env: B }\n" +
			"steps:\n  - { id: cs, kind: cdc-start, tables: [t] }\n  - { id: cc, kind: cdc-catchup, lag: 800ms, timeout: 2m }\n",
			func(rb *Runbook) bool {
				return rb.Steps[1].Lag == 800*time.Millisecond && rb.Steps[1].Timeout == 2*time.Minute
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rb, err := Parse("t.yaml", []byte(c.text))
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(rb) {
				t.Errorf("unexpected result: %+v", rb)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestParseCopiesText(t *testing.T) {
	text := []byte("version: 1\nname: t\nmigration_id: m\ndecision_maker: d\nsteps: [{ id: g, kind: gate, question: q }]\n")
	rb, err := Parse("t.yaml", text)
	if err != nil {
		t.Fatal(err)
	}
	text[0] = 'X'
	if rb.Text[0] != 'v' {
		t.Error("Runbook.Text shares memory with the caller's slice")
	}
}
