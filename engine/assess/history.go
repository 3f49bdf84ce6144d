package assess

import (
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
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

// lastRestore finds, in the journals given, the latest verified restore of
// the named connection that restored rows; ok is false when there is none.
// A journal that cannot be read is passed over.
func lastRestore(journals []string, conn string) (restoreRate, bool) {
	var best restoreRate
	found := false
	for _, path := range journals {
		evs, err := journal.ReadAll(path)
		if err != nil {
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
