package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/snapshot"
	"github.com/tightrope/tightrope/journal"
)

// fallbackRestore is the restore of a damaged snapshot m (detected before
// anything was changed): the newest earlier snapshot of the same migration
// and connection whose artefact still proves against its manifest is
// restored instead — the reason to keep two. With none, the restore fails
// loudly, naming the damage.
func (c *Conductor) fallbackRestore(ctx context.Context, stepID string, d db.DB, m journal.SnapshotPayload, damaged error) (journal.SnapshotPayload, snapshot.Result, error) {
	cands := c.previousSnapshots(m)
	if len(cands) == 0 {
		return m, snapshot.Result{}, fmt.Errorf("%w; there is no earlier snapshot of %s for migration %s to fall back to", damaged, m.Connection, m.MigrationID)
	}
	errs := []string{damaged.Error()}
	for _, p := range cands {
		c.logf(stepID, "warn", "snapshot %s is damaged: falling back to the earlier snapshot %s", m.Label, p.Label)
		res, err := snapshot.Restore(ctx, d, p)
		if errors.Is(err, snapshot.ErrDamaged) {
			errs = append(errs, err.Error())
			continue
		}
		return p, res, err
	}
	return m, snapshot.Result{}, fmt.Errorf("%w: every snapshot to fall back to is damaged too: %s", snapshot.ErrDamaged, strings.Join(errs, "; "))
}

// previousSnapshots are the snapshots taken before m of the same migration
// and connection, from this run's journal and the snapshot directory,
// newest first.
func (c *Conductor) previousSnapshots(m journal.SnapshotPayload) []journal.SnapshotPayload {
	same := func(p journal.SnapshotPayload) bool {
		return p.Artefact != m.Artefact && p.Connection == m.Connection && p.MigrationID == m.MigrationID &&
			(p.Driver == "" || p.Driver == m.Driver) && p.CapturedAt.Before(m.CapturedAt)
	}
	seen := map[string]bool{}
	var out []journal.SnapshotPayload
	c.mu.Lock()
	for _, p := range c.state.Snapshots {
		if same(p) && !seen[p.Artefact] {
			seen[p.Artefact] = true
			out = append(out, p)
		}
	}
	c.mu.Unlock()
	if entries, err := snapshot.List(c.opts.SnapshotDir); err == nil {
		for _, e := range entries {
			if e.Err == nil && same(e.SnapshotPayload) && !seen[e.Artefact] {
				seen[e.Artefact] = true
				out = append(out, e.SnapshotPayload)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CapturedAt.After(out[j].CapturedAt) })
	return out
}

// fallbackFrom names the damaged snapshot when restored is another one.
func fallbackFrom(damaged, restored journal.SnapshotPayload) string {
	if damaged.Artefact == restored.Artefact { // labels name the second, artefacts the snapshot
		return ""
	}
	return damaged.Label
}

// manifestIfFallback is the tables of the snapshot restored in place of a
// damaged one: its manifest may come from the snapshot directory, not this
// journal, and the proof of the restore needs it.
func manifestIfFallback(damaged, restored journal.SnapshotPayload) []journal.TableSnapshot {
	if damaged.Artefact == restored.Artefact {
		return nil
	}
	return restored.Tables
}
