package bluegreen

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// cutSteps are one engine's parts of a cut from old (live before) to nu
// (live after); runCut is the order they run in, the same for every
// engine. A step that sets part of the outcome (Lag, Tables, ReplicaLSN,
// Warnings) writes it into out; a phase's step returns the phase's detail.
type cutSteps struct {
	old, nu          string // the sides' names
	oldName, newName string // the direction old → nu, and nu → old to be
	link             string // what names a direction on its server ("subscription")
	startNew, resume bool   // as the pair's cut was called

	// oldRuns tells whether old → nu replicates; newRuns (asked only
	// resuming when it does not) whether nu → old already does.
	oldRuns, newRuns func(ctx context.Context) (bool, error)
	freeze           func(ctx context.Context) error // old
	unfreezeOld      func(ctx context.Context) error
	unfreezeNew      func(ctx context.Context) error
	drain            func(ctx context.Context, out *Switched) (string, error) // waits until nu has every change of old
	verify           func(ctx context.Context, out *Switched) (string, error) // compares both sides
	detach           func(ctx context.Context, out *Switched) (string, error) // removes old → nu
	// detachRestores: a failed detach may have removed old → nu (MariaDB)
	// and restores it, rather than only unfreezing old (PostgreSQL).
	detachRestores bool
	resumed        func(ctx context.Context, out *Switched) error           // nu → old runs already: its position into out.ReplicaLSN
	startReverse   func(ctx context.Context, out *Switched) (string, error) // starts nu → old
	syncCounters   func(ctx context.Context) ([]journal.SequenceSync, error)
	countersDetail func(n, moved int) string
	// restore makes old → nu run again after it was removed; abort then
	// unfreezes old. rctx outlives a cancelled ctx.
	restore func(rctx context.Context, cause error, abort func(error) error) error
}

// runCut moves the live side: freeze old, drain, verify, detach,
// replicate, sequences, route, unfreeze nu, each a phase told to h.Phase.
// A failure while old → nu still runs unfreezes old (abort); after,
// restores old → nu first.
func runCut(ctx context.Context, s cutSteps, h Hooks) (out Switched, err error) {
	out.From, out.To = s.old, s.old
	oldRuns, err := s.oldRuns(ctx)
	if err != nil {
		return out, err
	}
	newRuns := false
	if !oldRuns && s.resume {
		if newRuns, err = s.newRuns(ctx); err != nil {
			return out, err
		}
	}
	if !oldRuns && !s.resume {
		return out, fmt.Errorf("switch refused: %s does not replicate %s (no %s %s on it)", s.nu, s.old, s.link, s.oldName)
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
	step := func(do func(context.Context, *Switched) (string, error)) func() (string, error) {
		return func() (string, error) { return do(ctx, &out) }
	}
	// Recovery runs even when ctx was cancelled.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	abort := func(cause error) error {
		if uerr := s.unfreezeOld(rctx); uerr != nil {
			return fmt.Errorf("switch aborted: %w; and %s could NOT be unfrozen: %v", cause, s.old, uerr)
		}
		return fmt.Errorf("switch aborted, %s is live and writable, replication %s → %s runs: %w", s.old, s.old, s.nu, cause)
	}
	restore := func(cause error) error { return s.restore(rctx, cause, abort) }

	if err := phase(PhaseFrozen, func() (string, error) { return s.old + " frozen", s.freeze(ctx) }); err != nil {
		return out, abort(err)
	}
	if oldRuns {
		if err := phase(PhaseDrained, step(s.drain)); err != nil {
			return out, abort(err)
		}
	}
	// An interrupted cut past the turn (newRuns) has nu → old running and
	// nu may have been unfrozen: there is nothing to compare still.
	if !newRuns {
		if err := phase(PhaseVerify, step(s.verify)); err != nil {
			if oldRuns {
				return out, abort(err)
			}
			return out, restore(err)
		}
	}
	if oldRuns {
		if err := phase(PhaseDetach, step(s.detach)); err != nil {
			if s.detachRestores {
				return out, restore(err)
			}
			return out, abort(err)
		}
	}
	// From here old → nu no longer runs: a failure restarts it.
	switch {
	case newRuns:
		if err := s.resumed(ctx, &out); err != nil {
			return out, restore(err)
		}
	case s.startNew:
		if err := phase(PhaseReplicate, step(s.startReverse)); err != nil {
			return out, restore(err)
		}
	}
	if err := phase(PhaseSequences, func() (string, error) {
		var err error
		out.Sequences, err = s.syncCounters(ctx)
		moved := 0
		for _, q := range out.Sequences {
			if q.NextAfter != q.Next {
				moved++
			}
		}
		return s.countersDetail(len(out.Sequences), moved), err
	}); err != nil {
		return out, restore(err)
	}
	if h.Route != nil {
		if err := phase(PhaseRoute, func() (string, error) { return "routing hook ran", h.Route(ctx) }); err != nil {
			return out, restore(err)
		}
	}
	if err := phase(PhaseUnfrozen, func() (string, error) { return s.nu + " unfrozen: it is live", s.unfreezeNew(ctx) }); err != nil {
		out.To = s.nu
		return out, fmt.Errorf("switched to %s but it could not be unfrozen: %w", s.nu, err)
	}
	out.To = s.nu
	out.Frozen = time.Since(frozenAt)
	return out, nil
}

// verdict is the verify phase's outcome over out.Tables: bad names each
// table that differs.
func verdict(old, nu string, tables []TableSum, bad []string) (string, error) {
	if len(bad) > 0 {
		return "", fmt.Errorf("%s and %s differ: %s", old, nu, strings.Join(bad, "; "))
	}
	var rows int64
	for _, t := range tables {
		rows += t.Rows
	}
	return fmt.Sprintf("%d tables, %d rows equal on %s and %s", len(tables), rows, old, nu), nil
}
