package assess

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// restoreRate is a restore measured in an earlier run or drill: rows
// restored on a connection and how long it took.
type restoreRate struct {
	journal string
	at      time.Time
	rows    int64
	took    time.Duration
}

// restoreModel predicts a restore's duration from the verified restores of
// one connection recorded in the migration's journals: with two or more
// of different sizes, a line fitted through them (a fixed cost — the
// tool's start, the catalog, the verify — plus a cost per row); with one,
// that restore's rate scaled by rows.
type restoreModel struct {
	last     restoreRate   // the latest, named in the finding
	n        int           // restores the model rests on
	fixed    time.Duration // cost of a restore of no rows
	perRowNS float64       // cost of each row
}

// predict is the model's duration for a restore of rows rows.
func (m restoreModel) predict(rows int64) time.Duration {
	return m.fixed + time.Duration(m.perRowNS*float64(rows))
}

// basis says in words what the prediction rests on.
func (m restoreModel) basis() string {
	if m.n < 2 {
		return fmt.Sprintf("at the rate of the last restore (%d rows in %s, %s)", m.last.rows, m.last.took, filepath.Base(m.last.journal))
	}
	return fmt.Sprintf("from %d recorded restores (%s fixed + %.2f µs a row; the last %d rows in %s, %s)",
		m.n, m.fixed.Round(time.Millisecond), m.perRowNS/1e3, m.last.rows, m.last.took, filepath.Base(m.last.journal))
}

// fitRestores makes the model of the restores given (at least one).
func fitRestores(rs []restoreRate) restoreModel {
	m := restoreModel{n: len(rs)}
	for _, r := range rs {
		if m.last.journal == "" || r.at.After(m.last.at) {
			m.last = r
		}
	}
	single := func() restoreModel {
		m.fixed, m.perRowNS = 0, float64(m.last.took.Nanoseconds())/float64(m.last.rows)
		return m
	}
	if len(rs) < 2 {
		return single()
	}
	// least squares of took over rows
	var sx, sy, sxx, sxy float64
	for _, r := range rs {
		x, y := float64(r.rows), float64(r.took.Nanoseconds())
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(rs))
	den := n*sxx - sx*sx
	if den == 0 { // every restore the same size: nothing to separate
		return single()
	}
	slope := (n*sxy - sx*sy) / den
	icept := (sy - slope*sx) / n
	if slope <= 0 || icept < 0 { // noise larger than the trend: the last restore's rate
		return single()
	}
	m.fixed, m.perRowNS = time.Duration(icept), slope
	return m
}

// restoresOf finds, among the history's events, every verified restore
// of the named connection that restored rows.
func restoresOf(evs []histEvent, conn string) []restoreRate {
	var out []restoreRate
	for _, h := range evs {
		e := h.ev
		if e.Type != journal.RestoreFinished {
			continue
		}
		p, err := journal.Decode(e)
		rp, ok := p.(journal.RestorePayload)
		if err != nil || !ok || rp.Connection != conn || !rp.Verified || rp.DurationMS <= 0 {
			continue
		}
		var rows int64
		for _, t := range rp.Tables {
			rows += t.Rows
		}
		if rows > 0 {
			out = append(out, restoreRate{journal: h.path, at: e.At, rows: rows, took: time.Duration(rp.DurationMS) * time.Millisecond})
		}
	}
	return out
}

// Journals lists the journal files (*.journal) under the directories
// given, for Options.History. A directory that cannot be read is passed
// over.
func Journals(dirs ...string) []string {
	var out []string
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".journal") {
				out = append(out, path)
			}
			return nil
		})
	}
	return out
}

// histEvent is an event of the history and the journal it is in.
type histEvent struct {
	path string
	ev   journal.Event
}

// history is what the journals of Options.History say of this
// migration's earlier copies and restores: each journal read once, as a
// stream (a run journal may hold millions of events), however many tables
// and snapshots ask; a journal of another migration is read no further
// than its first event.
type history struct {
	once  sync.Once
	paths []string
	mig   string
	evs   []histEvent
	reads int // journals opened, for the test of the above
}

// errOtherJournal ends the scan of a journal that is not of the migration.
var errOtherJournal = errors.New("not a journal of this migration")

// events are the restore_finished and table_copied events of the
// migration's run and drill journals; a journal that cannot be read, of
// another migration, or of an assessment (which moves nothing, so
// measures no write or restore) gives none.
func (h *history) events(ctx context.Context) []histEvent {
	h.once.Do(func() {
		for _, path := range h.paths {
			h.reads++
			var kept []histEvent
			first := true
			err := journal.Scan(ctx, path, func(e journal.Event) error {
				if first {
					first = false
					if !h.ofMigration(e) {
						return errOtherJournal
					}
					return nil
				}
				if e.Type == journal.RestoreFinished || e.Type == journal.TableCopied {
					kept = append(kept, histEvent{path: path, ev: e})
				}
				return nil
			})
			if err == nil && !first {
				h.evs = append(h.evs, kept...)
			}
		}
	})
	return h.evs
}

// ofMigration says whether a journal's first event starts a run or drill
// of the migration.
func (h *history) ofMigration(e journal.Event) bool {
	if e.Type != journal.RunStarted {
		return false
	}
	p, err := journal.Decode(e)
	rs, ok := p.(journal.RunStartedPayload)
	if err != nil || !ok || rs.Mode == journal.ModeAssess {
		return false
	}
	rb, _ := runbooks.Parse(rs.RunbookPath, []byte(rs.RunbookText))
	return rb != nil && rb.MigrationID == h.mig
}

// copyRate is a table's copy measured in an earlier run: rows written a
// second, end to end (read, convert, write).
type copyRate struct {
	journal string
	at      time.Time
	rate    float64
}

// lastCopy finds, among the history's events, the latest copy of the
// table by the named step that wrote rows; ok is false when there is none.
func lastCopy(evs []histEvent, step, table string) (copyRate, bool) {
	var best copyRate
	found := false
	for _, h := range evs {
		e := h.ev
		if e.Type != journal.TableCopied || e.StepID != step {
			continue
		}
		p, err := journal.Decode(e)
		pp, ok := p.(journal.ProgressPayload)
		if err != nil || !ok || pp.Table != table || pp.Written <= 0 || pp.ElapsedMS <= 0 {
			continue
		}
		if !found || e.At.After(best.at) {
			best = copyRate{journal: h.path, at: e.At, rate: float64(pp.Written) / (float64(pp.ElapsedMS) / 1000)}
			found = true
		}
	}
	return best, found
}
