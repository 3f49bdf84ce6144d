package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Phase is one timed phase of a switch.
type Phase struct {
	Name string        `json:"name"`
	Took time.Duration `json:"took"`
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
	Sequences  []SequenceSet
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
func (p *Pair) Switch(ctx context.Context) (Switched, error) {
	if !p.reverseChecked {
		if _, err := p.CheckReverse(ctx); err != nil {
			return Switched{From: p.blue.Name, To: p.blue.Name}, fmt.Errorf("switch refused before anything changed: %w", err)
		}
	}
	return p.cut(ctx, p.blue, p.green, p.cfg.ForwardName(), p.cfg.ReverseName(), true)
}

// SwitchBack makes blue live again, the mirror of Switch: freeze green,
// wait until blue has every change, compare, drop the reverse subscription
// and slot, and — when restartForward — start blue → green again with its
// slot created while both sides are frozen; set blue's sequences and
// unfreeze blue. Green stays frozen.
func (p *Pair) SwitchBack(ctx context.Context, restartForward bool) (Switched, error) {
	return p.cut(ctx, p.green, p.blue, p.cfg.ReverseName(), p.cfg.ForwardName(), restartForward)
}

// cut moves the live side from old to nu; oldName replicates old → nu now,
// newName is to replicate nu → old afterwards when startNew.
func (p *Pair) cut(ctx context.Context, old, nu *end, oldName, newName string, startNew bool) (out Switched, err error) {
	out.From, out.To = old.Name, old.Name
	if ok, err := hasSubscription(ctx, nu, oldName); err != nil || !ok {
		return out, errors.Join(err, fmt.Errorf("switch refused: %s does not replicate %s (no subscription %s on it)", nu.Name, old.Name, oldName))
	}
	frozenAt := time.Now()
	phase := func(name string, do func() error) error {
		start := time.Now()
		err := do()
		out.Phases = append(out.Phases, Phase{Name: name, Took: time.Since(start)})
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

	if err := phase("freeze "+old.Name, func() error { return p.freeze(ctx, old) }); err != nil {
		return out, abort(err)
	}
	if err := phase("catch up", func() error {
		var err error
		out.Lag, err = waitCaughtUp(ctx, old, nu, oldName, p.cfg.catchUpTimeout())
		return err
	}); err != nil {
		return out, abort(err)
	}
	if err := phase("verify", func() error {
		var err error
		if out.Tables, err = p.compare(ctx, old, nu); err != nil {
			return err
		}
		var bad []string
		for _, t := range out.Tables {
			if !t.Equal {
				bad = append(bad, fmt.Sprintf("%s (%s has %d rows; differing keys %s)", t.Table, old.Name, t.Rows, strings.Join(t.Differ, " ")))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s and %s differ: %s", old.Name, nu.Name, strings.Join(bad, "; "))
		}
		return nil
	}); err != nil {
		return out, abort(err)
	}
	var slotErr error
	if err := phase("drop "+oldName, func() error {
		if err := p.detach(ctx, nu, oldName); err != nil {
			return err
		}
		slotErr = dropSlot(ctx, old, oldName) // the subscription is gone: not a reason to go back
		return nil
	}); err != nil {
		return out, abort(err)
	}
	if slotErr != nil {
		out.Warnings = append(out.Warnings, fmt.Sprintf("slot %s on %s was not dropped and pins its server's WAL (Teardown drops it): %v", oldName, old.Name, slotErr))
	}
	// From here old → nu no longer runs: a failure restarts it.
	restore := func(cause error) error {
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
	if startNew {
		if err := phase("start "+newName, func() error {
			if err := p.ensurePublication(ctx, nu); err != nil {
				return err
			}
			var err error
			if out.ReplicaLSN, _, err = ensureSlot(ctx, nu, newName); err != nil {
				return err
			}
			return p.createSubscription(ctx, old, nu, newName, false)
		}); err != nil {
			return out, restore(err)
		}
	}
	if err := phase("sequences", func() error {
		var err error
		out.Sequences, err = p.syncSequences(ctx, old, nu)
		return err
	}); err != nil {
		return out, restore(err)
	}
	if err := phase("unfreeze "+nu.Name, func() error { return p.unfreeze(ctx, nu) }); err != nil {
		out.To = nu.Name
		return out, fmt.Errorf("switched to %s but it could not be unfrozen: %w", nu.Name, err)
	}
	out.To = nu.Name
	out.Frozen = time.Since(frozenAt)
	return out, nil
}

// detach disables and drops the subscription name on sub, keeping its
// slot (dropped afterwards: a failure here leaves the subscription running
// or, if it was dropped, is past the point of no return).
func (p *Pair) detach(ctx context.Context, sub *end, name string) error {
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

func (p *Pair) freeze(ctx context.Context, e *end) error {
	if p.cfg.Freezer == nil {
		return nil
	}
	return p.cfg.Freezer.Freeze(ctx, e.Side, p.cfg.Tables)
}

func (p *Pair) unfreeze(ctx context.Context, e *end) error {
	if p.cfg.Freezer == nil {
		return nil
	}
	return p.cfg.Freezer.Unfreeze(ctx, e.Side, p.cfg.Tables)
}
