package cdc

import (
	"context"
	"fmt"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
)

// checkPGPosition compares what the journal holds of a stream with the
// source: the same system and timeline; the slot still there with its WAL
// (wal_status not lost, restart_lsn not past the journal); the server's
// confirmed position not past what the journal spooled (the server would
// otherwise skip changes the journal never got); the journal not ahead of
// the server's WAL (another server, or one restored to an earlier point).
// The journal ahead of the slot's confirmed position is no loss: a capture
// stopped between its journal commit and its status to the source resumes
// from the journal and skips what it holds. Every finding goes into one
// *PositionLostError.
func checkPGPosition(ctx context.Context, conn *pgconn.PgConn, sp Spooled) error {
	var evidence []string
	id, err := pglogrepl.IdentifySystem(ctx, conn)
	if err != nil {
		return fmt.Errorf("cdc: IDENTIFY_SYSTEM: %w", err)
	}
	if id.SystemID != sp.Started.SystemID {
		evidence = append(evidence, fmt.Sprintf("the source is system %s, the stream was started on system %s", id.SystemID, sp.Started.SystemID))
	}
	if int64(id.Timeline) != sp.Started.Timeline {
		evidence = append(evidence, fmt.Sprintf("the source is on timeline %d, the stream was started on timeline %d (a promotion or restore in between)", id.Timeline, sp.Started.Timeline))
	}
	saved, err := pglogrepl.ParseLSN(sp.Resume())
	if err != nil {
		return fmt.Errorf("cdc: stream %s: journal position %q: %w", sp.Started.Stream, sp.Resume(), err)
	}
	if saved > id.XLogPos {
		evidence = append(evidence, fmt.Sprintf("the journal holds changes up to %s but the source's WAL ends at %s: the source is not the server (or not the state) the changes came from", saved, id.XLogPos))
	}
	rows, err := queryRows(ctx, conn, "SELECT plugin, slot_type, database, wal_status, confirmed_flush_lsn, restart_lsn, safe_wal_size FROM pg_replication_slots WHERE slot_name = "+quoteLiteral(sp.Started.Stream))
	if err != nil {
		return fmt.Errorf("cdc: read pg_replication_slots: %w", err)
	}
	switch {
	case len(rows) == 0:
		evidence = append(evidence, fmt.Sprintf("slot %s does not exist on the source (dropped); the journal holds changes up to %s", sp.Started.Stream, saved))
	default:
		r := rows[0]
		str := func(p *string) string {
			if p == nil {
				return "NULL"
			}
			return *p
		}
		if str(r[0]) != "pgoutput" || str(r[1]) != "logical" {
			evidence = append(evidence, fmt.Sprintf("slot %s is a %s slot of plugin %s, not logical pgoutput", sp.Started.Stream, str(r[1]), str(r[0])))
		}
		if str(r[2]) != id.DBName {
			evidence = append(evidence, fmt.Sprintf("slot %s belongs to database %s, the stream reads %s", sp.Started.Stream, str(r[2]), id.DBName))
		}
		if str(r[3]) == "lost" {
			evidence = append(evidence, fmt.Sprintf("slot %s has wal_status lost (restart_lsn %s, confirmed_flush_lsn %s, safe_wal_size %s): the WAL after its position was removed (max_slot_wal_keep_size); the journal holds changes up to %s",
				sp.Started.Stream, str(r[5]), str(r[4]), str(r[6]), saved))
		}
		if r[4] != nil {
			confirmed, err := pglogrepl.ParseLSN(*r[4])
			if err != nil {
				return fmt.Errorf("cdc: slot %s confirmed_flush_lsn %q: %w", sp.Started.Stream, *r[4], err)
			}
			if confirmed > saved {
				evidence = append(evidence, fmt.Sprintf("slot %s confirmed %s but the journal holds changes only up to %s: the changes between were acknowledged and never spooled", sp.Started.Stream, confirmed, saved))
			}
		}
		if r[5] != nil && str(r[3]) != "lost" {
			restart, err := pglogrepl.ParseLSN(*r[5])
			if err != nil {
				return fmt.Errorf("cdc: slot %s restart_lsn %q: %w", sp.Started.Stream, *r[5], err)
			}
			if restart > saved {
				evidence = append(evidence, fmt.Sprintf("slot %s keeps WAL only from restart_lsn %s but the journal holds changes only up to %s: the WAL between is gone from the slot", sp.Started.Stream, restart, saved))
			}
		}
	}
	if len(evidence) > 0 {
		return &PositionLostError{Stream: sp.Started.Stream, Evidence: evidence}
	}
	return nil
}
