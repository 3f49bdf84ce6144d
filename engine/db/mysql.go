package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/convert"
)

func init() { register(MySQL, openMySQL) }

// myDB is the MySQL/MariaDB adapter: database/sql over go-sql-driver,
// multi-row INSERT for bulk loads.
//
// Table names: a dot separates database and table ("shop.orders");
// otherwise the DSN's database. Tables() qualifies only a name that itself
// contains a dot. Column names are never split.
type myDB struct {
	db        *sql.DB
	desc      string
	dbName    string
	maxPacket int

	mu            sync.Mutex
	progressReady bool
	stmts         map[string]*sql.Stmt // multi-row INSERTs by table, columns, rows
	transactional map[string]bool      // tables whose engine has transactions
}

// openMySQL opens a pool from a mysql:// URL or the driver's DSN (see
// parseMySQLDSN for the forced settings) and checks the server answers.
func openMySQL(ctx context.Context, dsn string) (DB, error) {
	cfg, err := parseMySQLDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the MySQL DSN (mysql://user:pass@host:3306/db or user:pass@tcp(host:3306)/db): %w", err)
	}
	return openMySQLConfig(ctx, cfg)
}

// openMySQLConfig opens a pool from a parsed configuration.
func openMySQLConfig(ctx context.Context, cfg *mysql.Config) (DB, error) {
	if cfg.DBName == "" {
		return nil, errors.New("the MySQL DSN names no database")
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, scrubSecret(err, cfg.Passwd)
	}
	db := sql.OpenDB(conn)
	db.SetConnMaxIdleTime(5 * time.Minute) // under a typical wait_timeout
	m := &myDB{db: db, desc: describeMySQL(cfg), dbName: cfg.DBName,
		stmts: map[string]*sql.Stmt{}, transactional: map[string]bool{}}
	if err := db.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&m.maxPacket); err != nil {
		db.Close()
		return nil, scrubSecret(err, cfg.Passwd)
	}
	return m, nil
}

func (m *myDB) Driver() string   { return MySQL }
func (m *myDB) Describe() string { return m.desc }
func (m *myDB) SQL() *sql.DB     { return m.db }

// Quote backtick-quotes one identifier, doubling embedded backticks.
func (m *myDB) Quote(ident string) string {
	return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
}

// split returns a table's database (the DSN's when unqualified) and name.
func (m *myDB) split(name string) (string, string) {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return schema, table
	}
	return m.dbName, name
}

// quoteTable quotes a table name, splitting db.table at the first dot.
func (m *myDB) quoteTable(name string) string {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return m.Quote(schema) + "." + m.Quote(table)
	}
	return m.Quote(name)
}

// Tables lists the base tables of the DSN's database.
func (m *myDB) Tables(ctx context.Context) ([]string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> ?
		ORDER BY BINARY TABLE_NAME`, m.dbName, ProgressTable)
	if err != nil {
		return nil, fmt.Errorf("mysql: list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("mysql: list tables: %w", err)
		}
		if strings.Contains(name, ".") {
			name = m.dbName + "." + name
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// Table reads the columns (COLUMN_TYPE, IS_NULLABLE) in ordinal order and
// the PRIMARY key in SEQ_IN_INDEX order. Names compare case-sensitively.
func (m *myDB) Table(ctx context.Context, name string) (Table, error) {
	t := Table{Name: name}
	schema, table := m.split(name)
	rows, err := m.db.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND BINARY TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, table, table)
	if err != nil {
		return t, fmt.Errorf("mysql: table %s: columns: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var col, typ, nullable string
		if err := rows.Scan(&col, &typ, &nullable); err != nil {
			return t, fmt.Errorf("mysql: table %s: columns: %w", name, err)
		}
		t.Columns = append(t.Columns, Column{Name: col, Type: convert.ParseMySQL(typ, nullable == "NO")})
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("mysql: table %s: columns: %w", name, err)
	}
	if len(t.Columns) == 0 {
		return t, fmt.Errorf("mysql: table %s: not found", name)
	}
	keys, err := m.db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND BINARY TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'
		ORDER BY SEQ_IN_INDEX`, schema, table, table)
	if err != nil {
		return t, fmt.Errorf("mysql: table %s: primary key: %w", name, err)
	}
	defer keys.Close()
	for keys.Next() {
		var col string
		if err := keys.Scan(&col); err != nil {
			return t, fmt.Errorf("mysql: table %s: primary key: %w", name, err)
		}
		t.Key = append(t.Key, col)
	}
	return t, keys.Err()
}

