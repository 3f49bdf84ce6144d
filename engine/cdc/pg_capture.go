package cdc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tightrope/tightrope/journal"
)

// PGCapture streams a PostgreSQL stream's changes into the journal. The
// stream must have been created (PGStream.Create) in the same journal; Run
// resumes after the last transaction the journal holds.
type PGCapture struct {
	DSN     string // the source
	Stream  string // the slot
	Journal *journal.Store
	Actor   string
	StepID  string
	// MaxBatch is how many transactions go into one journal commit at most
	// (default 256); FlushEvery how long a received transaction may wait for
	// others (default 20ms); StatusEvery how often the source hears from us
	// when nothing else happens (default 5s).
	MaxBatch    int
	FlushEvery  time.Duration
	StatusEvery time.Duration
	// OnSpooled, if set, is told each journal commit: how many transactions
	// and the position now spooled.
	OnSpooled func(txs int, position string)
	// OnStarted, if set, is told once the position check passed and the
	// source streams (the stream's position is sound).
	OnStarted func()
	// OnCommitted, if set, is told each spooled transaction with its
	// journal seq, after the journal commit that holds it.
	OnCommitted func(seq int64, tx journal.CDCChangesPayload)
}

// Run checks the stream's position against the source (a mismatch is a
// *PositionLostError) and then captures until ctx ends or the stream fails.
// A source transaction is acknowledged to the source only once its
// cdc_changes event is committed in the journal. It returns ctx's error when
// stopped.
func (c *PGCapture) Run(ctx context.Context) error {
	sp, found, err := ReadSpooled(ctx, c.Journal.Path(), c.Stream)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("cdc: stream %s was never started in this journal", c.Stream)
	}
	if sp.Started.Engine != "postgres" {
		return fmt.Errorf("cdc: stream %s captures %s, not postgres", c.Stream, sp.Started.Engine)
	}
	conn, err := connectReplication(ctx, c.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := checkPGPosition(ctx, conn, sp); err != nil {
		return err
	}
	start, err := pglogrepl.ParseLSN(sp.Resume())
	if err != nil {
		return err
	}
	err = pglogrepl.StartReplication(ctx, conn, c.Stream, start, pglogrepl.StartReplicationOptions{
		Mode:       pglogrepl.LogicalReplication,
		PluginArgs: []string{"proto_version '1'", "publication_names " + quoteLiteral(sp.Started.Publication)},
	})
	if err != nil {
		return fmt.Errorf("cdc: start replication on slot %s at %s: %w", c.Stream, start, err)
	}
	if c.OnStarted != nil {
		c.OnStarted()
	}
	dec := newPGDecoder(c.Stream, start)
	dec.shapes = sp.Started.Shapes
	s := &pgSession{c: c, conn: conn, dec: dec, spooled: start}
	err = s.loop(ctx)
	if ctx.Err() != nil {
		return ctx.Err() // told to stop (a journal commit it cut short is rolled back whole)
	}
	return err
}

// pgSession is one replication connection's capture.
type pgSession struct {
	c            *PGCapture
	conn         *pgconn.PgConn
	dec          *pgDecoder
	pending      []journal.Draft
	pendingPos   pglogrepl.LSN
	pendingSince time.Time
	spooled      pglogrepl.LSN // the journal holds every transaction ending at or before it
}

func (s *pgSession) loop(ctx context.Context) error {
	maxBatch, flushEvery, statusEvery := s.c.MaxBatch, s.c.FlushEvery, s.c.StatusEvery
	if maxBatch <= 0 {
		maxBatch = 256
	}
	if flushEvery <= 0 {
		flushEvery = 20 * time.Millisecond
	}
	if statusEvery <= 0 {
		statusEvery = 5 * time.Second
	}
	nextStatus := time.Now()
	for {
		if len(s.pending) > 0 && (len(s.pending) >= maxBatch || time.Since(s.pendingSince) >= flushEvery) {
			if err := s.flush(ctx); err != nil {
				return err
			}
			nextStatus = time.Now()
		}
		if !time.Now().Before(nextStatus) {
			if err := s.status(ctx); err != nil {
				return err
			}
			nextStatus = time.Now().Add(statusEvery)
		}
		deadline := nextStatus
		if len(s.pending) > 0 && s.pendingSince.Add(flushEvery).Before(deadline) {
			deadline = s.pendingSince.Add(flushEvery)
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		msg, err := s.conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // what is pending was never acknowledged: it comes again
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("cdc: stream %s: receive: %w", s.c.Stream, err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				k, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return fmt.Errorf("cdc: keepalive: %w", err)
				}
				if k.ReplyRequested {
					nextStatus = time.Now()
				}
			case pglogrepl.XLogDataByteID:
				x, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return fmt.Errorf("cdc: xlogdata: %w", err)
				}
				tx, err := s.dec.decode(x.WALData)
				if err != nil {
					return err
				}
				if tx != nil {
					s.add(*tx)
				}
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("cdc: stream %s: %w", s.c.Stream, pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return fmt.Errorf("cdc: stream %s: the source ended the stream", s.c.Stream)
		}
	}
}

// add queues a decoded transaction for the next journal commit.
func (s *pgSession) add(tx journal.CDCChangesPayload) {
	pos, _ := pglogrepl.ParseLSN(tx.Position) // written by the decoder from an LSN
	if len(s.pending) == 0 {
		s.pendingSince = time.Now()
	}
	s.pending = append(s.pending, journal.Draft{Actor: s.c.Actor, StepID: s.c.StepID, Type: journal.CDCChanges, Payload: tx})
	s.pendingPos = pos
}

// flush commits the pending transactions to the journal, then tells the
// source they are received.
func (s *pgSession) flush(ctx context.Context) error {
	evs, err := s.c.Journal.AppendBatch(ctx, s.pending)
	if err != nil {
		return fmt.Errorf("cdc: stream %s: spool %d transactions: %w", s.c.Stream, len(s.pending), err)
	}
	if s.c.OnCommitted != nil {
		for i, e := range evs {
			s.c.OnCommitted(e.Seq, s.pending[i].Payload.(journal.CDCChangesPayload))
		}
	}
	n := len(s.pending)
	s.spooled = s.pendingPos
	s.pending = s.pending[:0]
	if s.c.OnSpooled != nil {
		s.c.OnSpooled(n, s.spooled.String())
	}
	return s.status(ctx)
}

// status acknowledges what is spooled — never more.
func (s *pgSession) status(ctx context.Context) error {
	err := pglogrepl.SendStandbyStatusUpdate(ctx, s.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: s.spooled, WALFlushPosition: s.spooled, WALApplyPosition: s.spooled,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("cdc: stream %s: standby status: %w", s.c.Stream, err)
	}
	return err
}
