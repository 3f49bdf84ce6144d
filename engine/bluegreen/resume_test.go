package bluegreen

import (
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestResumeSwitchBetweenTheDropAndTheReverseStart: a switch interrupted
// after it dropped the forward direction and before it started the
// reverse one leaves no replication at all and blue frozen. ResumeSwitch
// compares the two frozen sides again, starts green → blue, sets green's
// sequences and unfreezes green; a plain Switch refuses the same state.
func TestResumeSwitchBetweenTheDropAndTheReverseStart(t *testing.T) {
	w := newWorld(t, 500, 20)
	p := w.open(t)
	ctx := dbtest.Ctx(t)
	if _, err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := appInsert(w.appBlue, "before the switch"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitCaughtUp(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The interrupted switch: blue frozen, the forward direction dropped.
	if err := p.cfg.Freezer.Freeze(ctx, p.blue.Side, p.cfg.Tables); err != nil {
		t.Fatal(err)
	}
	if err := p.detach(ctx, p.green, w.cfg.ForwardName()); err != nil {
		t.Fatal(err)
	}
	if err := dropSlot(ctx, p.blue, w.cfg.ForwardName()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Switch(ctx); err == nil || !strings.Contains(err.Error(), "switch refused") {
		t.Fatalf("a plain switch with no replication: %v; want it refused", err)
	}
	var names []string
	sw, err := p.ResumeSwitch(ctx, Hooks{Phase: func(ph Phase, err error) { names = append(names, ph.Name) }})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names, " "), "frozen verify replicate sequences unfrozen"; got != want {
		t.Fatalf("phases %q, want %q", got, want)
	}
	if sw.To != "green" || sw.ReplicaLSN == "" {
		t.Fatalf("resumed switch %+v", sw)
	}
	id, err := appInsert(w.appGreen, "on green after the resumed switch")
	if err != nil {
		t.Fatalf("green after the resumed switch: %v", err)
	}
	waitFor(t, "green's write on blue", func() bool { return count(t, w.blue, "SELECT count(*) FROM items WHERE id = $1", id) == 1 })
	if _, err := appInsert(w.appBlue, "on blue"); !denied(err) {
		t.Fatalf("blue after the resumed switch: %v, want permission denied", err)
	}
}
