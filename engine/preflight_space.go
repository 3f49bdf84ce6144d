package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// journalBase is the space a journal needs besides its rejects: events,
// WAL, checkpoints.
const journalBase = 8 << 20

// defaultRejectShare is the share of a copied source's bytes its rejects
// are expected to take in the journal when no reject_rate trigger bounds
// them.
const defaultRejectShare = 0.10

// diskSpace checks that the disks of the journal and of the snapshot
// directory have room for what the run will write there, estimated from
// the sources' sizes: the journal's events plus its rejects (rows kept
// whole, about twice their stored size as JSON, up to the reject_rate
// threshold or a tenth of each copied source), and each snapshot step
// that writes a file about the size of its connection's data. Needs on
// one filesystem add up. A disk that cannot be measured is not checked.
func (c *Conductor) diskSpace(ctx context.Context) []error {
	rb := c.opts.Runbook
	size := map[string]int64{}
	sizeOf := func(conn string) (int64, bool) {
		if n, ok := size[conn]; ok {
			return n, n >= 0
		}
		size[conn] = -1
		d, err := c.database(ctx, conn)
		if err != nil {
			return 0, false // reported already
		}
		n, err := db.Size(ctx, d)
		if err != nil {
			return 0, false
		}
		size[conn] = n
		return n, true
	}
	share := defaultRejectShare
	if r := rb.Triggers.RejectRate; r != nil {
		share = *r
	}
	journalNeed := int64(journalBase)
	copied := map[string]bool{}
	snapNeed := int64(0)
	for _, step := range append(append([]runbooks.Step(nil), rb.Steps...), rb.Rollback...) {
		switch step.Kind {
		case runbooks.KindCopy:
			if n, ok := sizeOf(step.From); ok && !copied[step.From] {
				copied[step.From] = true
				journalNeed += int64(2 * share * float64(n))
			}
		case runbooks.KindSnapshot:
			if !c.snapshotWritesFile(ctx, step) {
				continue
			}
			if n, ok := sizeOf(step.Of); ok {
				snapNeed += n
			}
		}
	}
	type disk struct {
		free  int64
		need  int64
		what  []string
		where string
	}
	disks := map[uint64]*disk{}
	var order []uint64
	add := func(path, what string, need int64) {
		free, dev, ok := diskFree(path)
		if !ok || need == 0 {
			return
		}
		d, seen := disks[dev]
		if !seen {
			d = &disk{free: free, where: filepath.Dir(path)}
			disks[dev] = d
			order = append(order, dev)
		}
		d.need += need
		d.what = append(d.what, fmt.Sprintf("%s %s", what, sizeText(need)))
	}
	add(c.opts.Journal.Path(), "journal", journalNeed)
	add(filepath.Join(c.opts.SnapshotDir, "x"), "snapshots", snapNeed)
	var problems []error
	for _, dev := range order {
		if d := disks[dev]; d.free < d.need {
			problems = append(problems, fmt.Errorf("the disk of %s has %s free, and the run may need about %s there (%s): free some space or move the journal or snapshot directory",
				d.where, sizeText(d.free), sizeText(d.need), strings.Join(d.what, ", ")))
		}
	}
	return problems
}

// snapshotWritesFile tells whether a snapshot step's method writes a file
// beside the journal (not a database on the server).
func (c *Conductor) snapshotWritesFile(ctx context.Context, step runbooks.Step) bool {
	d, err := c.database(ctx, step.Of)
	if err != nil {
		return false
	}
	sn, ok := d.(db.Snapshotter)
	if !ok {
		return false
	}
	m, err := db.FindSnapshotMethod(d.Driver(), sn, step.Method)
	return err == nil && !m.InServer
}

// existingParent is path or its nearest parent that exists.
func existingParent(path string) string {
	for {
		if _, err := os.Stat(path); err == nil {
			return path
		}
		parent := filepath.Dir(path)
		if parent == path {
			return path
		}
		path = parent
	}
}

// sizeText writes a byte count in MiB (KiB below one MiB).
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
