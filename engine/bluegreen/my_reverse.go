package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CheckReverse proves, before the first switch, that replication green →
// blue can start the moment it is needed: both sides have the same tables
// with the same columns in the same order and primary key; green writes a
// ROW binlog; the servers' ids differ; blue runs no other replica
// connection (the switch sets its gtid_slave_pos, which needs them
// stopped); strict mode would not stop blue's replica; and blue's server
// reaches green with green's replication DSN as a replica: a probe
// connection tr_<name>_probe on blue, started IO thread only at green's
// current binlog coordinates (nothing applied, no GTID state used), must
// connect, and is removed. It changes nothing else.
func (p *myPair) CheckReverse(ctx context.Context) (ReverseEvidence, error) {
	start := time.Now()
	var ev ReverseEvidence
	add := func(what, format string, args ...any) {
		ev.Checks = append(ev.Checks, Check{What: what, Detail: fmt.Sprintf(format, args...)})
	}
	fail := func(err error) (ReverseEvidence, error) {
		return ev, fmt.Errorf("the reverse path cannot work: %w", err)
	}
	if err := p.checkShapes(ctx); err != nil {
		return fail(err)
	}
	add("shapes", "%d tables have the same columns, in the same order, and primary key on %s and %s", len(p.tables), p.blue.Name, p.green.Name)
	detail, err := p.green.binlogReady(ctx)
	if err != nil {
		return fail(err)
	}
	add("green settings", "%s: %s", p.green.Name, detail)
	if p.blue.serverID == p.green.serverID {
		return fail(fmt.Errorf("%s and %s have the same server_id %d", p.blue.Name, p.green.Name, p.blue.serverID))
	}
	add("server ids", "%s is server_id %d, %s is %d", p.blue.Name, p.blue.serverID, p.green.Name, p.green.serverID)
	others, err := p.blue.othersRunning(ctx, p.cfg.ReverseName(), p.cfg.probeName())
	if err != nil {
		return ev, err
	}
	if len(others) > 0 {
		return fail(fmt.Errorf("%s runs replica connection %v: the switch sets %s's gtid_slave_pos, which needs every replica connection of the server stopped, and tightrope does not stop another's replication", p.blue.Name, others, p.blue.Name))
	}
	add("replica connections", "%s runs no other replica connection: its gtid_slave_pos can be set at the switch", p.blue.Name)
	if err := strictSafe(ctx, p.green, p.blue); err != nil {
		return fail(err)
	}
	add("gtid strict mode", "%s's replica of %s cannot meet an out-of-order GTID", p.blue.Name, p.green.Name)
	if err := p.probe(ctx); err != nil {
		return fail(err)
	}
	add("connection", "%s's server connected to %s as a replica with the configured replication account (%s@%s)", p.blue.Name, p.green.Name, p.green.source.User, p.green.source.Addr)
	ev.Took = time.Since(start)
	p.reverseChecked = true
	return ev, nil
}

// probe creates on blue a replica connection to green at green's current
// binlog file and position, starts only its IO thread, waits until it has
// connected (or reports why not), and removes it.
func (p *myPair) probe(ctx context.Context) error {
	name := p.cfg.probeName()
	if err := p.blue.removeReplica(ctx, name); err != nil {
		return err
	}
	file, pos, err := p.green.binlogCoordinates(ctx)
	if err != nil {
		return err
	}
	if err := p.blue.changeMaster(ctx, name, p.green, fmt.Sprintf("MASTER_LOG_FILE = %s, MASTER_LOG_POS = %d, MASTER_USE_GTID = no, MASTER_CONNECT_RETRY = 1", myLiteral(file), pos)); err != nil {
		return err
	}
	defer p.blue.removeReplica(context.WithoutCancel(ctx), name)
	if _, err := p.blue.pool.ExecContext(ctx, "START SLAVE "+myLiteral(name)+" IO_THREAD"); err != nil {
		return fmt.Errorf("start the probe replica connection on %s: %w", p.blue.Name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, ok, err := p.blue.replica(ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("the probe replica connection vanished")
		}
		if s.IOErrno != 0 {
			return fmt.Errorf("%s could not replicate from %s with %s's replication DSN: error %d: %s", p.blue.Name, p.green.Name, p.green.Name, s.IOErrno, s.IOError)
		}
		if s.IO == "Yes" {
			if s.MasterServerID != p.green.serverID {
				return fmt.Errorf("%s's replication DSN reaches server_id %d, not %s (server_id %d)", p.green.Name, s.MasterServerID, p.green.Name, p.green.serverID)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s's probe replica connection to %s is still %q after 10s", p.blue.Name, p.green.Name, s.IO)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

// binlogCoordinates are e's current binlog file and position (SHOW MASTER
// STATUS).
func (e *myEnd) binlogCoordinates(ctx context.Context) (string, int64, error) {
	rows, err := e.pool.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return "", 0, fmt.Errorf("SHOW MASTER STATUS on %s: %w", e.Name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", 0, err
	}
	if !rows.Next() {
		return "", 0, fmt.Errorf("%s writes no binlog (SHOW MASTER STATUS is empty)", e.Name)
	}
	vals := make([]any, len(cols))
	var file string
	var pos int64
	vals[0], vals[1] = &file, &pos
	for i := 2; i < len(cols); i++ {
		vals[i] = new(any)
	}
	if err := rows.Scan(vals...); err != nil {
		return "", 0, err
	}
	return file, pos, rows.Err()
}