// Count counts the rows exactly.
func (m *myDB) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := m.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+m.quoteTable(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("mysql: count %s: %w", table, err)
	}
	return n, nil
}

// selectAfter is the shared keyset SELECT, except that after a composite
// key the row comparison (a, b) > (?, ?) is expanded to
// a > ? OR (a = ? AND b > ?): MySQL and MariaDB do not turn a row
// comparison into an index range and would scan the key from the start on
// every batch.
func (m *myDB) selectAfter(t Table, cols []string, after []any, limit int) (string, []any) {
	quote := tableQuoter(t.Name, m.quoteTable, m.Quote)
	if len(after) == 0 || len(t.Key) < 2 || len(after) != len(t.Key) {
		return selectAfter(quote, questionMark, t, cols, after, limit)
	}
	q, _ := selectAfter(quote, questionMark, t, cols, nil, limit)
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = m.Quote(k)
	}
	tail := " ORDER BY " + strings.Join(keys, ", ") + " LIMIT ?"
	if !strings.HasSuffix(q, tail) { // the shared builder changed shape: stay correct
		return selectAfter(quote, questionMark, t, cols, after, limit)
	}
	var where []string
	var args []any
	for i := range keys {
		var and []string
		for j := 0; j < i; j++ {
			and = append(and, keys[j]+" = ?")
			args = append(args, after[j])
		}
		and = append(and, keys[i]+" > ?")
		args = append(args, after[i])
		where = append(where, "("+strings.Join(and, " AND ")+")")
	}
	return q[:len(q)-len(tail)] + " WHERE " + strings.Join(where, " OR ") + tail, append(args, limit)
}

// ReadBatch reads the next rows in key order. Values: int64 (an UNSIGNED
// BIGINT above MaxInt64 as decimal text), float64, string (text, ENUM,
// SET, JSON, TIME, DECIMAL as exact text), []byte (binary, BIT, GEOMETRY),
// and time.Time in UTC for DATE/DATETIME/TIMESTAMP. A date MySQL can hold
// but no calendar can — '0000-00-00', a zero month or day, year 0 — comes
// back as its raw text, never as a time.Time, so the converter rejects it.
func (m *myDB) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	q, args := m.selectAfter(t, cols, after, limit)
	rows, err := m.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
	}
	names := make([]string, len(types))
	for i, ct := range types {
		names[i] = ct.DatabaseTypeName()
	}
	var out [][]any
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = myValue(names[i], v)
			vals[i] = nil
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
	}
	return out, nil
}

// myValue maps a driver value (text protocol, parseTime off) to the value
// ReadBatch promises, by the column's type name.
func myValue(typ string, v any) any {
	switch x := v.(type) {
	case nil, int64, float64:
		return v
	case float32:
		return float64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case []byte:
		switch typ {
		case "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY", "BIT", "GEOMETRY", "VECTOR":
			return x
		case "DATE", "DATETIME", "TIMESTAMP":
			return myTime(string(x))
		}
		return string(x)
	}
	return v
}

// myTime parses a DATE/DATETIME/TIMESTAMP text as a UTC wall time; what
// is not a real date stays text.
func myTime(s string) any {
	layout := "2006-01-02"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05.999999"
	}
	tm, err := time.Parse(layout, s)
	if err != nil || tm.Year() < 1 {
		return s
	}
	return tm
}

