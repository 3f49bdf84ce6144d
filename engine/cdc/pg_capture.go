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

	// Resilience (pg_retry.go): a connection that fails, or from which
	// nothing arrives for SilenceAfter (default 2×StatusEvery; every status
	// asks the source for an immediate reply), is replaced with backoff
	// (RetryMin, default 250ms, doubling to RetryMax, default 10s) for at
	// most RetryFor (default 5m) from the loss; each new connection resumes
	// from the journal's spooled position and passes the position checks
	// again. ConnectTimeout (default 15s) bounds one attempt's connect and
	// checks.
	SilenceAfter   time.Duration
	RetryMin       time.Duration
	RetryMax       time.Duration
	RetryFor       time.Duration
	ConnectTimeout time.Duration
	// OnRetry, if set, is told each attempt to replace a lost connection
	// before its backoff; OnResumed once a new connection streams again.
	// The conductor journals both.
	OnRetry   func(Retry)
	OnResumed func(Resumed)
	// OnStarted, if set, is told each time a connection's position check
	// passed and the source accepted START_REPLICATION (the stream's
	// position is sound).
	OnStarted func()
	// OnCommitted, if set, is told each spooled transaction with its
	// journal seq, after the journal commit that holds it.
	OnCommitted func(seq int64, tx journal.CDCChangesPayload)

	shapes map[string]string // relation shapes seen in this Run, by table: they outlive a connection
}

// Run captures until ctx ends or the stream fails for good: a position that
// does not check out (*PositionLostError, on the first connection or any
// later one), a table that changed shape (*SchemaChangedError), a journal
// that cannot take the changes, or a connection not replaced within
// RetryFor (*ConnectionLostError). A source transaction is acknowledged to
// the source only once its cdc_changes event is committed in the journal.
// It returns ctx's error when stopped.
func (c *PGCapture) Run(ctx context.Context) error {
	c.shapes = map[string]string{}
	return c.retrying(ctx, c.session)
}

// session is one replication connection: connect, check the journal's
// position against the source, stream from it. streaming is called once the
// source has answered on the new stream.
func (c *PGCapture) session(ctx context.Context, streaming func()) error {
	sp, found, err := ReadSpooled(ctx, c.Journal.Path(), c.Stream)
	if err != nil {
		return permanent(err)
	}
	if !found {
		return permanent(fmt.Errorf("cdc: stream %s was never started in this journal", c.Stream))
	}
	if sp.Started.Engine != "postgres" {
		return permanent(fmt.Errorf("cdc: stream %s captures %s, not postgres", c.Stream, sp.Started.Engine))
	}
	start, err := pglogrepl.ParseLSN(sp.Resume())
	if err != nil {
		return permanent(err)
	}
	for table, shape := range sp.Started.Shapes { // the shapes journaled at the start: a table altered between processes is caught
		if _, seen := c.shapes[table]; !seen {
			c.shapes[table] = shape
		}
	}
	cctx, cancel := context.WithTimeout(ctx, c.connectTimeout())
	defer cancel()
	conn, err := connectReplication(cctx, c.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := checkPGPosition(cctx, conn, sp); err != nil {
		return err
	}
	if beforeStart != nil {
		beforeStart()
	}
	err = pglogrepl.StartReplication(cctx, conn, c.Stream, start, pglogrepl.StartReplicationOptions{
		Mode:       pglogrepl.LogicalReplication,
		PluginArgs: []string{"proto_version '1'", "publication_names " + quoteLiteral(sp.Started.Publication)},
	})
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "55000" || pg.Code == "42704") {
		// The slot was invalidated or dropped between the check and the
		// start: the same loss, told by the server.
		return &PositionLostError{Stream: c.Stream, Evidence: []string{fmt.Sprintf("START_REPLICATION on slot %s at %s refused: %s (SQLSTATE %s)", c.Stream, start, pg.Message, pg.Code)}}
	}
	if err != nil {
		return fmt.Errorf("cdc: start replication on slot %s at %s: %w", c.Stream, start, err)
	}
	if c.OnStarted != nil {
		c.OnStarted()
	}
	dec := newPGDecoder(c.Stream, start, c.shapes)
	dec.spooled = sp.Columns
	s := &pgSession{c: c, conn: conn, dec: dec, spooled: start, streaming: streaming}
	err = s.loop(ctx)
	if ctx.Err() != nil {
		return ctx.Err() // told to stop (a journal commit it cut short is rolled back whole)
	}
	return err
}

