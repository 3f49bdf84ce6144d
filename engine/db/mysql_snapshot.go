package db

// Native snapshots of MySQL/MariaDB, two methods:
//
//   - schema (default): an in-server snapshot database <db>__snap_<name>.
//     Every base table is created LIKE the live one, then filled by
//     INSERT … SELECT inside one transaction (START TRANSACTION WITH
//     CONSISTENT SNAPSHOT): at REPEATABLE READ InnoDB reads the source rows
//     of INSERT … SELECT with shared locks held to the commit, so the copy
//     is the database as it stood at one instant. The manifest's checksums
//     are read from the copies, which nothing else writes: manifest and
//     artefact agree by construction. A restore copies the snapshot again
//     into a staging database, checks it (package snapshot compares it with
//     the manifest: a changed snapshot is caught here, before the live data
//     is touched), and swaps it in with one atomic RENAME TABLE; the
//     snapshot survives for a second rollback. CREATE TABLE … LIKE drops
//     foreign keys and RENAME TABLE cannot move a table with triggers to
//     another database, so a database with either is refused (use
//     mysqldump).
//   - mysqldump: mysqldump --single-transaction into a file while the
//     tables are held with LOCK TABLES … READ (writers wait for the dump)
//     and the checksums are read at the same time; restored by piping the
//     file into mysql. That restore is not atomic: a failure part-way
//     leaves the tables restored so far (run it again).
//
// The tools get the credentials from a private temporary options file
// (--defaults-extra-file), never from the command line.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mySnapDB is a MySQL handle that keeps its parsed DSN, which mysqldump
// and mysql need again; db.Open returns it for MySQL connections.
type mySnapDB struct {
	*myDB
	cfg *mysql.Config
}

var _ Snapshotter = (*mySnapDB)(nil)

// withMySQLTools wraps an opened handle with its DSN.
func withMySQLTools(m *myDB, dsn string) DB {
	cfg, err := parseMySQLDSN(dsn)
	if err != nil { // it parsed a moment ago
		return m
	}
	return &mySnapDB{myDB: m, cfg: cfg}
}

const myInstall = "the MySQL or MariaDB client programs (mysqldump and mysql, or mariadb-dump and mariadb)"

// SnapshotMethods: schema (default), mysqldump.
func (m *mySnapDB) SnapshotMethods() []SnapshotMethod {
	return []SnapshotMethod{{Name: MethodSchema, InServer: true}, {Name: MethodMysqldump, Ext: ".sql"}}
}

// PreflightSnapshot checks, for schema, that the database has no triggers
// or foreign keys and that the user may create (and drop) a snapshot
// database; for mysqldump, that the programs exist and the user may lock
// the tables.
func (m *mySnapDB) PreflightSnapshot(ctx context.Context, method string) (Tool, error) {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil {
		return Tool{}, err
	}
	if sm.Name == MethodMysqldump {
		dump, _, err := m.myTools(ctx)
		if err != nil {
			return Tool{}, err
		}
		if _, err := m.optionsFile(); err != nil {
			return Tool{}, err
		}
		conn, err := m.db.Conn(ctx)
		if err != nil {
			return Tool{}, err
		}
		defer discardConn(conn)
		tables, err := m.baseTables(ctx, m.dbName)
		if err == nil && len(tables) > 0 {
			_, err = conn.ExecContext(ctx, "LOCK TABLES "+m.Quote(m.dbName)+"."+m.Quote(tables[0])+" READ")
		}
		if err != nil {
			return Tool{}, fmt.Errorf("mysql: snapshot preflight: the mysqldump method holds the tables with LOCK TABLES … READ while it dumps: %w", err)
		}
		return dump, nil
	}
	if err := m.schemaRefusal(ctx); err != nil {
		return Tool{}, err
	}
	probe := snapshotName(m.dbName, "snap", fmt.Sprintf("probe_%x", time.Now().UnixNano()))
	if err := m.createLike(ctx, probe); err != nil {
		return Tool{}, fmt.Errorf("mysql: snapshot preflight: the schema method creates a database %s__snap_…: %w (grant CREATE, DROP, SELECT, INSERT, ALTER on it, or use method: mysqldump)", m.dbName, err)
	}
	if _, err := m.db.ExecContext(ctx, "DROP DATABASE "+m.Quote(probe)); err != nil {
		return Tool{}, fmt.Errorf("mysql: snapshot preflight: dropping the probe database %s: %w", probe, err)
	}
	return m.serverTool(ctx)
}

// serverTool names the server as the tool of an in-server snapshot.
func (m *mySnapDB) serverTool(ctx context.Context) (Tool, error) {
	var v string
	if err := m.db.QueryRowContext(ctx, "SELECT @@version").Scan(&v); err != nil {
		return Tool{}, fmt.Errorf("mysql: server version: %w", err)
	}
	name := "mysql"
	if strings.Contains(strings.ToLower(v), "mariadb") {
		name = "mariadb"
	}
	return Tool{Name: name, Version: v}, nil
}

