package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// Phase is one timed phase of a switch.
type Phase struct {
	Name   string        `json:"name"` // one of the Phase* names
	Took   time.Duration `json:"took"`
	Detail string        `json:"detail,omitempty"` // what it found or did
}

// The phases of a switch, in order. PhaseRoute is the caller's (Hooks);
// the others are the pair's.
const (
	PhaseFrozen    = "frozen"    // the live side frozen
	PhaseDrained   = "drained"   // the other side has every change
	PhaseVerify    = "verify"    // both sides compared equal
	PhaseDetach    = "detach"    // the old direction's subscription and slot dropped
	PhaseReplicate = "replicate" // the new direction started (its slot's LSN)
	PhaseSequences = "sequences" // the new live side's sequences set
	PhaseRoute     = "route"     // the caller's routing hook (Hooks.Route)
	PhaseUnfrozen  = "unfrozen"  // the new live side unfrozen
)

// Hooks are the caller's parts of a switch; each may be nil.
type Hooks struct {
	// Phase is told of each phase as it ends, failed (err) or not.
	Phase func(ph Phase, err error)
	// Route runs once the new direction runs and the sequences are set,
	// before the new side is unfrozen: the routing hook. An error restores
	// the old direction and unfreezes the old side.
	Route func(ctx context.Context) error
}

// Switched is what a switch (or switch-back) did.
type Switched struct {
	From, To string // the side live before and after
	Phases   []Phase
	// Frozen is how long the application could not write: from the start
	// of the freeze of From to the end of the unfreeze of To.
	Frozen time.Duration
	Lag    Lag        // the old direction, caught up
	Tables []TableSum // the verification
	// ReplicaLSN is where the new direction's slot (on To) starts: taken
	// while both sides were frozen, before To took a write. "" when no
	// replication was started (a switch-back without restarting forward).
	ReplicaLSN string
	Sequences  []journal.SequenceSync
	// Warnings: what did not stop the switch but needs a hand (a slot that
	// could not be dropped pins its server's WAL).
	Warnings []string
}

// Switch makes green live: proves the reverse path unless CheckReverse
// already did on this Pair; (1) freezes blue, (2) waits until green has
// every change, (3) compares every table row by row, (4) drops the forward
// subscription and slot, (5) starts green → blue with its slot created on
// green while both sides are frozen, (6) sets green's sequences, (7)
// unfreezes green. A failure before (4) unfreezes blue and leaves forward
// replication running: blue stays live and writable. A failure in (5) or
// (6) restarts forward replication (both sides are frozen and equal) and
// unfreezes blue.
func (p *pgPair) Switch(ctx context.Context) (Switched, error) {
	return p.SwitchWith(ctx, Hooks{})
}

// SwitchWith is Switch with the caller's hooks: Phase told of each phase,
// Route run between (6) and (7).
func (p *pgPair) SwitchWith(ctx context.Context, h Hooks) (Switched, error) {
	if !p.reverseChecked {
		if _, err := p.CheckReverse(ctx); err != nil {
			return Switched{From: p.blue.Name, To: p.blue.Name}, fmt.Errorf("switch refused before anything changed: %w", err)
		}
	}
	return p.cut(ctx, p.blue, p.green, p.cfg.ForwardName(), p.cfg.ReverseName(), true, false, h)
}

// ResumeSwitch finishes a switch to green that was interrupted (the
// process died) after it froze blue: the caller's journal says so. It
// takes up where the databases say the switch got: forward replication
// still there, the whole switch; neither direction, the two frozen sides
// verified again and green → blue started; green → blue already running,
// only the sequences, the route and green's unfreeze. Blue's freeze is
// re-applied first. The route runs again if it had started: it must be
// safe to repeat.
func (p *pgPair) ResumeSwitch(ctx context.Context, h Hooks) (Switched, error) {
	return p.cut(ctx, p.blue, p.green, p.cfg.ForwardName(), p.cfg.ReverseName(), true, true, h)
}

