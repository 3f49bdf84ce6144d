package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// MyStream names a MariaDB binlog change stream. Positions are MariaDB GTID
// sets (domain-server-seq per domain).
type MyStream struct {
	Source   string   // the runbook connection's name, for the record
	DSN      string   // go-sql-driver form: user:pass@tcp(host:port)/db
	Stream   string   // the stream's name in the journal
	Tables   []string // tables of the DSN's database
	ServerID uint32   // the replica id the capture registers with: unique per migration
	// MinRetention is the shortest binlog expiry the pre-flight accepts
	// (default DefaultMinRetention).
	MinRetention time.Duration
}

// MySnapshot is the consistent read a MariaDB stream starts at: the bulk
// copy reads every table through Reader, and the stream owns exactly the
// transactions committed after it (GTID). Release it once the copy is done.
type MySnapshot struct {
	*db.MySQLSnapshot
	GTID string // BINLOG_GTID_POS of the snapshot's binlog coordinates
	pool db.DB  // the handle the snapshot's connection belongs to
}

// Release ends the snapshot and closes its handle.
func (s *MySnapshot) Release(context.Context) error {
	if s == nil {
		return nil
	}
	err := s.MySQLSnapshot.Release()
	if s.pool != nil {
		if cerr := s.pool.Close(); err == nil {
			err = cerr
		}
		s.pool = nil
	}
	return err
}

// Create runs the pre-flight (MyPreflight: every setting or grant to change
// is named in one error), opens a consistent snapshot of the source and
// maps its binlog coordinates to a GTID position with BINLOG_GTID_POS in
// the same transaction, records the source's identity and journals
// cdc_stream_started with Start = that position. The returned snapshot is
// what the bulk copy reads (MySnapshot.Reader): copy and stream meet with
// no gap and no overlap. On an error nothing is journaled and nothing is
// held.
func (s MyStream) Create(ctx context.Context, j *journal.Store, actor, stepID string) (*MySnapshot, journal.CDCStreamPayload, error) {
	var zero journal.CDCStreamPayload
	if err := checkName("stream", s.Stream); err != nil {
		return nil, zero, err
	}
	if len(s.Tables) == 0 {
		return nil, zero, errors.New("cdc: a stream needs at least one table")
	}
	rep, err := MyPreflight(ctx, s.DSN, MyPreflightOptions{Tables: s.Tables, MinRetention: s.MinRetention})
	if err != nil {
		return nil, zero, err
	}
	if err := rep.Err(); err != nil {
		return nil, zero, err
	}
	pool, err := db.Open(ctx, runbooks.Connection{Name: s.Source, Driver: db.MySQL, Path: s.DSN}, "")
	if err != nil {
		return nil, zero, fmt.Errorf("cdc: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			pool.Close()
		}
	}()
	id, err := myIdentity(ctx, pool.SQL())
	if err != nil {
		return nil, zero, err
	}
	snap, err := db.BeginMySQLSnapshot(ctx, pool)
	if err != nil {
		return nil, zero, fmt.Errorf("cdc: %w", err)
	}
	defer func() {
		if !keep {
			snap.Release()
		}
	}()
	if snap.BinlogFile == "" {
		return nil, zero, errors.New("cdc: the source reported no binlog coordinates for the snapshot (is log_bin on?)")
	}
	var gtid sql.NullString
	if err := snap.QueryRow(ctx, []any{&gtid}, "SELECT BINLOG_GTID_POS(?, ?)", snap.BinlogFile, snap.BinlogPos); err != nil {
		return nil, zero, fmt.Errorf("cdc: BINLOG_GTID_POS(%s, %d): %w", snap.BinlogFile, snap.BinlogPos, err)
	}
	if !gtid.Valid {
		return nil, zero, fmt.Errorf("cdc: BINLOG_GTID_POS(%s, %d) is NULL: the server cannot map the snapshot to a GTID position", snap.BinlogFile, snap.BinlogPos)
	}
	p := journal.CDCStreamPayload{Stream: s.Stream, Source: s.Source, Engine: "mysql", Tables: slices.Clone(s.Tables), SystemID: id, Start: gtid.String, BinaryMarked: true}
	if _, err := j.Append(ctx, actor, stepID, journal.CDCStreamStarted, p); err != nil {
		return nil, zero, err
	}
	keep = true
	return &MySnapshot{MySQLSnapshot: snap, GTID: gtid.String, pool: pool}, p, nil
}

// myIdentity names the source: MariaDB's server id and GTID domain
// (MariaDB has no server uuid; the GTIDs it writes carry these two).
func myIdentity(ctx context.Context, db *sql.DB) (string, error) {
	var serverID, domain int64
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.server_id, @@GLOBAL.gtid_domain_id").Scan(&serverID, &domain); err != nil {
		return "", fmt.Errorf("cdc: read server_id and gtid_domain_id (MariaDB): %w", err)
	}
	return fmt.Sprintf("mariadb server_id %d gtid_domain_id %d", serverID, domain), nil
}

// myDSNParts splits a go-sql-driver DSN for the binlog syncer.
func myDSNParts(dsn string) (*mysqldrv.Config, string, uint16, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, "", 0, fmt.Errorf("cdc: parse source dsn: %w", err)
	}
	if cfg.Net != "tcp" {
		return nil, "", 0, fmt.Errorf("cdc: binlog capture needs a tcp dsn, not %s", cfg.Net)
	}
	host, port := cfg.Addr, uint16(3306)
	if i := strings.LastIndex(cfg.Addr, ":"); i >= 0 {
		host = cfg.Addr[:i]
		var p int
		fmt.Sscanf(cfg.Addr[i+1:], "%d", &p)
		port = uint16(p)
	}
	return cfg, host, port, nil
}
