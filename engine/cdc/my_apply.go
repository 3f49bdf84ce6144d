package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/tightrope/tightrope/journal"
)

// mySQLMode is the applier's session sql_mode: a value the target would
// have to truncate, or a zero date, is an error rather than a warning.
const mySQLMode = "STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO"

// MyApplier applies a stream's spooled transactions — captured from any
// source engine, values in the source's text forms — to a MySQL/MariaDB
// target: one target transaction per source transaction, together with the
// applied position in PositionTable (the same shape as PGApplier's).
// Changes apply by key, so a transaction applied twice leaves the same
// rows: an insert is an upsert, an update finds its row by the old key, a
// delete deletes by key. Each value is checked against its target column
// first (myValue): one the target would round or cut — a fraction beyond
// the column's scale or precision, a non-integer into an integer column,
// a float8 into a FLOAT — is refused with the change, never stored
// altered; and the session runs in strict SQL mode with every statement's
// warnings read back (any warning fails the transaction).
type MyApplier struct {
	DSN         string // the target, go-sql-driver form
	Stream      string
	JournalPath string
	// OnApplied and Ready are PGApplier's hooks: told each transaction
	// committed on the target; asked before each (false pauses the round).
	OnApplied func(seq int64, position string, changes int)
	Ready     func() bool
}

// Position reads the target's applied position for the stream.
func (a *MyApplier) Position(ctx context.Context) (Applied, error) {
	conn, _, closeAll, err := a.connect(ctx)
	if err != nil {
		return Applied{}, err
	}
	defer closeAll()
	return myReadApplied(ctx, conn, a.Stream)
}

// Apply applies every transaction spooled after the target's applied
// position and returns how many it applied. A target position the journal
// does not hold is an error, not a guess.
func (a *MyApplier) Apply(ctx context.Context) (int, error) {
	conn, dbName, closeAll, err := a.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer closeAll()
	at, err := myReadApplied(ctx, conn, a.Stream)
	if err != nil {
		return 0, err
	}
	sp, found, err := ReadSpooled(ctx, a.JournalPath, a.Stream)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("cdc: stream %s was never started in this journal", a.Stream)
	}
	ap := &myApply{conn: conn, db: dbName, source: sp.Started.Engine, legacyBytea: sp.Started.Engine == "postgres" && !sp.Started.BinaryMarked, cols: map[string]map[string]myColumn{}}
	return applyRound(ctx, a.JournalPath, a.Stream, at, a.Ready, a.OnApplied, func(seq int64, tx journal.CDCChangesPayload) error {
		return ap.tx(ctx, a.Stream, seq, tx)
	})
}

