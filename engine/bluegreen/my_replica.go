package bluegreen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The MariaDB replica connections of a pair are named connections
// (multi-source replication): tightrope only ever starts, stops, resets
// and filters its own — tr_<name>_fwd on green, tr_<name>_rev on blue —
// and never touches another replication the server runs.

// replicaStatus is one connection's SHOW SLAVE 'name' STATUS, the fields
// tightrope reads.
type replicaStatus struct {
	IO, SQL            string // Slave_IO_Running, Slave_SQL_Running: Yes, No, Connecting
	IOErrno, SQLErrno  int
	IOError, SQLError  string
	GtidIOPos          string
	MasterServerID     int64
	DoTable, UsingGtid string
}

// running: both threads run.
func (s replicaStatus) running() bool { return s.IO == "Yes" && s.SQL == "Yes" }

// failure is the connection's last error, or nil.
func (s replicaStatus) failure() error {
	switch {
	case s.SQLErrno != 0:
		return fmt.Errorf("its SQL thread stopped with error %d: %s", s.SQLErrno, s.SQLError)
	case s.IOErrno != 0:
		return fmt.Errorf("its IO thread reports error %d: %s", s.IOErrno, s.IOError)
	}
	return nil
}

// allReplicas reads SHOW ALL SLAVES STATUS on e: every connection by name.
func allReplicas(ctx context.Context, d *sql.DB) (map[string]replicaStatus, error) {
	rows, err := d.QueryContext(ctx, "SHOW ALL SLAVES STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := map[string]replicaStatus{}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		f := map[string]string{}
		for i, c := range cols {
			f[c] = vals[i].String
		}
		num := func(k string) int64 { n, _ := strconv.ParseInt(f[k], 10, 64); return n }
		out[strings.ToLower(f["Connection_name"])] = replicaStatus{
			IO: f["Slave_IO_Running"], SQL: f["Slave_SQL_Running"],
			IOErrno: int(num("Last_IO_Errno")), SQLErrno: int(num("Last_SQL_Errno")),
			IOError: f["Last_IO_Error"], SQLError: f["Last_SQL_Error"],
			GtidIOPos: f["Gtid_IO_Pos"], MasterServerID: num("Master_Server_Id"),
			DoTable: f["Replicate_Do_Table"], UsingGtid: f["Using_Gtid"],
		}
	}
	return out, rows.Err()
}

// replica is connection name's status on e, and whether it is there.
func (e *myEnd) replica(ctx context.Context, name string) (replicaStatus, bool, error) {
	all, err := allReplicas(ctx, e.pool)
	if err != nil {
		return replicaStatus{}, false, fmt.Errorf("replica connections of %s: %w", e.Name, err)
	}
	s, ok := all[strings.ToLower(name)]
	return s, ok, nil
}

// othersRunning names the replica connections of e other than except
// whose threads run: setting gtid_slave_pos needs every one stopped.
func (e *myEnd) othersRunning(ctx context.Context, except ...string) ([]string, error) {
	all, err := allReplicas(ctx, e.pool)
	if err != nil {
		return nil, fmt.Errorf("replica connections of %s: %w", e.Name, err)
	}
	var out []string
	for name, s := range all {
		if !slices.Contains(except, name) && (s.IO != "No" || s.SQL != "No") {
			out = append(out, fmt.Sprintf("%q", name))
		}
	}
	slices.Sort(out)
	return out, nil
}

// gtidPos is a MariaDB GTID position: the last sequence number per domain
// (with its server id), as "domain-server-seq,…".
type gtidPos map[uint32]gtid

type gtid struct {
	server uint32
	seq    uint64
}

func parseGTIDPos(s string) (gtidPos, error) {
	out := gtidPos{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("GTID %q is not domain-server-sequence", part)
		}
		d, err1 := strconv.ParseUint(f[0], 10, 32)
		sv, err2 := strconv.ParseUint(f[1], 10, 32)
		seq, err3 := strconv.ParseUint(f[2], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("GTID %q: %w", part, err)
		}
		out[uint32(d)] = gtid{uint32(sv), seq}
	}
	return out, nil
}

func (p gtidPos) String() string {
	var parts []string
	for _, d := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, fmt.Sprintf("%d-%d-%d", d, p[d].server, p[d].seq))
	}
	return strings.Join(parts, ",")
}

// behind counts the transactions of to that from lacks, domain by domain
// (sequence numbers of one domain grow by one per transaction).
func behind(from, to gtidPos) int64 {
	var n int64
	for d, g := range to {
		if have, ok := from[d]; !ok {
			n += int64(g.seq)
		} else if g.seq > have.seq {
			n += int64(g.seq - have.seq)
		}
	}
	return n
}

// gtidVar reads a global GTID variable of e (gtid_binlog_pos,
// gtid_slave_pos).
func (e *myEnd) gtidVar(ctx context.Context, name string) (string, error) {
	var v sql.NullString
	if err := e.pool.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&v); err != nil {
		return "", fmt.Errorf("%s of %s: %w", name, e.Name, err)
	}
	return v.String, nil
}

