package cdc

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/tightrope/tightrope/journal"
)

// MyStream names a MariaDB binlog change stream. Positions are MariaDB GTID
// sets (domain-server-seq per domain).
type MyStream struct {
	Source   string   // the runbook connection's name, for the record
	DSN      string   // go-sql-driver form: user:pass@tcp(host:port)/db
	Stream   string   // the stream's name in the journal
	Tables   []string // tables of the DSN's database
	ServerID uint32   // the replica id the capture registers with: unique per migration
}

// myRequired are the server settings row capture needs, with the value.
var myRequired = [][2]string{
	{"log_bin", "ON"}, {"binlog_format", "ROW"}, {"binlog_row_image", "FULL"}, {"binlog_row_metadata", "FULL"},
}

// Create checks the source's binlog settings (naming each to change),
// records its identity and current GTID position and journals
// cdc_stream_started. Changes committed after that position are the
// stream's. (Taking the position in the bulk copy's consistent read is not
// built yet: the copy must finish before the source takes writes.)
func (s MyStream) Create(ctx context.Context, j *journal.Store, actor, stepID string) (journal.CDCStreamPayload, error) {
	var zero journal.CDCStreamPayload
	if err := checkName("stream", s.Stream); err != nil {
		return zero, err
	}
	if len(s.Tables) == 0 {
		return zero, fmt.Errorf("cdc: a stream needs at least one table")
	}
	db, err := sql.Open("mysql", s.DSN)
	if err != nil {
		return zero, err
	}
	defer db.Close()
	var wrong []string
	for _, r := range myRequired {
		var name, v string
		if err := db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE '"+r[0]+"'").Scan(&name, &v); err != nil {
			return zero, fmt.Errorf("cdc: read %s: %w", r[0], err)
		}
		if !strings.EqualFold(v, r[1]) {
			wrong = append(wrong, fmt.Sprintf("%s is %s, set %s=%s", r[0], v, r[0], r[1]))
		}
	}
	if len(wrong) > 0 {
		return zero, fmt.Errorf("cdc: the source's binlog cannot be captured: %s", strings.Join(wrong, "; "))
	}
	id, err := myIdentity(ctx, db)
	if err != nil {
		return zero, err
	}
	var pos string
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
		return zero, fmt.Errorf("cdc: read gtid_binlog_pos: %w", err)
	}
	p := journal.CDCStreamPayload{Stream: s.Stream, Source: s.Source, Engine: "mysql", Tables: slices.Clone(s.Tables), SystemID: id, Start: pos}
	if _, err := j.Append(ctx, actor, stepID, journal.CDCStreamStarted, p); err != nil {
		return zero, err
	}
	return p, nil
}

// myIdentity names the source: MariaDB's server id and GTID domain.
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
