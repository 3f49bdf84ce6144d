package fault

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// lose is cdc-slot-invalidate and binlog-purge,
// CONN@STEP:DURATION[:AFTER]: the stream's source is cut through the relay
// for DURATION while its server drops the change log the stream still
// needs, so the capture finds its position gone when it reconnects. The
// engines differ only in how the log is dropped (how).
type lose struct {
	base
	at  at
	dur time.Duration
	how loss
}

// loss is how one engine's server loses a stream's position.
type loss struct {
	kind    string // the fault's name
	driver  string // the driver it acts on
	forWhat string // words the refusal of another driver: "PostgreSQL (binlog-purge is its MySQL counterpart)"
	nothing string // recorded when the strike does not happen: "no slot was invalidated"
	// drop drops the change log on the server s is connected to and says
	// what it dropped; it refuses, touching nothing, when other streams
	// or replicas of the server would lose theirs too.
	drop func(ctx context.Context, s *sql.DB) (string, error)
}

// parseLose parses CONN@STEP:DURATION[:AFTER] for a loss.
func parseLose(how loss) func(args string) (Fault, error) {
	return func(args string) (Fault, error) {
		a, d, err := parseAtFor(args)
		if err != nil {
			return nil, err
		}
		return &lose{base: base{how.kind + ":" + args}, at: a, dur: d, how: how}, nil
	}
}

// RelayConn is the connection the fault cuts: the drill routes it through
// a relay.
func (f *lose) RelayConn() string { return f.at.conn }

func (f *lose) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	return f.at.arm(ctx, env, step, record, f.how.nothing, func(ctx context.Context, when string) (journal.FaultPayload, error) {
		cut := cutWhile(env, f.at.conn, f.dur)
		d, err := env.direct(ctx, f.at.conn)
		if err != nil {
			return journal.FaultPayload{}, err
		}
		if d.Driver() != f.how.driver {
			return journal.FaultPayload{}, fmt.Errorf("connection %s is %s: %s is for %s", f.at.conn, d.Driver(), f.how.kind, f.how.forWhat)
		}
		what, err := f.how.drop(ctx, d.SQL())
		if err != nil {
			return journal.FaultPayload{}, err
		}
		return journal.FaultPayload{Target: f.at.conn, Detail: fmt.Sprintf("%s: %s, %s; %s", f.how.kind, what, when, cut)}, nil
	})
}
