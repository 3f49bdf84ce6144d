package cdc

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connectReplication opens a logical replication connection
// (replication=database) to dsn.
func connectReplication(ctx context.Context, dsn string) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("cdc: parse source dsn: %w", err)
	}
	cfg.RuntimeParams["replication"] = "database"
	pgSessionParams(cfg.RuntimeParams)
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cdc: replication connection: %w", err)
	}
	return conn, nil
}

// pgSessionParams sets what every capture and apply session needs
// whatever the DSN or the database's defaults say: text in UTF-8 (the
// server converts from and to the database's encoding, and refuses a
// character the other side has not — a LATIN1 database's session would
// otherwise hand over and take raw LATIN1 bytes), and bytea in hex.
func pgSessionParams(p map[string]string) {
	p["client_encoding"] = "UTF8"
	p["bytea_output"] = "hex"
}

// pgOpen opens an ordinary session on dsn with pgSessionParams.
func pgOpen(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	pgSessionParams(cfg.RuntimeParams)
	return pgx.ConnectConfig(ctx, cfg)
}

// quoteIdent quotes one PostgreSQL identifier (a column, a publication),
// dots and all: "unit.price" is one column.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteTable quotes a table name as tightrope spells them everywhere:
// schema.table split at the first dot, each part quoted exactly.
func quoteTable(name string) string {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return quoteIdent(schema) + "." + quoteIdent(table)
	}
	return quoteIdent(name)
}

// quoteLiteral quotes a string literal for the simple query protocol (the
// only one a replication connection speaks).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// queryRows runs a simple query and returns its text rows (nil for NULL).
func queryRows(ctx context.Context, conn *pgconn.PgConn, sql string) ([][]*string, error) {
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var out [][]*string
	for _, r := range results {
		if r.Err != nil {
			return nil, r.Err
		}
		for _, row := range r.Rows {
			vals := make([]*string, len(row))
			for i, b := range row {
				if b != nil {
					s := string(b)
					vals[i] = &s
				}
			}
			out = append(out, vals)
		}
	}
	return out, nil
}