// beforeStart, set by tests only, runs between the position check and
// START_REPLICATION.
var beforeStart func()

func (c *PGCapture) statusEvery() time.Duration {
	if c.StatusEvery > 0 {
		return c.StatusEvery
	}
	return 5 * time.Second
}

func (c *PGCapture) connectTimeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return 15 * time.Second
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
	streaming    func()        // called on the first message the source sends
	lastHeard    time.Time
}

func (s *pgSession) loop(ctx context.Context) error {
	maxBatch, flushEvery, statusEvery := s.c.MaxBatch, s.c.FlushEvery, s.c.statusEvery()
	if maxBatch <= 0 {
		maxBatch = 256
	}
	if flushEvery <= 0 {
		flushEvery = 20 * time.Millisecond
	}
	silence := s.c.SilenceAfter
	if silence <= 0 {
		silence = 2 * statusEvery
	}
	s.lastHeard = time.Now()
	nextStatus := time.Now()
	for {
		if len(s.pending) > 0 && (len(s.pending) >= maxBatch || time.Since(s.pendingSince) >= flushEvery) {
			if err := s.flush(ctx); err != nil {
				return err
			}
			nextStatus = time.Now().Add(statusEvery)
		}
		if !time.Now().Before(nextStatus) {
			if err := s.status(ctx); err != nil {
				return err
			}
			nextStatus = time.Now().Add(statusEvery)
		}
		if quiet := time.Since(s.lastHeard); quiet >= silence {
			return fmt.Errorf("cdc: stream %s: nothing from the source for %s though every status asks for a reply (network black hole?)", s.c.Stream, quiet.Round(time.Millisecond))
		}
		deadline := nextStatus
		if s.lastHeard.Add(silence).Before(deadline) {
			deadline = s.lastHeard.Add(silence)
		}
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
		s.lastHeard = time.Now()
		if s.streaming != nil {
			s.streaming()
			s.streaming = nil
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
					return permanent(fmt.Errorf("cdc: keepalive: %w", err))
				}
				if k.ReplyRequested {
					nextStatus = time.Now()
				}
			case pglogrepl.XLogDataByteID:
				x, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return permanent(fmt.Errorf("cdc: xlogdata: %w", err))
				}
				tx, err := s.dec.decode(x.WALData)
				var schema *SchemaChangedError
				if errors.As(err, &schema) && len(s.pending) > 0 {
					// The transactions before the change are whole and of
					// the known shape: spool them, and stop before it.
					if ferr := s.flush(ctx); ferr != nil {
						return errors.Join(err, ferr)
					}
				}
				if err != nil {
					return permanent(err)
				}
				if tx != nil {
					s.add(*tx)
				}
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("cdc: stream %s: %w", s.c.Stream, pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return fmt.Errorf("cdc: stream %s: the source ended the stream: %w", s.c.Stream, errSourceEnded)
		}
	}
}

// errSourceEnded is a stream the source closed (a shutdown): reconnect.
var errSourceEnded = errors.New("CopyDone")

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
		return permanent(fmt.Errorf("cdc: stream %s: spool %d transactions: %w", s.c.Stream, len(s.pending), err))
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

// status acknowledges what is spooled — never more — and asks the source
// to answer at once, so that silence means a dead connection.
func (s *pgSession) status(ctx context.Context) error {
	err := pglogrepl.SendStandbyStatusUpdate(ctx, s.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: s.spooled, WALFlushPosition: s.spooled, WALApplyPosition: s.spooled,
		ReplyRequested: true,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("cdc: stream %s: standby status: %w", s.c.Stream, err)
	}
	return err
}