// ResumeSwitchBack is ResumeSwitch for an interrupted switch-back.
func (p *pgPair) ResumeSwitchBack(ctx context.Context, restartForward bool, h Hooks) (Switched, error) {
	return p.cut(ctx, p.green, p.blue, p.cfg.ReverseName(), p.cfg.ForwardName(), restartForward, true, h)
}

// SwitchBack makes blue live again, the mirror of Switch: freeze green,
// wait until blue has every change, compare, drop the reverse subscription
// and slot, and — when restartForward — start blue → green again with its
// slot created while both sides are frozen; set blue's sequences and
// unfreeze blue. Green stays frozen.
func (p *pgPair) SwitchBack(ctx context.Context, restartForward bool) (Switched, error) {
	return p.SwitchBackWith(ctx, restartForward, Hooks{})
}

// SwitchBackWith is SwitchBack with the caller's hooks.
func (p *pgPair) SwitchBackWith(ctx context.Context, restartForward bool, h Hooks) (Switched, error) {
	return p.cut(ctx, p.green, p.blue, p.cfg.ReverseName(), p.cfg.ForwardName(), restartForward, false, h)
}

// Live tells which side is live from the subscriptions there are: blue
// while blue → green replicates (or nothing does), green while green →
// blue does.
func (p *pgPair) Live(ctx context.Context) (string, error) {
	ok, err := hasSubscription(ctx, p.blue, p.cfg.ReverseName())
	if err != nil {
		return "", err
	}
	if ok {
		return p.green.Name, nil
	}
	return p.blue.Name, nil
}

// cut moves the live side from old to nu; oldName replicates old → nu now,
// newName is to replicate nu → old afterwards when startNew. resume: an
// interrupted cut with old frozen, taken up where the subscriptions say.
func (p *pgPair) cut(ctx context.Context, old, nu *end, oldName, newName string, startNew, resume bool, h Hooks) (Switched, error) {
	return runCut(ctx, cutSteps{
		old: old.Name, nu: nu.Name, oldName: oldName, newName: newName, link: "subscription",
		startNew: startNew, resume: resume,
		oldRuns:     func(ctx context.Context) (bool, error) { return hasSubscription(ctx, nu, oldName) },
		newRuns:     func(ctx context.Context) (bool, error) { return hasSubscription(ctx, old, newName) },
		freeze:      func(ctx context.Context) error { return p.freeze(ctx, old) },
		unfreezeOld: func(ctx context.Context) error { return p.unfreeze(ctx, old) },
		unfreezeNew: func(ctx context.Context) error { return p.unfreeze(ctx, nu) },
		drain: func(ctx context.Context, out *Switched) (string, error) {
			var err error
			out.Lag, err = waitCaughtUp(ctx, old, nu, oldName, p.cfg.catchUpTimeout())
			return fmt.Sprintf("%s confirmed %s's WAL up to %s (slot %s)", nu.Name, old.Name, out.Lag.ConfirmedLSN, oldName), err
		},
		verify: func(ctx context.Context, out *Switched) (string, error) { return p.verify(ctx, old, nu, out) },
		detach: func(ctx context.Context, out *Switched) (string, error) {
			if err := p.detach(ctx, nu, oldName); err != nil {
				return "", err
			}
			// the subscription is gone: not a reason to go back
			if err := dropSlot(ctx, old, oldName); err != nil {
				out.Warnings = append(out.Warnings, fmt.Sprintf("slot %s on %s was not dropped and pins its server's WAL (Teardown drops it): %v", oldName, old.Name, err))
			}
			return fmt.Sprintf("subscription %s on %s dropped", oldName, nu.Name), nil
		},
		resumed: func(ctx context.Context, out *Switched) (err error) {
			out.ReplicaLSN, _, err = ensureSlot(ctx, nu, newName)
			return err
		},
		startReverse: func(ctx context.Context, out *Switched) (string, error) {
			if err := p.ensurePublication(ctx, nu); err != nil {
				return "", err
			}
			var err error
			if out.ReplicaLSN, _, err = ensureSlot(ctx, nu, newName); err != nil {
				return "", err
			}
			if err := p.createSubscription(ctx, old, nu, newName, false); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s → %s started: slot %s on %s from LSN %s", nu.Name, old.Name, newName, nu.Name, out.ReplicaLSN), nil
		},
		syncCounters: func(ctx context.Context) ([]journal.SequenceSync, error) { return p.syncSequences(ctx, old, nu) },
		countersDetail: func(n, moved int) string {
			return fmt.Sprintf("%d sequences on %s, %d moved past %s's", n, nu.Name, moved, old.Name)
		},
		restore: func(rctx context.Context, cause error, abort func(error) error) error {
			return p.restore(rctx, old, nu, oldName, newName, cause, abort)
		},
	}, h)
}

