package cdc

import (
	"context"
	"fmt"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/journal"
)

// SourceSample is one look at a stream's source: how far its log runs
// ahead of the stream, and how much room the slot has left.
type SourceSample struct {
	// Head is the source's current log position; Decoded how far the
	// capture's server side has read it (the walsender's sent position,
	// else the slot's confirmed one). Both are byte offsets.
	Head, Decoded int64
	// BehindBytes is Head minus the spooled position (-1 if unknown).
	BehindBytes int64
	// Active: a capture is connected to the slot.
	Active bool
	// WALStatus and HeadroomBytes are the slot's wal_status and
	// safe_wal_size (-1: no limit, or unknown).
	WALStatus     string
	HeadroomBytes int64
	// Lost, when not empty, says why the stream's position can no longer
	// be resumed (the slot's WAL is gone, the binlog purged): the evidence
	// of a *PositionLostError, seen by the sampler even while the capture
	// is disconnected.
	Lost []string
	// OpenTx is the oldest writing transaction open on the source (nil:
	// none).
	OpenTx *journal.CDCOpenTx
}

// PGSample reads a PostgreSQL stream's source figures; spooled is the
// journal's last spooled position ("" before the first).
func PGSample(ctx context.Context, dsn, stream, spooled string) (SourceSample, error) {
	s := SourceSample{BehindBytes: -1, HeadroomBytes: -1}
	conn, err := pgOpen(ctx, dsn)
	if err != nil {
		return s, fmt.Errorf("cdc: sample source: %w", err)
	}
	defer conn.Close(context.Background())
	var head string
	var sent, confirmed, status *string
	var safe *int64
	var active bool
	err = conn.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text, r.sent_lsn::text, s.confirmed_flush_lsn::text,
			s.wal_status, s.safe_wal_size, s.active
		FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
		WHERE s.slot_name = $1`, stream).Scan(&head, &sent, &confirmed, &status, &safe, &active)
	if err == pgx.ErrNoRows {
		s.WALStatus = "missing"
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("cdc: sample slot %s: %w", stream, err)
	}
	h, err := pglogrepl.ParseLSN(head)
	if err != nil {
		return s, err
	}
	s.Head, s.Decoded, s.Active = int64(h), -1, active
	for _, p := range []*string{sent, confirmed} {
		if p == nil {
			continue
		}
		if l, err := pglogrepl.ParseLSN(*p); err == nil {
			s.Decoded = int64(l)
			break
		}
	}
	if spooled != "" {
		if l, err := pglogrepl.ParseLSN(spooled); err == nil {
			s.BehindBytes = max(0, int64(h)-int64(l))
		}
	} else if confirmed != nil {
		if l, err := pglogrepl.ParseLSN(*confirmed); err == nil {
			s.BehindBytes = max(0, int64(h)-int64(l))
		}
	}
	if status != nil {
		s.WALStatus = *status
	}
	if s.WALStatus == "lost" {
		str := func(p *string) string {
			if p == nil {
				return "NULL"
			}
			return *p
		}
		held := "no change past the stream's start"
		if spooled != "" {
			held = "changes up to " + spooled
		}
		s.Lost = append(s.Lost, fmt.Sprintf("slot %s has wal_status lost (confirmed_flush_lsn %s, safe_wal_size NULL): the WAL after its position was removed (max_slot_wal_keep_size); the journal holds %s",
			stream, str(confirmed), held))
	}
	if safe != nil {
		s.HeadroomBytes = *safe
	}
	s.OpenTx, err = pgOpenTx(ctx, conn)
	return s, err
}