// ensureProgress creates ProgressTable once per handle; DDL commits
// implicitly in MySQL, so never inside a batch transaction.
func (m *myDB) ensureProgress(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.progressReady {
		return nil
	}
	_, err := m.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+m.Quote(ProgressTable)+` (
		copy_id VARCHAR(191) NOT NULL,
		tbl VARCHAR(191) NOT NULL,
		last_key LONGTEXT,
		`+"`read`"+` BIGINT NOT NULL DEFAULT 0,
		written BIGINT NOT NULL DEFAULT 0,
		rejected BIGINT NOT NULL DEFAULT 0,
		updated_at DATETIME(6) NOT NULL,
		PRIMARY KEY (copy_id, tbl)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`)
	if err != nil {
		return fmt.Errorf("mysql: create %s: %w", ProgressTable, err)
	}
	m.progressReady = true
	return nil
}

// checkTransactional refuses to load into a table whose storage engine
// cannot roll back (MyISAM, ...): a failed batch would stay half-written.
func (m *myDB) checkTransactional(ctx context.Context, name string) error {
	m.mu.Lock()
	ok := m.transactional[name]
	m.mu.Unlock()
	if ok {
		return nil
	}
	schema, table := m.split(name)
	var engine, tx sql.NullString
	err := m.db.QueryRowContext(ctx, `SELECT t.ENGINE, e.TRANSACTIONS FROM information_schema.TABLES t
		LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
		WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ? AND BINARY t.TABLE_NAME = ?`, schema, table, table).Scan(&engine, &tx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("mysql: load %s: table not found", name)
	case err != nil:
		return fmt.Errorf("mysql: load %s: storage engine: %w", name, err)
	case tx.String != "YES":
		return fmt.Errorf("mysql: load %s: storage engine %s has no transactions, so a failed batch could not be undone; convert the table to InnoDB", name, engine.String)
	}
	m.mu.Lock()
	m.transactional[name] = true
	m.mu.Unlock()
	return nil
}

// LoadBatch inserts rows with multi-row INSERTs and upserts the marker, in
// one transaction.
func (m *myDB) LoadBatch(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) (err error) {
	if mark.Table == "" {
		mark.Table = t.Name
	}
	if err := m.ensureProgress(ctx); err != nil {
		return err
	}
	if err := m.checkTransactional(ctx, t.Name); err != nil {
		return err
	}
	key, err := markerKeyJSON(mark.LastKey)
	if err != nil {
		return fmt.Errorf("mysql: load %s: marker key: %w", t.Name, err)
	}
	per := m.chunkRows(cols, rows)
	var counts []int
	if len(rows) > 0 {
		counts = []int{per, len(rows) % per}
	}
	cached, err := m.insertStmts(ctx, t.Name, cols, counts...)
	if err != nil {
		return fmt.Errorf("mysql: load %s: prepare: %w", t.Name, err)
	}
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mysql: load %s: begin: %w", t.Name, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the load error is the one to report
		}
	}()
	// A sql step may have changed this pooled session: strict again.
	if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = "+mysqlSQLMode+", time_zone = '+00:00'"); err != nil {
		return fmt.Errorf("mysql: load %s: session: %w", t.Name, err)
	}
	args := make([]any, 0, per*len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var stmt *sql.Stmt
		if s := cached[len(chunk)]; s != nil {
			stmt = tx.StmtContext(ctx, s)
		} else if stmt, err = tx.PrepareContext(ctx, m.insertSQL(t.Name, cols, len(chunk))); err != nil {
			return fmt.Errorf("mysql: load %s: prepare: %w", t.Name, err)
		}
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("mysql: load %s: insert: %w", t.Name, err)
		}
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO "+m.Quote(ProgressTable)+
		" (copy_id, tbl, last_key, `read`, written, rejected, updated_at) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"+
		" ON DUPLICATE KEY UPDATE last_key = VALUES(last_key), `read` = VALUES(`read`), written = VALUES(written),"+
		" rejected = VALUES(rejected), updated_at = VALUES(updated_at)",
		mark.CopyID, mark.Table, key, mark.Read, mark.Written, mark.Rejected)
	if err != nil {
		return fmt.Errorf("mysql: load %s: progress marker: %w", t.Name, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("mysql: load %s: commit: %w", t.Name, err)
	}
	return nil
}

