package tui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/demo"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
	"github.com/tightrope/tightrope/tui"
)

// plainDemo is a conductor over the demo printing plain lines into out,
// with a PlainAsker reading answers for alice.
func plainDemo(t *testing.T, answers string) (string, error, *bytes.Buffer) {
	t.Helper()
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
	jpath := filepath.Join(dir, "run.journal")
	store, err := journal.Create(jpath, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: rb.Path,
		ToolVersion: "test", Operator: "alice", Mode: journal.ModeLive,
	}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out bytes.Buffer
	p := tui.NewPlain(&out)
	c := engine.New(engine.Options{
		Runbook: rb, Journal: store, State: journal.Fold([]journal.Event{store.First()}),
		Operator: "alice", BaseDir: dir, OnEvent: p.Event,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancelCause(ctx)
	askCtx, done := context.WithCancel(ctx)
	asker := tui.NewPlainAsker(c, strings.NewReader(answers), p, "alice", jpath, true)
	asked := make(chan error, 1)
	go func() {
		err := asker.Run(askCtx)
		if err != nil {
			stop(err)
		}
		asked <- err
	}()
	outcome, _ := c.Run(runCtx)
	done()
	return outcome, <-asked, &out
}

// TestPlainAskerDrivesTheDemo: answers read line by line take the demo to
// its end, wrong ones refused on the way (run with -race: the asker, the
// printer and the conductor share the output).
func TestPlainAskerDrivesTheDemo(t *testing.T) {
	outcome, err, out := plainDemo(t, "confirm\ntick all\nconfirm\ncontinue short\ncontinue the bad products are known\ngo\n")
	if outcome != journal.OutcomeFinished || err != nil {
		t.Fatalf("outcome %q, asker %v:\n%s", outcome, err, out)
	}
	for _, want := range []string{"> confirm\nnot sent: checklist item 1 is not ticked", "not sent: a justification of at least 10", "decision by alice: go (gate)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// TestPlainAskerStopsAtTheEndOfItsInput: the input ends at the gate; the
// run is interrupted (resumable), and the asker says how to decide.
func TestPlainAskerStopsAtTheEndOfItsInput(t *testing.T) {
	outcome, err, out := plainDemo(t, "tick all\nconfirm\ncontinue the bad products are known\n")
	var na *tui.NoAnswerError
	if outcome != engine.Interrupted || !errors.As(err, &na) || na.Why != "standard input ended" {
		t.Fatalf("outcome %q, asker %v:\n%s", outcome, err, out)
	}
	if !strings.Contains(out.String(), "printf 'go\\n' | tightrope resume") {
		t.Errorf("no way to decide said:\n%s", out)
	}
}
