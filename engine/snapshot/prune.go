package snapshot

// Pruning is planned once and then carried out: PlanPrune decides, for
// every snapshot of the catalog, whether it is kept, deleted, or due but
// kept (and why), checking everything a deletion needs before anything is
// deleted; Prune with dryRun returns that plan, without it carries it
// out. So a dry run lists exactly what the real prune does.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// PruneReport says what Prune did, or would do with dryRun.
type PruneReport struct {
	Kept    []Entry
	Deleted []Entry // with dryRun: would be deleted
	Skipped []Skip  // due for deletion but kept
}

// Skip is a snapshot Prune could not delete, and why.
type Skip struct {
	Entry
	Reason error
}

// MinKeep is the fewest snapshots Prune keeps of every migration id and
// connection: the pre-migration snapshot and the one before it.
const MinKeep = 2

// PlanPrune decides what Prune does: it keeps the newest keep snapshots of
// every migration id and connection in dir; each older one is to be
// deleted when its deletion can be carried out — a file artefact that is
// in dir (beside its manifest), or an in-server snapshot database that its
// connection reaches and that still exists (an artefact already gone
// leaves only its manifest to delete) — and is otherwise skipped with the
// reason. Unreadable manifests are skipped, never touched. keep below
// MinKeep is refused.
func PlanPrune(ctx context.Context, dir string, keep int, connect Connect) (PruneReport, error) {
	var rep PruneReport
	if keep < MinKeep {
		return rep, fmt.Errorf("--keep %d: at least %d snapshots of every migration and connection are always kept", keep, MinKeep)
	}
	entries, err := List(dir)
	if err != nil {
		return rep, err
	}
	groups := map[string][]Entry{}
	var order []string
	for _, e := range entries {
		if e.Err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Entry: e, Reason: e.Err})
			continue
		}
		k := groupKey(e.SnapshotPayload)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	for _, k := range order {
		g := groups[k] // oldest first
		cut := max(len(g)-keep, 0)
		rep.Kept = append(rep.Kept, g[cut:]...)
		for _, e := range g[:cut] {
			if err := deletable(ctx, e, connect); err != nil {
				rep.Skipped = append(rep.Skipped, Skip{Entry: e, Reason: err})
				continue
			}
			rep.Deleted = append(rep.Deleted, e)
		}
	}
	return rep, nil
}

// Prune plans (PlanPrune) and, unless dryRun, deletes what the plan
// deletes: the file artefact or the in-server snapshot database, then the
// manifest. A deletion that fails when carried out moves to Skipped.
func Prune(ctx context.Context, dir string, keep int, dryRun bool, connect Connect) (PruneReport, error) {
	rep, err := PlanPrune(ctx, dir, keep, connect)
	if err != nil || dryRun {
		return rep, err
	}
	planned := rep.Deleted
	rep.Deleted = nil
	for _, e := range planned {
		if err := remove(ctx, e, connect); err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Entry: e, Reason: err})
			continue
		}
		rep.Deleted = append(rep.Deleted, e)
	}
	return rep, nil
}

// groupKey is migration id + connection; manifests written before the
// catalog carried no migration id, whose label starts with it.
func groupKey(m journal.SnapshotPayload) string {
	mig := m.MigrationID
	if mig == "" {
		mig, _, _ = strings.Cut(m.Label, " ")
	}
	return mig + "\x00" + m.Connection
}

// deletable checks that remove can delete e: nil, or why it cannot.
func deletable(ctx context.Context, e Entry, connect Connect) error {
	err := Present(ctx, e, connect)
	switch {
	case err == nil:
	case e.InServer && errors.Is(err, ErrDamaged):
		// the snapshot database is gone already: only the manifest is left
	case !e.InServer && errors.Is(err, ErrDamaged):
		return fmt.Errorf("its artefact %s is not in this folder (the manifest recorded %s): left alone", e.Artefact, e.Recorded)
	default:
		return err
	}
	return writable(e.Manifest)
}

// writable checks that the manifest's folder lets files be removed.
func writable(manifest string) error {
	dir := filepath.Dir(manifest)
	f, err := os.CreateTemp(dir, ".prune-probe-*")
	if err != nil {
		return fmt.Errorf("cannot delete files in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// remove deletes one snapshot: the artefact first, then the manifest, so
// a failure never leaves an artefact without its manifest.
func remove(ctx context.Context, e Entry, connect Connect) error {
	if e.InServer {
		live, err := connectLive(ctx, e.SnapshotPayload, connect)
		if err != nil {
			return err
		}
		sn, method, err := snapshotter(live, e.Method)
		if err == nil {
			err = sn.DropSnapshot(ctx, method.Name, e.Artefact)
		}
		if err != nil {
			return err
		}
	} else if err := os.Remove(e.Artefact); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.Remove(e.Manifest)
}
