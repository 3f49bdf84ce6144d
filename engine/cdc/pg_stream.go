package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tightrope/tightrope/journal"
)

// PGStream names a PostgreSQL change stream: its permanent slot (Stream)
// and its publication, limited to Tables.
type PGStream struct {
	Source      string   // the runbook connection's name, for the record
	DSN         string   // the source; its user needs REPLICATION and ownership of Tables (for the publication)
	Stream      string   // the slot's name: one per migration
	Publication string   // defaults to Stream
	Tables      []string // table or schema.table
	// NoSnapshot creates the slot without exporting a snapshot (a reverse
	// stream at a switch: both sides are already equal); the returned
	// PGSnapshot has no Name and only its connection to release.
	NoSnapshot bool
}

func (s PGStream) publication() string {
	if s.Publication != "" {
		return s.Publication
	}
	return s.Stream
}

// PGSnapshot holds the snapshot a new slot exported: the bulk copy reads the
// tables as of exactly the slot's consistent point by running
// SET TRANSACTION SNAPSHOT 'Name' in a REPEATABLE READ transaction, so copy
// and stream meet with no gap and no overlap. The snapshot lives until
// Release; release it once the copy's transactions have imported it.
type PGSnapshot struct {
	Name            string
	ConsistentPoint string
	conn            *pgconn.PgConn
}

// Release ends the exported snapshot (closes the connection that holds it).
func (p *PGSnapshot) Release(ctx context.Context) error {
	if p == nil || p.conn == nil {
		return nil
	}
	err := p.conn.Close(ctx)
	p.conn = nil
	return err
}

// Create makes the stream on the source — the publication of its tables,
// then the permanent slot with an exported snapshot — and journals
// cdc_stream_started with the source's identity before returning. A slot or
// publication of the same name that already exists is an error (a stream is
// created once; a restart resumes it with PGCapture).
func (s PGStream) Create(ctx context.Context, j *journal.Store, actor, stepID string) (*PGSnapshot, journal.CDCStreamPayload, error) {
	var zero journal.CDCStreamPayload
	if err := checkName("stream", s.Stream); err != nil {
		return nil, zero, err
	}
	if err := checkName("publication", s.publication()); err != nil {
		return nil, zero, err
	}
	if len(s.Tables) == 0 {
		return nil, zero, errors.New("cdc: a stream needs at least one table")
	}
	conn, err := connectReplication(ctx, s.DSN)
	if err != nil {
		return nil, zero, err
	}
	keep := false
	defer func() {
		if !keep {
			conn.Close(context.Background())
		}
	}()
	id, err := pglogrepl.IdentifySystem(ctx, conn)
	if err != nil {
		return nil, zero, fmt.Errorf("cdc: IDENTIFY_SYSTEM: %w", err)
	}
	if err := s.createPublication(ctx, conn); err != nil {
		return nil, zero, err
	}
	shapes, err := pgShapes(ctx, conn, s.Tables) // before the slot: a command after it would end the exported snapshot
	if err != nil {
		return nil, zero, err
	}
	action := "EXPORT_SNAPSHOT"
	if s.NoSnapshot {
		action = "NOEXPORT_SNAPSHOT"
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, conn, s.Stream, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: action})
	if err != nil {
		return nil, zero, fmt.Errorf("cdc: create slot %s: %w", s.Stream, err)
	}
	p := journal.CDCStreamPayload{
		Stream: s.Stream, Source: s.Source, Engine: "postgres", Tables: slices.Clone(s.Tables),
		Publication: s.publication(), SystemID: id.SystemID, Timeline: int64(id.Timeline),
		Start: res.ConsistentPoint, Snapshot: res.SnapshotName, Shapes: shapes, BinaryMarked: true,
	}
	if _, err := j.Append(ctx, actor, stepID, journal.CDCStreamStarted, p); err != nil {
		return nil, zero, fmt.Errorf("cdc: journal the stream (slot %s exists on the source and is not recorded): %w", s.Stream, err)
	}
	keep = true
	return &PGSnapshot{Name: res.SnapshotName, ConsistentPoint: res.ConsistentPoint, conn: conn}, p, nil
}

// createPublication creates the publication of exactly s.Tables.
func (s PGStream) createPublication(ctx context.Context, conn *pgconn.PgConn) error {
	quoted := make([]string, len(s.Tables))
	for i, t := range s.Tables {
		quoted[i] = quoteTable(t)
	}
	q := "CREATE PUBLICATION " + quoteIdent(s.publication()) + " FOR TABLE " + strings.Join(quoted, ", ")
	if _, err := conn.Exec(ctx, q).ReadAll(); err != nil {
		return fmt.Errorf("cdc: %s: %w", q, err)
	}
	return nil
}

// Drop removes the stream's slot and publication from the source (cleanup,
// once the migration no longer needs them): a permanent slot otherwise
// keeps the source's WAL forever.
func (s PGStream) Drop(ctx context.Context) error {
	conn, err := connectReplication(ctx, s.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var errs []error
	if err := pglogrepl.DropReplicationSlot(ctx, conn, s.Stream, pglogrepl.DropReplicationSlotOptions{Wait: true}); err != nil {
		errs = append(errs, fmt.Errorf("cdc: drop slot %s: %w", s.Stream, err))
	}
	if _, err := conn.Exec(ctx, "DROP PUBLICATION IF EXISTS "+quoteIdent(s.publication())).ReadAll(); err != nil {
		errs = append(errs, fmt.Errorf("cdc: drop publication %s: %w", s.publication(), err))
	}
	return errors.Join(errs...)
}

// DropLeftover removes the stream's publication and slot that a process
// stopped inside Create left on the source before it could journal the
// stream (the caller knows the journal holds no cdc_stream_started of it,
// and that its step was stopped inside). A slot some capture reads
// (active) is not a leftover: it is kept and reported.
func (s PGStream) DropLeftover(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return fmt.Errorf("cdc: source: %w", err)
	}
	defer conn.Close(context.Background())
	var active bool
	err = conn.QueryRow(ctx, "SELECT active FROM pg_replication_slots WHERE slot_name = $1", s.Stream).Scan(&active)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("cdc: reading slot %s: %w", s.Stream, err)
	case active:
		return fmt.Errorf("cdc: slot %s is being read by a capture: not a leftover of this run, kept", s.Stream)
	default:
		if _, err := conn.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", s.Stream); err != nil {
			return fmt.Errorf("cdc: drop slot %s: %w", s.Stream, err)
		}
	}
	if _, err := conn.Exec(ctx, "DROP PUBLICATION IF EXISTS "+quoteIdent(s.publication())); err != nil {
		return fmt.Errorf("cdc: drop publication %s: %w", s.publication(), err)
	}
	return nil
}