// verify compares both sides (the verify phase) into out.Tables.
func (p *pgPair) verify(ctx context.Context, old, nu *end, out *Switched) (string, error) {
	var err error
	if out.Tables, err = p.compare(ctx, old, nu); err != nil {
		return "", err
	}
	var bad []string
	for _, t := range out.Tables {
		if !t.Equal {
			bad = append(bad, fmt.Sprintf("%s (%s has %d rows; differing keys %s)", t.Table, old.Name, t.Rows, strings.Join(t.Differ, " ")))
		}
	}
	return verdict(old.Name, nu.Name, out.Tables, bad)
}

// restore puts old → nu back after the cut dropped it (both sides are
// frozen and were equal): the new direction dropped, old's slot and nu's
// subscription made again without copying; then abort unfreezes old.
func (p *pgPair) restore(rctx context.Context, old, nu *end, oldName, newName string, cause error, abort func(error) error) error {
	var errs []error
	if err := dropSubscription(rctx, old, nu, newName); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := ensureSlot(rctx, old, oldName); err != nil {
		errs = append(errs, err)
	} else if err := p.createSubscription(rctx, nu, old, oldName, false); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("switch failed: %w; replication %s → %s could NOT be restarted (%v): both sides are frozen and were equal", cause, old.Name, nu.Name, errors.Join(errs...))
	}
	return abort(cause)
}

// detach disables and drops the subscription name on sub, keeping its
// slot (dropped afterwards: a failure here leaves the subscription running
// or, if it was dropped, is past the point of no return).
func (p *pgPair) detach(ctx context.Context, sub *end, name string) error {
	if _, err := sub.conn.Exec(ctx, "ALTER SUBSCRIPTION "+ident(name)+" DISABLE"); err != nil {
		return err
	}
	if _, err := sub.conn.Exec(ctx, "ALTER SUBSCRIPTION "+ident(name)+" SET (slot_name = NONE)"); err != nil {
		sub.conn.Exec(context.WithoutCancel(ctx), "ALTER SUBSCRIPTION "+ident(name)+" ENABLE")
		return err
	}
	if _, err := sub.conn.Exec(ctx, "DROP SUBSCRIPTION "+ident(name)); err != nil {
		rctx := context.WithoutCancel(ctx)
		sub.conn.Exec(rctx, "ALTER SUBSCRIPTION "+ident(name)+" SET (slot_name = "+literal(name)+")")
		sub.conn.Exec(rctx, "ALTER SUBSCRIPTION "+ident(name)+" ENABLE")
		return err
	}
	return nil
}

func (p *pgPair) freeze(ctx context.Context, e *end) error {
	if p.cfg.Freezer == nil {
		return nil
	}
	return p.cfg.Freezer.Freeze(ctx, e.Side, p.cfg.Tables)
}

func (p *pgPair) unfreeze(ctx context.Context, e *end) error {
	if p.cfg.Freezer == nil {
		return nil
	}
	return p.cfg.Freezer.Unfreeze(ctx, e.Side, p.cfg.Tables)
}
