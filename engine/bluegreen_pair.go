package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"strings"

	"github.com/tightrope/tightrope/engine/bluegreen"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// openPair opens the blue-green pair of a replicate step: blue is its
// from, green its to, each side named after its connection, reaching the
// other through the connection's replication_dsn_env (default its DSN).
// Its freezes go through the conductor's journaled freeze, for step
// stepID (the replicate step, or the switch turning it around).
func (c *Conductor) openPair(ctx context.Context, rep runbooks.Step, stepID string) (bluegreen.Pair, *pairFreezer, error) {
	blue, err := c.pairSide(rep.From)
	if err != nil {
		return nil, nil, err
	}
	green, err := c.pairSide(rep.To)
	if err != nil {
		return nil, nil, err
	}
	tables := rep.Tables
	if rep.All {
		d, err := c.database(ctx, rep.From)
		if err != nil {
			return nil, nil, err
		}
		if tables, err = c.listTables(ctx, stepID, d); err != nil {
			return nil, nil, err
		}
	}
	fz := &pairFreezer{c: c, stepID: stepID}
	p, err := bluegreen.Open(ctx, bluegreen.Config{
		Name: pairName(c.opts.Runbook.MigrationID, rep.ID), Blue: blue, Green: green,
		Tables: tables, CopyData: rep.CopyRows, Freezer: fz, StartGTID: c.copiedAtGTID(rep.From),
	})
	if err != nil {
		return nil, nil, err
	}
	return p, fz, nil
}

// copiedAtGTID is, for a MariaDB replicate step with copy: false, the GTID
// position green's rows are from: the start of the run's newest change
// stream of blue (a cdc-start's, taken in the consistent snapshot the copy
// steps read blue through). "" when there is none: Prepare then refuses a
// green it cannot place.
func (c *Conductor) copiedAtGTID(blue string) string {
	var pos string
	c.withState(func(s *journal.State) {
		for _, st := range s.CDC {
			if st.Source == blue && st.Engine == "mysql" {
				pos = st.Start
			}
		}
	})
	return pos
}

// pairSide is a runbook connection as a side of a pair. Its DSN and
// conninfo come from the environment and are secrets: no message names
// them, and the journal redacts them (cmd_run.go connectionSecrets).
func (c *Conductor) pairSide(name string) (bluegreen.Side, error) {
	conn, ok := c.opts.Runbook.Connection(name)
	if !ok {
		return bluegreen.Side{}, fmt.Errorf("no connection named %q", name)
	}
	s := bluegreen.Side{Name: name, Driver: conn.Driver, DSN: os.Getenv(conn.DSNEnv)}
	if s.DSN == "" {
		return s, fmt.Errorf("connection %q: environment variable %s is empty or not set", name, conn.DSNEnv)
	}
	if conn.ReplicationDSNEnv != "" {
		if s.ConnInfo = os.Getenv(conn.ReplicationDSNEnv); s.ConnInfo == "" {
			return s, fmt.Errorf("connection %q: environment variable %s (replication_dsn_env) is empty or not set", name, conn.ReplicationDSNEnv)
		}
	}
	return s, nil
}

// pairName names a pair's replication objects after the migration and
// the replicate step (slots are the whole server's: two migrations on one
// server must not share them): lower-case letters, digits and _, at most
// 41 characters, a hash of the full name when it is longer.
func pairName(migrationID, stepID string) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
		return b.String()
	}
	name := "m" + clean(migrationID) + "_" + clean(stepID)
	if len(name) > 41 {
		h := fnv.New32a()
		h.Write([]byte(name))
		name = fmt.Sprintf("%s_%08x", name[:32], h.Sum32())
	}
	return name
}

// pairFreezer is the conductor's journaled freeze (engine/cutover, the
// record journaled before it is applied) as a bluegreen.Freezer. A freeze
// of the side already in force is re-applied from its record (a resumed
// step, or a freeze step's), never read again.
type pairFreezer struct {
	c      *Conductor
	stepID string
	// reason is why the next unfreeze happens, for its event: set as a
	// switch's phases end.
	reason string
}

func (f *pairFreezer) Freeze(ctx context.Context, s bluegreen.Side, tables []string) error {
	return f.c.freezeConn(ctx, f.stepID, s.Name, true, func(context.Context) ([]string, error) { return tables, nil })
}

func (f *pairFreezer) Unfreeze(ctx context.Context, s bluegreen.Side, _ []string) error {
	reason := f.reason
	if reason == "" {
		reason = "blue-green: " + s.Name + " is live"
	}
	return f.c.unfreeze(ctx, f.stepID, s.Name, reason)
}
