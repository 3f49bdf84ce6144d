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
	infileOff     bool                 // batches go by INSERT (see mysql_infile.go)
	notice        func(msg string)     // OnNotice's receiver
	pending       []string             // notices not yet handed to it
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
	infileOff, err := mysqlLoadChoice(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, scrubSecret(err, cfg.Passwd)
	}
	db := sql.OpenDB(conn)
	db.SetConnMaxIdleTime(5 * time.Minute) // under a typical wait_timeout
	m := &myDB{db: db, desc: describeMySQL(cfg), dbName: cfg.DBName,
		stmts: map[string]*sql.Stmt{}, transactional: map[string]bool{}, infileOff: infileOff}
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
		return t, fmt.Errorf("mysql: table %s: %w", name, ErrNoTable)
	}
	if err := m.markJSONColumns(ctx, &t, schema, table); err != nil {
		return t, fmt.Errorf("mysql: table %s: %w", name, err)
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

// markJSONColumns finds MariaDB's JSON columns: MariaDB reports JSON as
// LONGTEXT guarded by CHECK (json_valid(`col`)), and without knowing it the
// copy would pass invalid JSON that the server then refuses mid-batch.
// MySQL 8 has a real JSON type and no TABLE_NAME in CHECK_CONSTRAINTS; there
// the query fails and nothing needs marking.
func (m *myDB) markJSONColumns(ctx context.Context, t *Table, schema, table string) error {
	rows, err := m.db.QueryContext(ctx, `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, schema, table)
	if err != nil {
		return nil // MySQL 8: JSON columns say "json" themselves
	}
	defer rows.Close()
	for rows.Next() {
		var clause string
		if err := rows.Scan(&clause); err != nil {
			return err
		}
		inner, ok := strings.CutPrefix(clause, "json_valid(`")
		if !ok {
			continue
		}
		col, ok := strings.CutSuffix(inner, "`)")
		if !ok {
			continue
		}
		col = strings.ReplaceAll(col, "``", "`")
		for i := range t.Columns {
			if t.Columns[i].Name == col && t.Columns[i].Type.Kind == convert.Text {
				t.Columns[i].Type.Kind = convert.JSON
			}
		}
	}
	return rows.Err()
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
	if len(after) == 0 || len(t.Key) < 2 || len(after) != len(t.Key) || t.Upper != nil {
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

// ReadBatch reads the next rows in key order, in the binary protocol (see
// readRows). Values: int64 (uint64 for an UNSIGNED BIGINT above
// MaxInt64), float32 (FLOAT, exactly as stored: package convert keeps its
// 32-bit shortest form), float64, string (text, ENUM,
// SET, JSON, TIME, DECIMAL as exact text), []byte (binary, BIT, GEOMETRY),
// and time.Time in UTC for DATE/DATETIME/TIMESTAMP. A date MySQL can hold
// but no calendar can — '0000-00-00', a zero month or day, year 0 — comes
// back as its raw text, never as a time.Time, so the converter rejects it.
func (m *myDB) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	return m.readBatch(ctx, m.readRows, t, cols, after, limit)
}

// readBatch is ReadBatch through a given way of running the read (the
// pool's, or a held snapshot's connection).
func (m *myDB) readBatch(ctx context.Context, read func(context.Context, string, []any) (*sql.Rows, func(), error), t Table, cols []string, after []any, limit int) ([][]any, error) {
	q, args := m.selectAfter(t, cols, after, limit)
	rows, done, err := read(ctx, q, args)
	if err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
	}
	defer done()
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
	}
	cs := make([]myColumn, len(types))
	ptrs := make([]any, len(types))
	for i, ct := range types {
		cs[i] = newMyColumn(ct.DatabaseTypeName())
		if cs[i].kind == myNumber {
			ptrs[i] = &cs[i].val
		} else {
			ptrs[i] = &cs[i].raw
		}
	}
	alloc := newRowAlloc(len(types), limit)
	var mem batchMem
	out := make([][]any, 0, min(limit, 4096))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
		}
		row := alloc.row()
		for i := range cs {
			row[i] = cs[i].value(&mem)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", t.Name, err)
	}
	return out, nil
}

// myValue maps a driver value (binary or text protocol, parseTime off) to
// the value ReadBatch promises, by the column's type name. The binary
// protocol delivers an UNSIGNED BIGINT above MaxInt64 as its digits.
func myValue(typ string, v any) any {
	switch x := v.(type) {
	case nil, int64, float32, float64:
		return v
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return x
	case []byte:
		switch typ {
		case "UNSIGNED BIGINT", "BIGINT":
			if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
				return myValue(typ, u)
			}
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
