package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcLeft is what the journal says one change stream may have left:
// its slot and publication on the source (PostgreSQL) and its position
// row on every target it was applied to.
type cdcLeft struct {
	started journal.CDCStreamPayload
	targets []string
}

// cdcStreams gathers, in journal order, every stream the run started
// (forward and reverse) and the connections its changes were applied to.
func cdcStreams(events []journal.Event) []*cdcLeft {
	var out []*cdcLeft
	byName := map[string]*cdcLeft{}
	for _, e := range events {
		if e.Type != journal.CDCStreamStarted && e.Type != journal.CDCApplied {
			continue
		}
		pl, err := journal.Decode(e)
		if err != nil {
			continue
		}
		switch p := pl.(type) {
		case journal.CDCStreamPayload:
			if byName[p.Stream] == nil {
				byName[p.Stream] = &cdcLeft{started: p}
				out = append(out, byName[p.Stream])
			}
		case journal.CDCAppliedPayload:
			if s := byName[p.Stream]; s != nil && !contains(s.targets, p.Target) {
				s.targets = append(s.targets, p.Target)
			}
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// planCDC adds to the plan each stream's leftovers that are still there.
// A PostgreSQL slot that is active is kept (a live capture reads it), and
// so are the stream's publication and position rows with it; a slot is
// dropped only if it is still inactive at the moment of the drop.
func (p *cleanupPlan) planCDC(ctx context.Context, rb *runbooks.Runbook, events []journal.Event, open func(string) db.DB) {
	emptyListed := map[string]bool{}
	for _, s := range cdcStreams(events) {
		st := s.started
		addTargets(s, rb)
		active := false
		if st.Engine == db.Postgres {
			src := open(st.Source)
			if src == nil {
				continue
			}
			pub := st.Publication
			if pub == "" {
				pub = st.Stream
			}
			slot, isActive, err := pgSlot(ctx, src.SQL(), st.Stream)
			if err != nil {
				p.problems = append(p.problems, fmt.Sprintf("connection %s: %v", st.Source, err))
				continue
			}
			active = isActive
			if slot {
				item := cleanupItem{what: fmt.Sprintf("replication slot %s on %s (%s)", st.Stream, st.Source, src.Describe())}
				if active {
					item.keep = "the slot is active: a capture is reading it"
				}
				name := st.Stream
				item.do = func(ctx context.Context) (string, error) {
					return fmt.Sprintf("dropped replication slot %s on %s", name, st.Source), dropInactiveSlot(ctx, src.SQL(), name)
				}
				p.items = append(p.items, item)
			}
			var hasPub bool
			if err := src.SQL().QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", pub).Scan(&hasPub); err != nil {
				p.problems = append(p.problems, fmt.Sprintf("connection %s: reading its publications: %v", st.Source, err))
			} else if hasPub {
				item := cleanupItem{what: fmt.Sprintf("publication %s on %s (%s)", pub, st.Source, src.Describe())}
				if active {
					item.keep = "its slot is active: a capture is reading it"
				}
				item.do = func(ctx context.Context) (string, error) {
					_, err := src.SQL().ExecContext(ctx, "DROP PUBLICATION IF EXISTS "+src.Quote(pub))
					return fmt.Sprintf("dropped publication %s on %s", pub, st.Source), err
				}
				p.items = append(p.items, item)
			}
		}
		for _, name := range s.targets {
			d := open(name)
			if d == nil {
				continue
			}
			n, err := positionRows(ctx, d, st.Stream)
			if err != nil {
				p.problems = append(p.problems, fmt.Sprintf("connection %s: %v", name, err))
				continue
			}
			if n == 0 {
				// The applier made the table but applied nothing: drop it
				// if no stream has a row in it.
				if !active && !emptyListed[name] {
					if all, err := positionRows(ctx, d, ""); err == nil && all == 0 {
						if ok, _ := positionTableExists(ctx, d); ok {
							emptyListed[name] = true
							p.items = append(p.items, cleanupItem{
								what: fmt.Sprintf("empty table %s on %s (%s)", cdc.PositionTable, name, d.Describe()),
								do: func(ctx context.Context) (string, error) {
									_, err := dropPosition(ctx, d, st.Stream)
									return fmt.Sprintf("dropped %s (empty) on %s", cdc.PositionTable, name), err
								},
							})
						}
					}
				}
				continue
			}
			item := cleanupItem{what: fmt.Sprintf("position of stream %s in %s on %s (%s)", st.Stream, cdc.PositionTable, name, d.Describe())}
			if active {
				item.keep = "the stream's slot is active: a capture is reading it"
			}
			stream := st.Stream
			item.do = func(ctx context.Context) (string, error) {
				dropped, err := dropPosition(ctx, d, stream)
				if err == nil && dropped {
					return fmt.Sprintf("deleted the position of stream %s and dropped %s (empty) on %s", stream, cdc.PositionTable, name), nil
				}
				return fmt.Sprintf("deleted the position of stream %s from %s on %s", stream, cdc.PositionTable, name), err
			}
			p.items = append(p.items, item)
		}
	}
}

// pgSlot tells whether the replication slot exists and is active.
func pgSlot(ctx context.Context, q *sql.DB, slot string) (exists, active bool, err error) {
	err = q.QueryRowContext(ctx, "SELECT active FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&active)
	if err == sql.ErrNoRows {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("reading its replication slots: %w", err)
	}
	return true, active, nil
}

// dropInactiveSlot drops the slot only if no one is reading it at that
// moment: the check and the drop are one statement.
func dropInactiveSlot(ctx context.Context, q *sql.DB, slot string) error {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", slot).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if exists, active, err := pgSlot(ctx, q, slot); err == nil && exists && active {
			return fmt.Errorf("slot %s became active: kept", slot)
		}
	}
	return nil
}

// positionTableExists tells whether the target has cdc.PositionTable.
func positionTableExists(ctx context.Context, d db.DB) (bool, error) {
	var n int
	var err error
	switch d.Driver() {
	case db.Postgres:
		err = d.SQL().QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = $1 AND schemaname = current_schema()", cdc.PositionTable).Scan(&n)
	case db.MySQL:
		err = d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", cdc.PositionTable).Scan(&n)
	default:
		return false, nil
	}
	return n > 0, err
}

func placeholder(d db.DB) string {
	if d.Driver() == db.Postgres {
		return "$1"
	}
	return "?"
}

// positionRows counts the stream's rows in the target's position table
// (stream "": every row).
func positionRows(ctx context.Context, d db.DB, stream string) (int, error) {
	ok, err := positionTableExists(ctx, d)
	if err != nil || !ok {
		return 0, err
	}
	var n int
	if stream == "" {
		err = d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.Quote(cdc.PositionTable)).Scan(&n)
	} else {
		err = d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.Quote(cdc.PositionTable)+" WHERE stream = "+placeholder(d), stream).Scan(&n)
	}
	return n, err
}

