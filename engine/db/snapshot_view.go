package db

// Read-only views that package snapshot checksums through: a PostgreSQL
// transaction holding an exported snapshot, and a MySQL in-server snapshot
// (or staging) database shown under the live database's table names.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// errReadOnlyView is returned by the views' LoadBatch.
var errReadOnlyView = errors.New("a snapshot view is read-only")

// pgTxView reads through one open REPEATABLE READ transaction: the
// exported snapshot that pg_dump reads at the same time. SQL() is the
// pool, outside the transaction; the snapshot package does not use it.
type pgTxView struct {
	p  *pgDB
	mu sync.Mutex // a transaction runs one query at a time
	tx pgx.Tx
}

func (v *pgTxView) Driver() string        { return Postgres }
func (v *pgTxView) Describe() string      { return v.p.desc + " (snapshot)" }
func (v *pgTxView) SQL() *sql.DB          { return v.p.sqldb }
func (v *pgTxView) Quote(s string) string { return v.p.Quote(s) }
func (v *pgTxView) Close() error          { return nil }

// Tables lists the tables of current_schema() as pgDB.Tables does.
func (v *pgTxView) Tables(ctx context.Context) ([]string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return pgTables(ctx, v.tx)
}

// Table reads the table's shape as pgDB.Table does, in the snapshot.
func (v *pgTxView) Table(ctx context.Context, name string) (Table, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return pgTable(ctx, v.tx, v.p.quoteTable, name)
}

// Count counts the rows in the snapshot.
func (v *pgTxView) Count(ctx context.Context, table string) (int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var n int64
	if err := v.tx.QueryRow(ctx, "SELECT count(*) FROM "+v.p.quoteTable(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count %s: %w", table, err)
	}
	return n, nil
}

// ReadBatch reads as pgDB.ReadBatch does (same values), in the snapshot.
func (v *pgTxView) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	q, args := selectAfter(tableQuoter(t.Name, v.p.quoteTable, v.p.Quote), pgPlaceholder, t, cols, after, limit)
	rows, err := v.tx.Query(ctx, q, append([]any{pgResultFormats}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	m := rows.Conn().TypeMap()
	var out [][]any
	for rows.Next() {
		raw, fds := rows.RawValues(), rows.FieldDescriptions()
		row := make([]any, len(raw))
		for i := range raw {
			if row[i], err = pgValue(m, fds[i], raw[i]); err != nil {
				return nil, fmt.Errorf("postgres: read %s.%s: %w", t.Name, fds[i].Name, err)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
	}
	return out, nil
}

func (v *pgTxView) LoadBatch(context.Context, Table, []string, [][]any, Marker) error {
	return errReadOnlyView
}

func (v *pgTxView) Progress(context.Context, string, string) (Marker, bool, error) {
	return Marker{}, false, nil
}

// mySnapView shows a database holding copies of the live tables (an
// in-server snapshot, or a restore's staging database) under the live
// names, read-only, over the live handle's pool.
type mySnapView struct {
	m    *myDB  // over the copy's database
	live string // the live database's name
}

// newMySnapView views database name through live's pool.
func newMySnapView(live *myDB, name string) *mySnapView {
	return &mySnapView{live: live.dbName, m: &myDB{
		db: live.db, desc: live.desc + " (snapshot " + name + ")", dbName: name, maxPacket: live.maxPacket,
		stmts: map[string]*sql.Stmt{}, transactional: map[string]bool{},
	}}
}

// name turns a live table name into the copy's, always qualified (the
// pool's connections default to the live database): unqualified names and
// the live database's qualified (dotted) names move to the copy's
// database; any other database is refused.
func (v *mySnapView) name(table string) (string, error) {
	if rest, ok := strings.CutPrefix(table, v.live+"."); ok {
		return v.m.dbName + "." + rest, nil
	}
	if strings.HasPrefix(table, v.m.dbName+".") {
		return table, nil
	}
	if !strings.Contains(table, ".") {
		return v.m.dbName + "." + table, nil
	}
	return "", fmt.Errorf("mysql: %s is not a table of %s", table, v.live)
}

func (v *mySnapView) Driver() string        { return MySQL }
func (v *mySnapView) Describe() string      { return v.m.desc }
func (v *mySnapView) SQL() *sql.DB          { return v.m.db }
func (v *mySnapView) Quote(s string) string { return v.m.Quote(s) }
func (v *mySnapView) Close() error          { return nil } // the pool is the live handle's

// Tables lists the copy's tables under their live names.
func (v *mySnapView) Tables(ctx context.Context) ([]string, error) {
	names, err := v.m.Tables(ctx)
	for i, n := range names {
		if rest, ok := strings.CutPrefix(n, v.m.dbName+"."); ok {
			names[i] = v.live + "." + rest
		}
	}
	return names, err
}

func (v *mySnapView) Table(ctx context.Context, table string) (Table, error) {
	n, err := v.name(table)
	if err != nil {
		return Table{Name: table}, err
	}
	return v.m.Table(ctx, n)
}

func (v *mySnapView) Count(ctx context.Context, table string) (int64, error) {
	n, err := v.name(table)
	if err != nil {
		return 0, err
	}
	return v.m.Count(ctx, n)
}

func (v *mySnapView) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	n, err := v.name(t.Name)
	if err != nil {
		return nil, err
	}
	t.Name = n
	return v.m.ReadBatch(ctx, t, cols, after, limit)
}

func (v *mySnapView) LoadBatch(context.Context, Table, []string, [][]any, Marker) error {
	return errReadOnlyView
}

func (v *mySnapView) Progress(context.Context, string, string) (Marker, bool, error) {
	return Marker{}, false, nil
}