// mysqlMaxPlaceholders is the protocol's limit of parameters per statement.
const mysqlMaxPlaceholders = 65535

// chunkRows is the number of rows per INSERT: under the placeholder limit
// and, by the largest row of the batch, under half of max_allowed_packet.
func (m *myDB) chunkRows(cols []string, rows [][]any) int {
	if len(cols) == 0 || len(rows) == 0 {
		return 1
	}
	widest := 1
	for _, r := range rows {
		size := 0
		for _, v := range r {
			switch x := v.(type) {
			case string:
				size += len(x) + 8
			case []byte:
				size += len(x) + 8
			default:
				size += 24
			}
		}
		widest = max(widest, size)
	}
	per := min(len(rows), mysqlMaxPlaceholders/len(cols), max(1, m.maxPacket/2/widest))
	return max(per, 1)
}

// mysqlStmtCache bounds the INSERT statements a handle keeps prepared.
const mysqlStmtCache = 128

// insertStmts returns the cached prepared INSERTs for the given row counts
// (table, columns and count make the key), preparing missing ones on the
// pool before the batch transaction starts; database/sql re-prepares each
// once per pooled connection. A full cache yields nil for a new count: the
// caller prepares that statement within its transaction.
func (m *myDB) insertStmts(ctx context.Context, table string, cols []string, counts ...int) (map[int]*sql.Stmt, error) {
	out := map[int]*sql.Stmt{}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range counts {
		if n == 0 {
			continue
		}
		key := table + "\x00" + strings.Join(cols, "\x00") + "\x00" + strconv.Itoa(n)
		s, ok := m.stmts[key]
		if !ok && len(m.stmts) < mysqlStmtCache {
			var err error
			if s, err = m.db.PrepareContext(ctx, m.insertSQL(table, cols, n)); err != nil {
				return nil, err
			}
			m.stmts[key] = s
		}
		out[n] = s
	}
	return out, nil
}

// insertSQL is the text of an INSERT of n rows.
func (m *myDB) insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + m.quoteTable(table) + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.Quote(c))
	}
	b.WriteString(") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// Progress reads a copy checkpoint back; none when ProgressTable does not
// exist yet.
func (m *myDB) Progress(ctx context.Context, copyID, table string) (Marker, bool, error) {
	mk := Marker{CopyID: copyID, Table: table}
	var key sql.NullString
	err := m.db.QueryRowContext(ctx, "SELECT last_key, `read`, written, rejected FROM "+m.Quote(ProgressTable)+
		" WHERE copy_id = ? AND tbl = ?", copyID, table).Scan(&key, &mk.Read, &mk.Written, &mk.Rejected)
	var me *mysql.MySQLError
	switch {
	case errors.Is(err, sql.ErrNoRows), errors.As(err, &me) && me.Number == 1146:
		return Marker{}, false, nil
	case err != nil:
		return Marker{}, false, fmt.Errorf("mysql: progress of %s: %w", table, err)
	}
	if mk.LastKey, err = markerKeyFromJSON(key.String); err != nil {
		return Marker{}, false, fmt.Errorf("mysql: progress of %s: last key: %w", table, err)
	}
	return mk, true, nil
}

// Close closes the cached statements and the pool.
func (m *myDB) Close() error {
	m.mu.Lock()
	for _, s := range m.stmts {
		s.Close()
	}
	m.stmts = map[string]*sql.Stmt{}
	m.mu.Unlock()
	return m.db.Close()
}