// setSlavePos makes e's gtid_slave_pos start at pos in pos's domains,
// keeping every other domain's entry (another replication's). It changes
// nothing when the entries are already those; otherwise every replica
// connection of e must be stopped (the server's rule): one that runs is
// named, never stopped.
func (e *myEnd) setSlavePos(ctx context.Context, pos string) error {
	cur, err := e.gtidVar(ctx, "gtid_slave_pos")
	if err != nil {
		return err
	}
	have, err := parseGTIDPos(cur)
	if err != nil {
		return err
	}
	want, err := parseGTIDPos(pos)
	if err != nil {
		return err
	}
	merged := maps.Clone(have)
	maps.Copy(merged, want)
	if merged.String() == have.String() {
		return nil
	}
	running, err := e.othersRunning(ctx)
	if err != nil {
		return err
	}
	if len(running) > 0 {
		return fmt.Errorf("%s runs replica connection %s: setting gtid_slave_pos (where tightrope's replica starts) needs every replica connection of the server stopped, and tightrope does not stop another's replication", e.Name, strings.Join(running, ", "))
	}
	if _, err := e.pool.ExecContext(ctx, "SET GLOBAL gtid_slave_pos = "+myLiteral(merged.String())); err != nil {
		return fmt.Errorf("set gtid_slave_pos on %s: %w", e.Name, err)
	}
	return nil
}

// startReplica makes e a replica of src through connection name from
// GTID position pos (gtid_slave_pos), replicating only tables, and starts
// it. The connection must not be there.
func (p *myPair) startReplica(ctx context.Context, e, src *myEnd, name, pos string) error {
	if err := e.setSlavePos(ctx, pos); err != nil {
		return err
	}
	if err := e.changeMaster(ctx, name, src, "MASTER_USE_GTID = slave_pos"); err != nil {
		return err
	}
	if _, err := e.pool.ExecContext(ctx, "SET GLOBAL "+myIdent(name)+".replicate_do_table = "+myLiteral(strings.Join(p.tables, ","))); err != nil {
		return errors.Join(fmt.Errorf("replica connection %s on %s: filter its tables: %w", name, e.Name, err), e.removeReplica(context.WithoutCancel(ctx), name))
	}
	if _, err := e.pool.ExecContext(ctx, "START SLAVE "+myLiteral(name)); err != nil {
		return errors.Join(fmt.Errorf("start replica connection %s on %s: %w", name, e.Name, err), e.removeReplica(context.WithoutCancel(ctx), name))
	}
	return nil
}

// changeMaster creates connection name on e to src's server, as src's
// replication DSN says, with the options opts. No error quotes the
// password.
func (e *myEnd) changeMaster(ctx context.Context, name string, src *myEnd, opts string) error {
	host, port, err := net.SplitHostPort(src.source.Addr)
	if err != nil {
		return fmt.Errorf("%s's replication DSN has no host:port", src.Name)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("%s's replication DSN has no numeric port", src.Name)
	}
	q := fmt.Sprintf("CHANGE MASTER %s TO MASTER_HOST = %s, MASTER_PORT = %s, MASTER_USER = %s, MASTER_PASSWORD = %s, %s",
		myLiteral(name), myLiteral(host), port, myLiteral(src.source.User), myLiteral(src.source.Passwd), opts)
	if _, err := e.pool.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("replica connection %s on %s (from %s): %w", name, e.Name, src.Name, scrub(err, src.source.Passwd))
	}
	return nil
}

// waitConnected waits until connection name on e has both threads
// running, failing at once on a replica error or after timeout.
func (e *myEnd) waitConnected(ctx context.Context, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		s, ok, err := e.replica(ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("replica connection %s is not on %s", name, e.Name)
		}
		if err := s.failure(); err != nil {
			return fmt.Errorf("replica connection %s on %s: %w", name, e.Name, err)
		}
		if s.running() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replica connection %s on %s: IO thread %s, SQL thread %s after %s", name, e.Name, s.IO, s.SQL, timeout)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// removeReplica stops connection name on e and removes it (RESET SLAVE
// ALL): its position, relay logs and filters go with it. Absent: nothing.
func (e *myEnd) removeReplica(ctx context.Context, name string) error {
	if _, ok, err := e.replica(ctx, name); err != nil || !ok {
		return err
	}
	for _, q := range []string{"STOP SLAVE " + myLiteral(name), "RESET SLAVE " + myLiteral(name) + " ALL"} {
		if _, err := e.pool.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("remove replica connection %s on %s: %w", name, e.Name, err)
		}
	}
	return nil
}

// myLeftovers lists the pair's replica connections on the server d
// connects to (tightrope cleanup).
func myLeftovers(ctx context.Context, d *sql.DB, name string) ([]string, error) {
	all, err := allReplicas(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("reading its replica connections: %w", err)
	}
	cfg := Config{Name: name}
	var out []string
	for _, conn := range []string{cfg.ForwardName(), cfg.ReverseName(), cfg.probeName()} {
		if _, ok := all[conn]; ok {
			out = append(out, "replica connection "+conn)
		}
	}
	return out, nil
}

// Teardown removes the pair's replica connections on both sides (the
// forward one on green, the reverse one and a probe's on blue) and leaves
// the data, gtid_slave_pos and the freezes as they are.
func (p *myPair) Teardown(ctx context.Context) error {
	return errors.Join(
		p.green.removeReplica(ctx, p.cfg.ForwardName()),
		p.blue.removeReplica(ctx, p.cfg.ReverseName()),
		p.blue.removeReplica(ctx, p.cfg.probeName()),
	)
}
