package scorecard

import (
	"fmt"
	"sort"
	"time"
)

// Entry is one drill in a history.
type Entry struct {
	Journal     string    `json:"journal"`
	MigrationID string    `json:"migration_id"`
	StartedAt   time.Time `json:"started_at"`
	Scenario    string    `json:"scenario,omitempty"`
	Faults      []string  `json:"faults"`
	DetectMS    *int64    `json:"time_to_detect_ms"`  // null: never detected
	DecideMS    *int64    `json:"time_to_decide_ms"`  // null: no decision
	RestoreMS   *int64    `json:"time_to_restore_ms"` // null: no rollback
	RTOMS       int64     `json:"rto_ms"`
	RolledBack  bool      `json:"rolled_back"`
	RTOMet      bool      `json:"rto_met"` // rolled back within the RTO, the data proven
	Pass        bool      `json:"pass"`
}

// History is the drills of one migration, oldest first, and how
// consistently the last of them met the RTO.
type History struct {
	MigrationID string  `json:"migration_id"`
	Drills      []Entry `json:"drills"`
	// Of the last Window drills that rolled back, Met met the RTO.
	Met, Window int    `json:"-"`
	Consistency string `json:"consistency"`
}

// NewEntry summarises one drill's scorecard.
func NewEntry(journal string, c Card) Entry {
	e := Entry{Journal: journal, MigrationID: c.MigrationID, StartedAt: c.StartedAt, Scenario: c.Scenario, Faults: c.Faults, RTOMS: c.RTOMS, Pass: c.Pass}
	if c.Detected != nil {
		e.DetectMS = &c.Detected.AfterMS
	}
	if c.Decided != nil {
		e.DecideMS = &c.Decided.AfterMS
	}
	if r := c.Rollback; r != nil && !r.FinishedAt.IsZero() {
		e.RolledBack = true
		e.RestoreMS = &r.DurationMS
		e.RTOMet = r.WithinRTO && r.OK && c.DataProven
	}
	return e
}

// Histories groups entries by migration, each oldest first, and judges
// the last last drills that rolled back against the RTO.
func Histories(entries []Entry, last int) []History {
	by := map[string][]Entry{}
	for _, e := range entries {
		by[e.MigrationID] = append(by[e.MigrationID], e)
	}
	var out []History
	for id, es := range by {
		sort.SliceStable(es, func(i, j int) bool { return es[i].StartedAt.Before(es[j].StartedAt) })
		h := History{MigrationID: id, Drills: es}
		for i := len(es) - 1; i >= 0 && h.Window < last; i-- {
			if !es[i].RolledBack {
				continue
			}
			h.Window++
			if es[i].RTOMet {
				h.Met++
			}
		}
		switch {
		case h.Window == 0:
			h.Consistency = "no drill rolled back yet: the RTO is unproven"
		case h.Met == h.Window:
			h.Consistency = fmt.Sprintf("%d of the last %d drills that rolled back met the RTO: consistent", h.Met, h.Window)
		default:
			h.Consistency = fmt.Sprintf("%d of the last %d drills that rolled back met the RTO: not yet consistent", h.Met, h.Window)
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MigrationID < out[j].MigrationID })
	return out
}