// addTargets adds the connections the runbook's change-capture steps
// apply a stream of its source to: the To of a forward step from it, the
// From of one into it (a reverse stream applies to the old side).
func addTargets(s *cdcLeft, rb *runbooks.Runbook) {
	for _, list := range [][]runbooks.Step{rb.Steps, rb.Rollback} {
		for _, st := range list {
			if st.Kind != runbooks.KindCDCStart && st.Kind != runbooks.KindCDCCatchup {
				continue
			}
			var t string
			switch s.started.Source {
			case st.From:
				t = st.To
			case st.To:
				t = st.From
			}
			if t != "" && !contains(s.targets, t) {
				s.targets = append(s.targets, t)
			}
		}
	}
}

// dropPosition deletes the stream's position row and drops the table when
// no other stream's row is left in it.
func dropPosition(ctx context.Context, d db.DB, stream string) (dropped bool, err error) {
	if _, err := d.SQL().ExecContext(ctx, "DELETE FROM "+d.Quote(cdc.PositionTable)+" WHERE stream = "+placeholder(d), stream); err != nil {
		return false, err
	}
	var left int
	if err := d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.Quote(cdc.PositionTable)).Scan(&left); err != nil {
		return false, err
	}
	if left > 0 {
		return false, nil
	}
	_, err = d.SQL().ExecContext(ctx, "DROP TABLE IF EXISTS "+d.Quote(cdc.PositionTable))
	return err == nil, err
}