// schemaRefusal refuses the schema method for a database with triggers or
// foreign keys, which it cannot carry.
func (m *mySnapDB) schemaRefusal(ctx context.Context) error {
	var triggers, fks int
	err := m.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ?),
		(SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? OR UNIQUE_CONSTRAINT_SCHEMA = ?)`,
		m.dbName, m.dbName, m.dbName).Scan(&triggers, &fks)
	if err != nil {
		return fmt.Errorf("mysql: snapshot preflight: %w", err)
	}
	if triggers+fks > 0 {
		return fmt.Errorf("mysql: the schema snapshot method cannot carry %s's %d triggers and %d foreign keys (CREATE TABLE … LIKE drops foreign keys; RENAME TABLE cannot move a table with triggers to another database): use method: mysqldump",
			m.dbName, triggers, fks)
	}
	return nil
}

// baseTables lists every base table of a database, ProgressTable included
// (a snapshot holds the copy checkpoints as they were).
func (m *mySnapDB) baseTables(ctx context.Context, schema string) ([]string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY BINARY TABLE_NAME`, schema)
	if err != nil {
		return nil, fmt.Errorf("mysql: tables of %s: %w", schema, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// exists tells whether a database exists.
func (m *mySnapDB) exists(ctx context.Context, schema string) (bool, error) {
	var n int
	err := m.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, schema).Scan(&n)
	return n > 0, err
}

// createLike creates a database with the live database's character set
// and collation.
func (m *mySnapDB) createLike(ctx context.Context, name string) error {
	var cs, coll string
	err := m.db.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, m.dbName).Scan(&cs, &coll)
	if err != nil {
		return fmt.Errorf("reading %s's character set: %w", m.dbName, err)
	}
	_, err = m.db.ExecContext(ctx, m.createDatabaseStmt(name, cs, coll))
	return err
}

// createDatabaseStmt creates database name with a character set and collation.
func (m *mySnapDB) createDatabaseStmt(name, cs, coll string) string {
	return "CREATE DATABASE " + m.Quote(name) + " CHARACTER SET " + m.Quote(cs) + " COLLATE " + m.Quote(coll)
}

// createLikeStmt creates to.t with the shape of from.t.
func (m *mySnapDB) createLikeStmt(from, to, t string) string {
	return "CREATE TABLE " + m.Quote(to) + "." + m.Quote(t) + " LIKE " + m.Quote(from) + "." + m.Quote(t)
}

// insertSelectStmt copies the rows of from.t into to.t.
func (m *mySnapDB) insertSelectStmt(from, to, t, cols string) string {
	return "INSERT INTO " + m.Quote(to) + "." + m.Quote(t) + " (" + cols + ") SELECT " + cols + " FROM " + m.Quote(from) + "." + m.Quote(t)
}

// myCopySession opens the consistent-snapshot transaction copyTables copies in.
var myCopySession = []string{
	"SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
	"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	"START TRANSACTION WITH CONSISTENT SNAPSHOT",
}

