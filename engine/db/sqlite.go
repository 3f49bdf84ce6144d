package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/tightrope/tightrope/engine/convert"
)

func init() { register(SQLite, openSQLite) }

// sqliteMaxVars is SQLite's default SQLITE_MAX_VARIABLE_NUMBER (since
// 3.32): the most placeholders one statement may bind.
const sqliteMaxVars = 32766

// sqliteDB is the SQLite adapter.
//
// Values as modernc.org/sqlite delivers them from ReadBatch: INTEGER storage
// as int64, REAL as float64, TEXT as string, BLOB as []byte, NULL as nil,
// whatever the column's declared type says: 'N/A' stored in an INTEGER
// column comes back as the string "N/A", unchanged. The one exception is a
// column declared exactly DATE, DATETIME or TIMESTAMP (case-insensitive; not
// "DATETIME(3)", not TIME): a TEXT value in one of SQLite's date formats
// ("2006-01-02", "2006-01-02 15:04[:05[.999999999]]", with "T" instead of
// the space, with a "-07:00" offset or a "Z") comes back as time.Time, in
// UTC unless the text carried an offset; a TEXT value that does not parse
// ("2024-02-30", "soon") comes back as the string, unchanged. Integers in
// such columns stay int64 (the driver's _inttotime is off).
//
// Key columns are the exception to the exception: ReadBatch returns them as
// stored, never as time.Time, because the key of the last row is bound into
// the next page's WHERE and stored as JSON in the progress marker, and both
// must compare equal to the stored text; a re-rendered time would not
// ("2024-01-01" < "2024-01-01 00:00:00+00:00") and rows would be skipped.
type sqliteDB struct {
	db   *sql.DB
	path string // absolute path of the database file
	now  func() time.Time
	raw  sqliteRawPool // ReadBatch's own connections (see sqliteRaw)
}

var _ Snapshotter = (*sqliteDB)(nil)

// openSQLite opens an existing SQLite database file. A missing file is an
// error, never a new empty database: mode=rw makes SQLite itself refuse to
// create it. The journal mode is left as the file has it (the files belong
// to the user). Foreign keys are enforced on every pooled connection, as
// the servers enforce theirs: a row whose parent the target lacks is
// refused (and rejected as target_refused), so parents are copied before
// their children; write
// transactions are BEGIN IMMEDIATE and wait up to 5s for the lock. Times
// bound as parameters are written in SQLite's own format, not Go's
// time.Time.String.
func openSQLite(ctx context.Context, path string) (DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sqlite: no such database file: %s", path)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("sqlite: %s is a directory, not a database file", path)
	}
	dsn := sqliteURI(abs, "mode=rw&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite")
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Ping does not read the file; a query over the schema does, so a file
	// that is not a database fails here rather than at the first step.
	var n int
	if err := pool.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &sqliteDB{db: pool, path: abs, now: time.Now}, nil
}

// sqliteURI renders an absolute path as a SQLite URI filename with the
// given query; '?', '#', '%' and spaces in the path are percent-escaped.
func sqliteURI(abs, query string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:/C:/dir/db.sqlite
	}
	u := "file:" + (&url.URL{Path: p}).EscapedPath()
	if query != "" {
		u += "?" + query
	}
	return u
}

func (d *sqliteDB) Driver() string { return SQLite }

// Describe names the file only: paths are not secrets, but the directory
// adds nothing on a status line.
func (d *sqliteDB) Describe() string { return "sqlite:" + filepath.Base(d.path) }

func (d *sqliteDB) SQL() *sql.DB { return d.db }

func (d *sqliteDB) Close() error {
	d.raw.close()
	return d.db.Close()
}

// Quote wraps an identifier in double quotes, doubling embedded ones.
func (d *sqliteDB) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// Tables lists ordinary tables of the main schema in byte order of their
// names: not views, not virtual tables or their shadow tables, not SQLite's
// own sqlite_% tables, not ProgressTable.
func (d *sqliteDB) Tables(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name FROM pragma_table_list
		WHERE schema = 'main' AND type = 'table'
		  AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> ?
		ORDER BY name`, ProgressTable)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("sqlite: list tables: %w", err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list tables: %w", err)
	}
	return out, nil
}

// Table reads a table's columns (declaration order, without hidden and
// generated columns, which cannot be inserted into) and its primary key in
// key order. A rowid table without a declared primary key has no Key.
// Primary-key columns of WITHOUT ROWID tables and an INTEGER PRIMARY KEY
// are NOT NULL even when the catalog does not say so: SQLite enforces the
// first and fills a NULL in the second with a new rowid.
func (d *sqliteDB) Table(ctx context.Context, name string) (Table, error) {
	var withoutRowid bool
	err := d.db.QueryRowContext(ctx, `SELECT name, wr FROM pragma_table_list
		WHERE schema = 'main' AND type = 'table' AND name = ? COLLATE NOCASE`, name).Scan(&name, &withoutRowid)
	if errors.Is(err, sql.ErrNoRows) {
		return Table{}, fmt.Errorf("sqlite: table %s: %w", name, ErrNoTable)
	}
	if err != nil {
		return Table{}, fmt.Errorf("sqlite: table %s: %w", name, err)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT name, type, "notnull", pk, hidden
		FROM pragma_table_xinfo(?, 'main') ORDER BY cid`, name)
	if err != nil {
		return Table{}, fmt.Errorf("sqlite: table %s: %w", name, err)
	}
	defer rows.Close()
	type col struct {
		name, decl string
		notNull    bool
		pk         int
	}
	var cols []col
	for rows.Next() {
		var c col
		var hidden int
		if err := rows.Scan(&c.name, &c.decl, &c.notNull, &c.pk, &hidden); err != nil {
			return Table{}, fmt.Errorf("sqlite: table %s: %w", name, err)
		}
		if hidden == 0 {
			cols = append(cols, c)
		}
	}
	if err := rows.Err(); err != nil {
		return Table{}, fmt.Errorf("sqlite: table %s: %w", name, err)
	}
	var npk int
	for _, c := range cols {
		if c.pk > 0 {
			npk++
		}
	}
	t := Table{Name: name, Key: make([]string, npk)}
	for _, c := range cols {
		if c.pk > 0 {
			t.Key[c.pk-1] = c.name
			rowidAlias := npk == 1 && !withoutRowid && strings.EqualFold(c.decl, "INTEGER")
			c.notNull = c.notNull || withoutRowid || rowidAlias
		}
		t.Columns = append(t.Columns, Column{Name: c.name, Type: convert.ParseSQLite(c.decl, c.notNull)})
	}
	if npk == 0 {
		t.Key = nil
	}
	return t, nil
}

// Count counts the rows of a table.
func (d *sqliteDB) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM "+d.Quote(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count %s: %w", table, err)
	}
	return n, nil
}
