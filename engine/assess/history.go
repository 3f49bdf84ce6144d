package assess

import (
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// restoreRate is a restore measured in an earlier run or drill: rows
// restored a second on a connection.
type restoreRate struct {
	journal string
	at      time.Time
	rows    int64
	took    time.Duration
}

func (r restoreRate) perSecond() float64 { return float64(r.rows) / r.took.Seconds() }

// lastRestore finds, in the journals of the migration given, the latest
// verified restore of the named connection that restored rows; ok is false
// when there is none. A journal that cannot be read is passed over.
func lastRestore(journals []string, migration, conn string) (restoreRate, bool) {
	var best restoreRate
	found := false
	for _, path := range journals {
		evs, ok := migrationJournal(path, migration)
		if !ok {
			continue
		}
		for _, e := range evs {
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
			if rows > 0 && (!found || e.At.After(best.at)) {
				best = restoreRate{journal: path, at: e.At, rows: rows, took: time.Duration(rp.DurationMS) * time.Millisecond}
				found = true
			}
		}
	}
	return best, found
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

// migrationJournal reads a run or drill journal of the migration given;
// ok is false for a journal that cannot be read, of another migration, or
// of an assessment (which moves nothing, so measures no write or restore).
func migrationJournal(path, migration string) ([]journal.Event, bool) {
	evs, err := journal.ReadAll(path)
	if err != nil || len(evs) == 0 || evs[0].Type != journal.RunStarted {
		return nil, false
	}
	p, err := journal.Decode(evs[0])
	rs, ok := p.(journal.RunStartedPayload)
	if err != nil || !ok || rs.Mode == journal.ModeAssess {
		return nil, false
	}
	rb, _ := runbooks.Parse(rs.RunbookPath, []byte(rs.RunbookText))
	if rb == nil || rb.MigrationID != migration {
		return nil, false
	}
	return evs, true
}

// copyRate is a table's copy measured in an earlier run: rows written a
// second, end to end (read, convert, write).
type copyRate struct {
	journal string
	at      time.Time
	rate    float64
}

// lastCopy finds, in the journals of the migration given, the latest copy
// of the table by the named step that wrote rows; ok is false when there
// is none.
func lastCopy(journals []string, migration, step, table string) (copyRate, bool) {
	var best copyRate
	found := false
	for _, path := range journals {
		evs, ok := migrationJournal(path, migration)
		if !ok {
			continue
		}
		for _, e := range evs {
			if e.Type != journal.TableCopied || e.StepID != step {
				continue
			}
			p, err := journal.Decode(e)
			pp, ok := p.(journal.ProgressPayload)
			if err != nil || !ok || pp.Table != table || pp.Written <= 0 || pp.ElapsedMS <= 0 {
				continue
			}
			if !found || e.At.After(best.at) {
				best = copyRate{journal: path, at: e.At, rate: float64(pp.Written) / (float64(pp.ElapsedMS) / 1000)}
				found = true
			}
		}
	}
	return best, found
}