// copyColumns lists the columns an INSERT … SELECT copies: all but the
// generated ones, in order (invisible columns included).
func (m *mySnapDB) copyColumns(ctx context.Context, schema, table string) (string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND BINARY TABLE_NAME = ?
		AND EXTRA NOT LIKE '%VIRTUAL%' AND EXTRA NOT LIKE '%STORED%' AND EXTRA NOT LIKE '%PERSISTENT%'
		ORDER BY ORDINAL_POSITION`, schema, table, table)
	if err != nil {
		return "", fmt.Errorf("columns of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", err
		}
		cols = append(cols, m.Quote(c))
	}
	return strings.Join(cols, ", "), rows.Err()
}

// copyTables creates every table of from in to (LIKE) and copies the rows
// in one consistent-snapshot transaction, on a connection of its own that
// is discarded afterwards (its session is relaxed: the copy must take
// every stored value as it is, zero dates included, and keep id 0).
func (m *mySnapDB) copyTables(ctx context.Context, from, to string, tables []string) error {
	cols := make([]string, len(tables))
	for i, t := range tables {
		c, err := m.copyColumns(ctx, from, t)
		if err != nil {
			return err
		}
		cols[i] = c
		if _, err := m.db.ExecContext(ctx, m.createLikeStmt(from, to, t)); err != nil {
			return fmt.Errorf("creating %s.%s: %w", to, t, err)
		}
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer discardConn(conn)
	for _, s := range myCopySession {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	for i, t := range tables {
		q := m.insertSelectStmt(from, to, t, cols[i])
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck // the connection is discarded anyway
			return fmt.Errorf("copying %s.%s: %w", from, t, err)
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// discardConn closes a connection whose session was changed, so the pool
// never hands it out again.
func discardConn(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // the point is the error
	conn.Close()
}

// dropDB drops a database tightrope created; it refuses any name that is
// not one of its snapshot, staging or old-tables databases.
func (m *mySnapDB) dropDB(ctx context.Context, name string) error {
	if name == m.dbName || !(strings.Contains(name, "__snap_") || strings.Contains(name, "__rst_") || strings.Contains(name, "__old_")) {
		return fmt.Errorf("mysql: refusing to drop %s: not a snapshot database of %s", name, m.dbName)
	}
	_, err := m.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+m.Quote(name))
	return err
}

// TakeSnapshot captures the database with method.
func (m *mySnapDB) TakeSnapshot(ctx context.Context, method, dir, name string, sums func(view DB) error) (SnapshotInfo, error) {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if sm.Name == MethodMysqldump {
		return m.dumpSnapshot(ctx, filepath.Join(dir, name+sm.Ext), sums)
	}
	if err := m.schemaRefusal(ctx); err != nil {
		return SnapshotInfo{}, err
	}
	tool, err := m.serverTool(ctx)
	if err != nil {
		return SnapshotInfo{}, err
	}
	snap := snapshotName(m.dbName, "snap", name)
	tables, err := m.baseTables(ctx, m.dbName)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if err := m.createLike(ctx, snap); err != nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: creating %s: %w", snap, err)
	}
	ok := false
	defer func() {
		if !ok {
			m.dropDB(context.Background(), snap) //nolint:errcheck // best effort after a failure
		}
	}()
	if err := m.copyTables(ctx, m.dbName, snap, tables); err != nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot into %s: %w", snap, err)
	}
	if err := sums(newMySnapView(m.myDB, snap)); err != nil {
		return SnapshotInfo{}, err
	}
	var size int64
	if err := m.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0)
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, snap).Scan(&size); err != nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot size: %w", err)
	}
	ok = true
	return SnapshotInfo{Artefact: snap, InServer: true, Size: size, Scope: "database " + m.Quote(m.dbName), Tool: tool}, nil
}

// RestoreSnapshot restores with method; see the file comment.
func (m *mySnapDB) RestoreSnapshot(ctx context.Context, method, artefact string, staged func(view DB) error) error {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil {
		return err
	}
	if sm.Name == MethodMysqldump {
		return m.dumpRestore(ctx, artefact)
	}
	if _, err := m.SnapshotView(ctx, method, artefact); err != nil {
		return err
	}
	tables, err := m.baseTables(ctx, artefact)
	if err != nil {
		return err
	}
	live, err := m.baseTables(ctx, m.dbName)
	if err != nil {
		return err
	}
	stamp := fmt.Sprintf("%x", time.Now().UnixNano())
	staging, old := snapshotName(m.dbName, "rst", stamp), snapshotName(m.dbName, "old", stamp)
	if err := m.createLike(ctx, staging); err != nil {
		return fmt.Errorf("mysql: restore: creating %s: %w", staging, err)
	}
	defer m.dropDB(context.Background(), staging) //nolint:errcheck // empty after the swap; best effort otherwise
	if err := m.copyTables(ctx, artefact, staging, tables); err != nil {
		return fmt.Errorf("mysql: restore: staging %s: %w", artefact, err)
	}
	if staged != nil {
		if err := staged(newMySnapView(m.myDB, staging)); err != nil {
			return err
		}
	}
	if err := m.createLike(ctx, old); err != nil {
		return fmt.Errorf("mysql: restore: creating %s: %w", old, err)
	}
	defer m.dropDB(context.Background(), old) //nolint:errcheck // best effort
	if stmt := m.swapStmt(staging, old, tables, live); stmt != "" {
		if _, err := m.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("mysql: restore: swapping the tables in (nothing was changed): %w", err)
		}
	}
	return nil
}

// swapStmt is the one atomic RENAME TABLE that moves the live tables into
// old and the staged ones into their place; "" when there is no table.
func (m *mySnapDB) swapStmt(staging, old string, tables, live []string) string {
	isLive := map[string]bool{}
	for _, t := range live {
		isLive[t] = true
	}
	var pairs []string
	q := func(schema, t string) string { return m.Quote(schema) + "." + m.Quote(t) }
	for _, t := range tables {
		if isLive[t] {
			pairs = append(pairs, q(m.dbName, t)+" TO "+q(old, t))
		}
		pairs = append(pairs, q(staging, t)+" TO "+q(m.dbName, t))
	}
	if len(pairs) == 0 {
		return ""
	}
	return "RENAME TABLE " + strings.Join(pairs, ", ")
}

// SnapshotView shows an in-server snapshot under the live names.
func (m *mySnapDB) SnapshotView(ctx context.Context, method, artefact string) (DB, error) {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil {
		return nil, err
	}
	if !sm.InServer {
		return nil, fmt.Errorf("mysql: %s snapshots are files; there is no in-server view", sm.Name)
	}
	ok, err := m.exists(ctx, artefact)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("mysql: in-server snapshot database %s: %w", artefact, ErrSnapshotMissing)
	}
	return newMySnapView(m.myDB, artefact), nil
}

// DropSnapshot drops an in-server snapshot database.
func (m *mySnapDB) DropSnapshot(ctx context.Context, method, artefact string) error {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil || !sm.InServer {
		return err
	}
	if !strings.Contains(artefact, "__snap_") {
		return fmt.Errorf("mysql: refusing to drop %s: not a snapshot database", artefact)
	}
	return m.dropDB(ctx, artefact)
}
