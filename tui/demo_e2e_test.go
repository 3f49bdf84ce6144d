package tui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
	"github.com/tightrope/tightrope/tui"
)

// TestDemoThroughTheRootModel drives the real demo through the real root
// model with keys, as the decision-maker at the keyboard would: tick the
// checklist, confirm, continue past the reject-rate trigger with a typed
// justification, say go at the gate. The run must finish with every row
// accounted for and every answer journaled as hers.
func TestDemoThroughTheRootModel(t *testing.T) {
	dir := t.TempDir()
	path, err := demo.Write(context.Background(), dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(rb.Text)
	store, err := journal.Create(filepath.Join(dir, "run.journal"), journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: rb.Path,
		ToolVersion: "test", Operator: "alice", Mode: journal.ModeLive,
	}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := engine.New(engine.Options{
		Runbook: rb, Journal: store, State: journal.Fold([]journal.Event{store.First()}),
		Operator: "alice", BaseDir: dir,
	})
	outcome := make(chan string, 1)
	go func() {
		o, _ := c.Run(context.Background())
		outcome <- o
	}()
	tm := teatest.NewTestModel(t, tui.New(c, tui.Options{Operator: "alice", Mode: tui.ModeLive}),
		teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.NoTTY)))

	waitFor(t, c, "the checklist", func(s journal.State) bool { return s.Pending != nil && s.Pending.Kind == "manual" })
	onScreen(t, tm, "MANUAL freeze") // the console learns of it from its next snapshot
	tm.Send(key(' '))
	tm.Send(key(' '))
	waitFor(t, c, "both ticks", func(s journal.State) bool { return allTicked(s, "freeze") })
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})

	waitFor(t, c, "the reject-rate trigger", func(s journal.State) bool { return s.Pending != nil && s.Pending.Kind == "trigger" })
	onScreen(t, tm, "DECISION REQUIRED")
	tm.Send(key('c'))
	tm.Type("N/A ratings were never numbers; products fixed after cutover")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})

	waitFor(t, c, "the gate", func(s journal.State) bool { return s.Pending != nil && s.Pending.Kind == "gate" })
	onScreen(t, tm, "GATE go")
	tm.Send(key('g'))
	tm.Send(key('y'))

	select {
	case o := <-outcome:
		if o != journal.OutcomeFinished {
			t.Fatalf("outcome %q", o)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the run did not finish; pending: %+v", c.State().Pending)
	}
	s := c.State()
	for _, d := range s.Decisions {
		if d.Actor != "alice" || d.Auto {
			t.Errorf("decision %+v was not alice's own", d)
		}
	}
	if len(s.Decisions) != 3 || s.Decisions[1].Choice != journal.ChoiceContinue || s.Decisions[1].Justification == "" {
		t.Errorf("decisions: %+v", s.Decisions)
	}
	for _, tbl := range s.Tables {
		if tbl.Read != tbl.Written+tbl.Rejected || !tbl.Done {
			t.Errorf("%s: %+v", tbl.Table, tbl.ProgressPayload)
		}
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// onScreen waits until the console has drawn text.
func onScreen(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func key(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

func allTicked(s journal.State, step string) bool {
	for _, st := range s.Steps {
		if st.ID == step {
			for _, ok := range st.Checked {
				if !ok {
					return false
				}
			}
			return len(st.Checked) > 0
		}
	}
	return false
}

func waitFor(t *testing.T, c *engine.Conductor, what string, ok func(journal.State) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ok(c.State()) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waited in vain for %s; pending: %+v", what, c.State().Pending)
}