// connect opens the target with the applier's session: strict sql_mode,
// UTC, utf8mb4, parameters interpolated client-side (one round trip a
// statement; the server parses each value as its column's type, as from
// text) and UPDATE counting the rows it matched. The position table is
// created if missing.
func (a *MyApplier) connect(ctx context.Context) (*sql.Conn, string, func(), error) {
	cfg, err := mysqldrv.ParseDSN(a.DSN)
	if err != nil {
		return nil, "", nil, fmt.Errorf("cdc: parse the target dsn: %w", err)
	}
	if cfg.DBName == "" {
		return nil, "", nil, errors.New("cdc: the target dsn names no database")
	}
	cfg.InterpolateParams = true
	cfg.ClientFoundRows = true
	cfg.MultiStatements = true // a statement and its warning count in one round trip
	cfg.ParseTime = false
	connector, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return nil, "", nil, fmt.Errorf("cdc: target: %w", err)
	}
	pool := sql.OpenDB(connector)
	conn, err := pool.Conn(ctx)
	if err != nil {
		pool.Close()
		return nil, "", nil, fmt.Errorf("cdc: target: %w", err)
	}
	closeAll := func() {
		conn.Close()
		pool.Close()
	}
	for _, q := range []string{
		"SET SESSION sql_mode = '" + mySQLMode + "'",
		"SET time_zone = '+00:00'",
		"SET NAMES utf8mb4",
		"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
		"CREATE TABLE IF NOT EXISTS " + PositionTable + ` (
			stream varchar(255) NOT NULL PRIMARY KEY,
			journal_seq bigint NOT NULL,
			position text NOT NULL,
			applied_at datetime(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			closeAll()
			return nil, "", nil, fmt.Errorf("cdc: target: %s: %w", strings.Fields(q)[0]+" "+strings.Fields(q)[1], err)
		}
	}
	return conn, cfg.DBName, closeAll, nil
}

func myReadApplied(ctx context.Context, conn *sql.Conn, stream string) (Applied, error) {
	var at Applied
	err := conn.QueryRowContext(ctx, "SELECT journal_seq, position FROM "+PositionTable+" WHERE stream = ?", stream).Scan(&at.Seq, &at.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return Applied{}, nil
	}
	if err != nil {
		return Applied{}, fmt.Errorf("cdc: read %s: %w", PositionTable, err)
	}
	return at, nil
}

// myApply is one Apply call's session and the target columns it has read.
type myApply struct {
	conn   *sql.Conn
	db     string
	source string // the source engine: postgres | mysql
	// legacyBytea: a PostgreSQL stream journaled before byte columns were
	// named (CDCChange.Binary): \x text into a binary column is a bytea.
	legacyBytea bool
	cols        map[string]map[string]myColumn // table -> column -> shape
}

// tx applies one source transaction and records its position in one
// target transaction.
func (ap *myApply) tx(ctx context.Context, stream string, seq int64, tx journal.CDCChangesPayload) error {
	t, err := ap.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	for i, c := range tx.Changes {
		if err := ap.change(ctx, t, c); err != nil {
			return fmt.Errorf("change %d (%s %s): %w", i+1, c.Op, c.Table, err)
		}
	}
	if _, err := t.ExecContext(ctx, "INSERT INTO "+PositionTable+` (stream, journal_seq, position, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))
		ON DUPLICATE KEY UPDATE journal_seq = VALUES(journal_seq), position = VALUES(position), applied_at = VALUES(applied_at)`,
		stream, seq, tx.Position); err != nil {
		return fmt.Errorf("record the position: %w", err)
	}
	return t.Commit()
}

// change applies one change by key. An insert inserts, and on a duplicate
// key updates the row of its key; an update updates the row of its key,
// and inserts when that row is not there (applied again after a later
// change deleted it); an update that moved the key deletes the old key's
// row and inserts (or updates) the new; a delete deletes by key.
func (ap *myApply) change(ctx context.Context, t *sql.Tx, c journal.CDCChange) error {
	if len(c.KeyColumns) == 0 || len(c.KeyColumns) != len(c.Key) {
		return errors.New("no key to apply by")
	}
	table, cols, err := ap.table(ctx, t, c.Table)
	if err != nil {
		return err
	}
	key, err := ap.values(cols, c.KeyColumns, c.Key, c.Binary)
	if err != nil {
		return err
	}
	switch c.Op {
	case "delete":
		_, err := ap.exec(ctx, t, "DELETE FROM "+table+" WHERE "+myKeyMatch(c.KeyColumns), key)
		return err
	case "insert", "update":
	default:
		return fmt.Errorf("unknown op %q", c.Op)
	}
	if len(c.Columns) != len(c.New) {
		return fmt.Errorf("%d values for %d columns", len(c.New), len(c.Columns))
	}
	if len(c.Unchanged) > 0 {
		return fmt.Errorf("the source did not send columns %s (unchanged TOAST): not applied to a MySQL target yet", strings.Join(c.Unchanged, ", "))
	}
	vals, err := ap.values(cols, c.Columns, c.New, c.Binary)
	if err != nil {
		return err
	}
	newKey := make([]any, len(c.KeyColumns))
	for i, k := range c.KeyColumns {
		j := indexOf(c.Columns, k)
		if j < 0 {
			return fmt.Errorf("key column %s not among the values", k)
		}
		newKey[i] = vals[j]
	}
	sets := make([]string, len(c.Columns))
	quoted := make([]string, len(c.Columns))
	for i, col := range c.Columns {
		quoted[i] = quoteMy(col)
		sets[i] = quoted[i] + " = ?"
	}
	update := "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + myKeyMatch(c.KeyColumns)
	insert := "INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(c.Columns)), ", ") + ")"
	switch {
	case c.Op == "update" && keyMoved(c):
		// As PGApplier: the old key's row goes, the new key's is upserted —
		// applied again after a later change reused the old key, this
		// still ends where the source did.
		if _, err := ap.exec(ctx, t, "DELETE FROM "+table+" WHERE "+myKeyMatch(c.KeyColumns), key); err != nil {
			return err
		}
	case c.Op == "update":
		n, err := ap.exec(ctx, t, update, append(append([]any{}, vals...), key...))
		if err != nil || n == 1 {
			return err
		}
		if n > 1 {
			return fmt.Errorf("the key matched %d rows", n)
		}
	}
	_, err = ap.exec(ctx, t, insert, vals)
	if myErrorCode(err) != 1062 {
		return err
	}
	// The row of the new key is there (applied before): make it the
	// change's row. A duplicate on another unique key matches no row here
	// and stays an error.
	n, uerr := ap.exec(ctx, t, update, append(append([]any{}, vals...), newKey...))
	if uerr != nil {
		return uerr
	}
	if n != 1 {
		return err
	}
	return nil
}

// exec runs one statement and fails on any warning it left (a value the
// target altered, a conversion in a key comparison); it returns the rows
// matched. The statement and the read of its warning count and row count
// go in one round trip.
func (ap *myApply) exec(ctx context.Context, t *sql.Tx, q string, args []any) (int64, error) {
	rows, err := t.QueryContext(ctx, q+"; SELECT @@warning_count, ROW_COUNT()", args...)
	if err != nil {
		return 0, err
	}
	var warnings, n int64
	found := false
	for !found {
		for rows.Next() {
			if err := rows.Scan(&warnings, &n); err != nil {
				rows.Close()
				return 0, err
			}
			found = true
		}
		if found || !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New("the target returned no row count")
	}
	if warnings > 0 {
		return 0, fmt.Errorf("the target would alter a value: %s", ap.warnings(ctx, t, warnings))
	}
	return n, nil
}

// warnings reads the warnings a statement left, as far as the server
// still holds them.
func (ap *myApply) warnings(ctx context.Context, t *sql.Tx, count int64) string {
	rows, err := t.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return fmt.Sprintf("%d warnings", count)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var level, msg string
		var code int
		if rows.Scan(&level, &code, &msg) == nil {
			out = append(out, fmt.Sprintf("%s %d: %s", level, code, msg))
		}
	}
	if len(out) == 0 {
		return fmt.Sprintf("%d warnings", count)
	}
	return strings.Join(out, "; ")
}

// table quotes a change's table (schema.table names another database)
// and reads its columns once per Apply.
func (ap *myApply) table(ctx context.Context, t *sql.Tx, name string) (string, map[string]myColumn, error) {
	schema, table := ap.db, name
	if s, n, ok := strings.Cut(name, "."); ok {
		schema, table = s, n
	}
	quoted := quoteMy(schema) + "." + quoteMy(table)
	if cols, ok := ap.cols[name]; ok {
		return quoted, cols, nil
	}
	cols, err := myColumns(ctx, t, schema, table)
	if err != nil {
		return "", nil, err
	}
	if len(cols) == 0 {
		return "", nil, fmt.Errorf("table %s does not exist on the target", quoted)
	}
	ap.cols[name] = cols
	return quoted, cols, nil
}

// values checks and converts a change's values for their target columns
// (those of the columns named in binary are bytes: myColumn.bytes).
func (ap *myApply) values(cols map[string]myColumn, names []string, vals []*string, binary []string) ([]any, error) {
	out := make([]any, len(vals))
	for i, v := range vals {
		col, ok := cols[names[i]]
		if !ok {
			return nil, fmt.Errorf("column %s does not exist on the target", names[i])
		}
		if v == nil {
			continue
		}
		var x any
		var err error
		if slices.Contains(binary, names[i]) {
			x, err = col.bytes(*v)
		} else {
			x, err = col.value(*v, ap.source, ap.legacyBytea)
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", names[i], err)
		}
		out[i] = x
	}
	return out, nil
}

// myKeyMatch is `k1` = ? AND `k2` = ?.
func myKeyMatch(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = quoteMy(k) + " = ?"
	}
	return strings.Join(parts, " AND ")
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
