// Package db holds one adapter per database engine (SQLite, PostgreSQL,
// MySQL/MariaDB) behind one interface: quoting, catalog, keyset reads in
// key order, and batched loads committed with a progress marker.
package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tightrope/tightrope/engine/convert"
)

// Drivers as named in runbooks.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

// ProgressTable is the table in the target holding copy checkpoints.
const ProgressTable = "_tightrope_progress"

// ErrNoTable is wrapped by Table when the table does not exist.
var ErrNoTable = errors.New("no such table")

// Column is one column of a table.
type Column struct {
	Name string
	Type convert.Type
}

// Table is a table's shape as read from the catalog.
type Table struct {
	Name    string
	Columns []Column
	Key     []string // primary key (or the runbook's unique key), in order
	// Upper, when set, bounds keyset reads: only rows whose key is at most
	// Upper are read. It holds one value and is honoured for single-column
	// keys only (key ranges of a split copy or a verify chunk).
	Upper any
}

// Column returns the named column and whether it exists.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Marker is a copy checkpoint: the last key committed and the counters at
// that moment. It is written in the same transaction as the batch.
type Marker struct {
	CopyID   string // run + step, so two copies do not share checkpoints
	Table    string
	LastKey  []any // canonical key values of the last row read
	Read     int64
	Written  int64
	Rejected int64
}

// DB is one open database.
type DB interface {
	// Driver is SQLite, Postgres or MySQL.
	Driver() string
	// Describe names the database without secrets: driver, host, port,
	// database, user.
	Describe() string
	// SQL is the underlying pool, for sql steps and ad-hoc queries.
	SQL() *sql.DB
	// Quote quotes an identifier; every identifier goes through it.
	Quote(ident string) string
	// Tables lists the user tables (not ProgressTable).
	Tables(ctx context.Context) ([]string, error)
	// Describe reads a table's columns and primary key.
	Table(ctx context.Context, name string) (Table, error)
	// Count counts the rows of a table exactly.
	Count(ctx context.Context, table string) (int64, error)
	// ReadBatch returns up to limit rows of cols (which start with the key
	// columns) whose key is greater than after (nil: from the start), in
	// key order.
	ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error)
	// LoadBatch inserts rows (values already converted to the target
	// types) and upserts mark into ProgressTable in one transaction.
	LoadBatch(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) error
	// LoadRefusing writes rows like LoadBatch, in one transaction, but
	// leaves out the rows the target refuses (see Refused). Before the
	// commit, settle receives those rows (in batch order) and returns the
	// checkpoint to commit with the rest, or an error that abandons the
	// transaction; any other error abandons it too. For a batch whose
	// LoadBatch failed with a refused row.
	LoadRefusing(ctx context.Context, t Table, cols []string, rows [][]any, settle func([]Refusal) (Marker, error)) error
	// Progress returns the checkpoint of a copy for a table, if any.
	Progress(ctx context.Context, copyID, table string) (Marker, bool, error)
	// Close closes the pool.
	Close() error
}
