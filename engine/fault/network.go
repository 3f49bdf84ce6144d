package fault

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// DefaultAfter is how long into its step a network fault strikes when its
// spec does not say.
const DefaultAfter = time.Second

func init() {
	register(Kind{
		Name: "network-drop", Syntax: "network-drop:CONN@STEP:DURATION[:AFTER]",
		Doc: "Connection CONN runs through tightrope's loopback relay; AFTER (default 1s) into step STEP every connection through it is reset " +
			"and new ones are refused for DURATION, then the network heals. AFTER rows=N (a copy step) is deterministic: the drop comes right after " +
			"the batch that brings the rows the step committed to N, before the next batch; a duration races the step.",
		Engines: []string{"postgres", "mysql"},
		Parse:   func(args string) (Fault, error) { return parseNetwork("network-drop", args) },
	})
	register(Kind{
		Name: "network-blackhole", Syntax: "network-blackhole:CONN@STEP:DURATION[:AFTER]",
		Doc:     "Like network-drop, but the relay silently stops passing bytes for DURATION: nothing errors, everything stalls (the stall timeout must notice).",
		Engines: []string{"postgres", "mysql"},
		Parse:   func(args string) (Fault, error) { return parseNetwork("network-blackhole", args) },
	})
	register(Kind{
		Name: "latency", Syntax: "latency:CONN:DELAY",
		Doc:     "From the first step on, every chunk of connection CONN's traffic through the relay is delayed by DELAY, both ways, so the run overruns its expected time (overrun).",
		Engines: []string{"postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			conn, ds, ok := strings.Cut(args, ":")
			d, err := time.ParseDuration(ds)
			if !ok || conn == "" || err != nil || d <= 0 {
				return nil, fmt.Errorf("want CONN:DELAY with DELAY a duration such as 50ms")
			}
			return &latency{base: base{"latency:" + args}, conn: conn, delay: d}, nil
		},
	})
}

// RelayUser is a fault whose connection must go through a relay.
type RelayUser interface {
	Fault
	// RelayConn names the connection.
	RelayConn() string
}

// network is network-drop and network-blackhole.
type network struct {
	base
	kind, conn, step string
	dur              time.Duration
	when             trigger
}

func parseNetwork(kind, args string) (Fault, error) {
	conn, rest, ok := strings.Cut(args, "@")
	parts := strings.Split(rest, ":")
	if !ok || conn == "" || len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return nil, fmt.Errorf("want CONN@STEP:DURATION[:AFTER]")
	}
	n := &network{base: base{kind + ":" + args}, kind: kind, conn: conn, step: parts[0], when: trigger{after: DefaultAfter}}
	var err error
	if n.dur, err = time.ParseDuration(parts[1]); err != nil || n.dur <= 0 {
		return nil, fmt.Errorf("DURATION %q is not a duration such as 10s", parts[1])
	}
	if len(parts) == 3 {
		if n.when, err = parseTrigger(parts[2]); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *network) RelayConn() string { return n.conn }

// arm strikes AFTER into the step, from a goroutine, and records the
// fault when it strikes and again when the network heals.
func (n *network) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	if step.ID != n.step {
		return false, nil
	}
	r := env.Relays[n.conn]
	if r == nil {
		return false, fmt.Errorf("connection %s does not go through a relay", n.conn)
	}
	strike := func(when string) {
		at := time.Now().UTC()
		what := "every connection reset, new ones refused"
		if n.kind == "network-blackhole" {
			r.Blackhole(n.dur)
			what = "nothing passes, nothing errors"
		} else {
			r.Drop(n.dur)
		}
		record(journal.FaultPayload{At: at, Target: n.conn, Detail: fmt.Sprintf("%s: %s for %s, %s step %s", n.kind, what, n.dur, when, n.step)})
		go func() {
			time.Sleep(n.dur)
			record(journal.FaultPayload{At: time.Now().UTC(), Target: n.conn, Ended: true, Detail: fmt.Sprintf("the network of %s is back after %s", n.conn, n.dur)})
		}()
	}
	env.strikeInto(ctx, n.step, n.when, "the network was not touched", func(rows int64) {
		if rows > 0 {
			strike(fmt.Sprintf("once %d rows were committed by", rows))
			return
		}
		strike(n.when.String())
	}, func(why string) { record(journal.FaultPayload{Error: why}) })
	return true, nil
}

// latency is latency:CONN:DELAY.
type latency struct {
	base
	conn  string
	delay time.Duration
}

func (l *latency) RelayConn() string { return l.conn }

// Before slows the connection from the first step on.
func (l *latency) Before(ctx context.Context, env *Env, step runbooks.Step, s journal.State) (journal.FaultPayload, bool, error) {
	r := env.Relays[l.conn]
	if r == nil {
		return journal.FaultPayload{}, false, fmt.Errorf("connection %s does not go through a relay", l.conn)
	}
	r.SetLatency(l.delay)
	return journal.FaultPayload{Target: l.conn, Detail: fmt.Sprintf("every chunk of %s's traffic delayed by %s, both ways", l.conn, l.delay)}, true, nil
}
