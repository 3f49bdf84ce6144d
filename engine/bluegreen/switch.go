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
func (p *pgPair) cut(ctx context.Context, old, nu *end, oldName, newName string, startNew, resume bool, h Hooks) (out Switched, err error) {
	out.From, out.To = old.Name, old.Name
	oldRuns, err := hasSubscription(ctx, nu, oldName)
	if err != nil {
		return out, err
	}
	newRuns := false
	if !oldRuns && resume {
		if newRuns, err = hasSubscription(ctx, old, newName); err != nil {
			return out, err
		}
	}
	if !oldRuns && !resume {
		return out, fmt.Errorf("switch refused: %s does not replicate %s (no subscription %s on it)", nu.Name, old.Name, oldName)
	}
	frozenAt := time.Now()
	phase := func(name string, do func() (string, error)) error {
		start := time.Now()
		detail, err := do()
		ph := Phase{Name: name, Took: time.Since(start), Detail: detail}
		out.Phases = append(out.Phases, ph)
		if h.Phase != nil {
			h.Phase(ph, err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	// Recovery runs even when ctx was cancelled.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	abort := func(cause error) error {
		uerr := p.unfreeze(rctx, old)
		if uerr != nil {
			return fmt.Errorf("switch aborted: %w; and %s could NOT be unfrozen: %v", cause, old.Name, uerr)
		}
		return fmt.Errorf("switch aborted, %s is live and writable, replication %s → %s runs: %w", old.Name, old.Name, nu.Name, cause)
	}

	if err := phase(PhaseFrozen, func() (string, error) {
		return old.Name + " frozen", p.freeze(ctx, old)
	}); err != nil {
		return out, abort(err)
	}
	if oldRuns {
		if err := phase(PhaseDrained, func() (string, error) {
			var err error
			out.Lag, err = waitCaughtUp(ctx, old, nu, oldName, p.cfg.catchUpTimeout())
			return fmt.Sprintf("%s confirmed %s's WAL up to %s (slot %s)", nu.Name, old.Name, out.Lag.ConfirmedLSN, oldName), err
		}); err != nil {
			return out, abort(err)
		}
	}
	// An interrupted cut past the turn (newRuns) has nu → old running and
	// nu may have been unfrozen: there is nothing to compare still.
	if err := p.verifyUnless(ctx, newRuns, old, nu, &out, phase); err != nil {
		if oldRuns {
			return out, abort(err)
		}
		return out, p.restore(rctx, old, nu, oldName, newName, err, abort)
	}
	var slotErr error
	if oldRuns {
		if err := phase(PhaseDetach, func() (string, error) {
			if err := p.detach(ctx, nu, oldName); err != nil {
				return "", err
			}
			slotErr = dropSlot(ctx, old, oldName) // the subscription is gone: not a reason to go back
			return fmt.Sprintf("subscription %s on %s dropped", oldName, nu.Name), nil
		}); err != nil {
			return out, abort(err)
		}
	}
	if slotErr != nil {
		out.Warnings = append(out.Warnings, fmt.Sprintf("slot %s on %s was not dropped and pins its server's WAL (Teardown drops it): %v", oldName, old.Name, slotErr))
	}
	// From here old → nu no longer runs: a failure restarts it.
	restore := func(cause error) error { return p.restore(rctx, old, nu, oldName, newName, cause, abort) }
	if newRuns {
		if out.ReplicaLSN, _, err = ensureSlot(ctx, nu, newName); err != nil {
			return out, restore(err)
		}
	} else if startNew {
		if err := phase(PhaseReplicate, func() (string, error) {
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
		}); err != nil {
			return out, restore(err)
		}
	}
	return p.finish(ctx, old, nu, &out, frozenAt, phase, restore, h)
}

// verifyUnless compares both sides (the verify phase) unless skip.
func (p *pgPair) verifyUnless(ctx context.Context, skip bool, old, nu *end, out *Switched, phase func(string, func() (string, error)) error) error {
	if skip {
		return nil
	}
	return phase(PhaseVerify, func() (string, error) {
		var err error
		if out.Tables, err = p.compare(ctx, old, nu); err != nil {
			return "", err
		}
		var bad []string
		var rows int64
		for _, t := range out.Tables {
			rows += t.Rows
			if !t.Equal {
				bad = append(bad, fmt.Sprintf("%s (%s has %d rows; differing keys %s)", t.Table, old.Name, t.Rows, strings.Join(t.Differ, " ")))
			}
		}
		if len(bad) > 0 {
			return "", fmt.Errorf("%s and %s differ: %s", old.Name, nu.Name, strings.Join(bad, "; "))
		}
		return fmt.Sprintf("%d tables, %d rows equal on %s and %s", len(out.Tables), rows, old.Name, nu.Name), nil
	})
}

// finish sets nu's sequences, runs the route and unfreezes nu.
func (p *pgPair) finish(ctx context.Context, old, nu *end, out *Switched, frozenAt time.Time, phase func(string, func() (string, error)) error, restore func(error) error, h Hooks) (Switched, error) {
	if err := phase(PhaseSequences, func() (string, error) {
		var err error
		out.Sequences, err = p.syncSequences(ctx, old, nu)
		moved := 0
		for _, s := range out.Sequences {
			if s.NextAfter != s.Next {
				moved++
			}
		}
		return fmt.Sprintf("%d sequences on %s, %d moved past %s's", len(out.Sequences), nu.Name, moved, old.Name), err
	}); err != nil {
		return *out, restore(err)
	}
	if h.Route != nil {
		if err := phase(PhaseRoute, func() (string, error) { return "routing hook ran", h.Route(ctx) }); err != nil {
			return *out, restore(err)
		}
	}
	if err := phase(PhaseUnfrozen, func() (string, error) {
		return nu.Name + " unfrozen: it is live", p.unfreeze(ctx, nu)
	}); err != nil {
		out.To = nu.Name
		return *out, fmt.Errorf("switched to %s but it could not be unfrozen: %w", nu.Name, err)
	}
	out.To = nu.Name
	out.Frozen = time.Since(frozenAt)
	return *out, nil
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
