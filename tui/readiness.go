package tui

import (
	"fmt"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// readinessPane answers "could we roll back right now, and in time?": the
// strategy, the latest snapshot (age, verification), its estimated restore
// time against the RTO, restores done, and the rollback if one is running.
type readinessPane struct {
	stateFrame
	c *Common
}

func newReadiness(c *Common) *readinessPane {
	p := &readinessPane{c: c}
	p.render = p.lines
	return p
}

// snapshotVerified: the manifest records rows and a checksum for every table.
func snapshotVerified(sn journal.SnapshotPayload) bool {
	if len(sn.Tables) == 0 {
		return false
	}
	for _, t := range sn.Tables {
		if t.Checksum == "" {
			return false
		}
	}
	return true
}

// rto is the run's RTO, from the runbook or a restore's record of it.
func rto(s journal.State) time.Duration {
	if s.Runbook != nil {
		return s.Runbook.Objectives.RTO
	}
	for _, r := range s.Restores {
		if r.RTOMS > 0 {
			return time.Duration(r.RTOMS) * time.Millisecond
		}
	}
	return 0
}

// vsRTO renders "4m10s ≤ RTO 30m ✓" or, over the RTO, a Danger warning.
func (p *readinessPane) vsRTO(label string, d, limit time.Duration) string {
	st := p.c.Styles
	if limit <= 0 {
		return st.Text.Render(label + " " + fmtDur(d))
	}
	if d > limit {
		return st.Danger.Render(fmt.Sprintf("⚠ %s %s > RTO %s", label, fmtDur(d), fmtObjective(limit)))
	}
	return st.Text.Render(label+" "+fmtDur(d)) + st.Muted.Render(" ≤ RTO "+fmtObjective(limit)) + st.OK.Render(" ✓")
}

func (p *readinessPane) lines(w, h int) []string {
	st, s := p.c.Styles, p.state
	head := heading(st, "ROLLBACK READINESS", w, st.Muted.Render(p.c.strategy(s)))
	// Rank: what is running or wrong first, then the snapshot, then the fine print.
	var out []ranked
	add := func(rank int, line string) { out = append(out, ranked{line, rank}) }
	limit := rto(s)
	now := p.c.clockAt(s)

	switch {
	case s.Rollback != nil:
		d := time.Duration(s.Rollback.DurationMS) * time.Millisecond
		if s.Rollback.OK {
			add(0, p.vsRTO("↺ rollback done in", d, limit))
		} else {
			add(0, st.Danger.Render(truncate("✗ rollback failed after "+fmtDur(d)+": "+s.Rollback.Reason, w)))
		}
	case s.RollingBack:
		add(0, p.vsRTO("↺ ROLLING BACK for", now.Sub(s.RollbackAt), limit))
	}

	if n := len(s.Snapshots); n > 0 {
		sn := s.Snapshots[n-1]
		line := st.Text.Render("snapshot ") + st.Bold.Render(sn.Label)
		if !sn.CapturedAt.IsZero() {
			line += st.Muted.Render(" · age " + fmtDur(now.Sub(sn.CapturedAt)))
		}
		if n > 1 {
			line += st.Muted.Render(fmt.Sprintf(" · %d kept", n))
		}
		add(2, truncate(line, w))
		if snapshotVerified(sn) {
			add(3, st.OK.Render(truncate(fmt.Sprintf("✓ verified: %d tables, rows and checksums recorded", len(sn.Tables)), w)))
		} else {
			add(1, st.Warn.Render(truncate("⚠ not verified: no checksums in the manifest", w)))
		}
		if est := time.Duration(sn.EstRestoreMS) * time.Millisecond; est > 0 {
			rank := 3
			if limit > 0 && est > limit {
				rank = 1
			}
			add(rank, truncate(p.vsRTO("restore est.", est, limit), w))
		}
	} else if s.Runbook != nil && s.Runbook.Strategy == "snapshot" {
		add(1, st.Warn.Render(truncate("⚠ no snapshot taken yet — nothing to roll back to", w)))
	} else if s.Runbook != nil && s.Runbook.Strategy != "" {
		add(2, st.Muted.Render(truncate(s.Runbook.Strategy+": no snapshot; rollback by "+s.Runbook.Strategy, w)))
	}

	for _, r := range s.Restores {
		d := time.Duration(r.DurationMS) * time.Millisecond
		lim := limit
		if r.RTOMS > 0 {
			lim = time.Duration(r.RTOMS) * time.Millisecond
		}
		line := p.vsRTO("restored "+r.Snapshot+" in", d, lim)
		if r.Verified {
			line += st.OK.Render(" · verified")
		} else {
			line += st.Warn.Render(" · not verified")
		}
		rank := 2
		if lim > 0 && d > lim || !r.Verified {
			rank = 1
		}
		add(rank, truncate(line, w))
	}
	return append([]string{head}, mostImportant(out, h-1)...)
}
