package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Lag measures the running direction: blue → green, or green → blue after
// a switch, in transactions by GTID.
func (p *myPair) Lag(ctx context.Context) (Lag, error) {
	src, rep, name, err := p.running(ctx)
	if err != nil {
		return Lag{}, err
	}
	target, err := src.gtidVar(ctx, "gtid_binlog_pos")
	if err != nil {
		return Lag{}, err
	}
	return myLagOf(ctx, src, rep, name, target)
}

// WaitCaughtUp waits until the running direction's replica has applied
// the source's gtid_binlog_pos at the call.
func (p *myPair) WaitCaughtUp(ctx context.Context, timeout time.Duration) (Lag, error) {
	src, rep, name, err := p.running(ctx)
	if err != nil {
		return Lag{}, err
	}
	return myWaitCaughtUp(ctx, src, rep, name, timeout)
}

// running finds the direction that replicates now from the replica
// connections there are.
func (p *myPair) running(ctx context.Context) (src, rep *myEnd, name string, err error) {
	for _, d := range []struct {
		src, rep *myEnd
		name     string
	}{{p.blue, p.green, p.cfg.ForwardName()}, {p.green, p.blue, p.cfg.ReverseName()}} {
		_, ok, err := d.rep.replica(ctx, d.name)
		if err != nil {
			return nil, nil, "", err
		}
		if ok {
			return d.src, d.rep, d.name, nil
		}
	}
	return nil, nil, "", errors.New("no replication runs between blue and green")
}

// myLagOf measures replica connection name on rep against target (a GTID
// position of src).
func myLagOf(ctx context.Context, src, rep *myEnd, name, target string) (Lag, error) {
	l := Lag{From: src.Name, To: rep.Name, CurrentLSN: target, gtid: true}
	s, ok, err := rep.replica(ctx, name)
	if err != nil {
		return l, err
	}
	if !ok {
		return l, fmt.Errorf("replica connection %s is not on %s", name, rep.Name)
	}
	l.SlotActive, l.LatestEndLSN = s.running(), s.GtidIOPos
	if l.ConfirmedLSN, err = rep.gtidVar(ctx, "gtid_slave_pos"); err != nil {
		return l, err
	}
	want, err := parseGTIDPos(target)
	if err != nil {
		return l, err
	}
	have, err := parseGTIDPos(l.ConfirmedLSN)
	if err != nil {
		return l, err
	}
	l.Transactions = behind(have, want)
	return l, s.failure()
}

// myWaitCaughtUp waits with MASTER_GTID_WAIT until rep has applied src's
// gtid_binlog_pos at the call, failing at once when the connection
// reports an error.
func myWaitCaughtUp(ctx context.Context, src, rep *myEnd, name string, timeout time.Duration) (Lag, error) {
	target, err := src.gtidVar(ctx, "gtid_binlog_pos")
	if err != nil {
		return Lag{}, err
	}
	deadline := time.Now().Add(timeout)
	for {
		var r int
		if err := rep.pool.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, 0.05)", target).Scan(&r); err != nil {
			return Lag{}, fmt.Errorf("MASTER_GTID_WAIT on %s: %w", rep.Name, err)
		}
		l, err := myLagOf(ctx, src, rep, name, target)
		if err != nil {
			return l, fmt.Errorf("replica connection %s on %s: %w", name, rep.Name, err)
		}
		if r == 0 {
			l.Transactions = 0 // MASTER_GTID_WAIT compares as the server applies
			return l, nil
		}
		if time.Now().After(deadline) {
			return l, fmt.Errorf("%s is %d transactions behind %s after %s (has %s of %s; replica connection %s running: %t)", rep.Name, l.Transactions, src.Name, timeout, l.ConfirmedLSN, target, name, l.SlotActive)
		}
	}
}
