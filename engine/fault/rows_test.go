package fault

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// A network fault with AFTER rows=N strikes in the copy, synchronously,
// the moment its step has committed N rows — not before, not for another
// step's rows, not twice — and the relay refuses connections from then on
// until it heals; the strike and the heal are both recorded.
func TestNetworkFaultStrikesAtRows(t *testing.T) {
	r := relay(t, echo(t))
	f, err := Parse("network-drop:source@copy:300ms:rows=500")
	if err != nil {
		t.Fatal(err)
	}
	in := NewInjector(&Env{Relays: map[string]*Relay{"source": r}}, []Fault{f}, nil)
	got := make(chan journal.FaultPayload, 4)
	record := func(p journal.FaultPayload) { got <- p }
	ctx := context.Background()
	copyStep, other := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy}, runbooks.Step{ID: "copy2", Kind: runbooks.KindCopy}
	in.BeforeStep(ctx, copyStep, journal.State{}, record)
	in.Committed(ctx, copyStep, 200)
	in.Committed(ctx, copyStep, 499)
	in.Committed(ctx, other, 10000)
	select {
	case p := <-got:
		t.Fatalf("struck before its step committed 500 rows: %+v", p)
	case <-time.After(50 * time.Millisecond): // nothing runs later: a strike would be recorded in Committed itself
	}
	in.Committed(ctx, copyStep, 600)
	var struck journal.FaultPayload
	select {
	case struck = <-got: // recorded before Committed returned
	default:
		t.Fatal("600 committed rows of 500 did not strike in the copy")
	}
	if struck.Error != "" || struck.Ended || struck.Spec != f.Spec() || !strings.Contains(struck.Detail, "once 600 rows were committed by step copy") {
		t.Fatalf("strike %+v", struck)
	}
	if c, err := net.DialTimeout("tcp", r.Addr(), time.Second); err == nil {
		_, rtErr := roundTrip(c, 200*time.Millisecond)
		c.Close()
		if rtErr == nil {
			t.Error("the relay still passes traffic right after the strike")
		}
	}
	in.Committed(ctx, copyStep, 1200)
	if healed := <-got; !healed.Ended || healed.At.Sub(struck.At) < 300*time.Millisecond {
		t.Errorf("the second record is not the heal after the duration: %+v", healed)
	}
	select {
	case p := <-got:
		t.Errorf("struck twice: %+v", p)
	case <-time.After(50 * time.Millisecond):
	}
}

// A rows=N fault whose step ends before it committed N rows says so, and
// strikes no more.
func TestRowsFaultMissedWhenTheStepEndsFirst(t *testing.T) {
	r := relay(t, echo(t))
	f, _ := Parse("network-blackhole:source@copy:1s:rows=5000")
	in := NewInjector(&Env{Relays: map[string]*Relay{"source": r}}, []Fault{f}, nil)
	got := make(chan journal.FaultPayload, 4)
	record := func(p journal.FaultPayload) { got <- p }
	ctx := context.Background()
	copyStep := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy}
	in.BeforeStep(ctx, copyStep, journal.State{}, record)
	in.Committed(ctx, copyStep, 4600)
	in.AfterStep(ctx, copyStep, journal.State{}, record)
	p := <-got
	if !strings.Contains(p.Error, "was over before it committed 5000 rows") || p.Spec != f.Spec() {
		t.Errorf("a missed rows fault: %+v", p)
	}
	in.Committed(ctx, copyStep, 9000)
	select {
	case p := <-got:
		t.Errorf("struck after its step was over: %+v", p)
	default:
	}
}
