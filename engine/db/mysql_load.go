package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// ensureProgress creates ProgressTable once per handle; DDL commits
// implicitly in MySQL, so never inside a batch transaction.
func (m *myDB) ensureProgress(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.progressReady {
		return nil
	}
	_, err := m.db.ExecContext(ctx, m.progressDDL())
	if err != nil {
		return fmt.Errorf("mysql: create %s: %w", ProgressTable, err)
	}
	m.progressReady = true
	return nil
}

// progressDDL creates ProgressTable.
func (m *myDB) progressDDL() string {
	return "CREATE TABLE IF NOT EXISTS " + m.Quote(ProgressTable) + ` (
		copy_id VARCHAR(191) NOT NULL,
		tbl VARCHAR(191) NOT NULL,
		last_key LONGTEXT,
		` + "`read`" + ` BIGINT NOT NULL DEFAULT 0,
		written BIGINT NOT NULL DEFAULT 0,
		rejected BIGINT NOT NULL DEFAULT 0,
		updated_at DATETIME(6) NOT NULL,
		PRIMARY KEY (copy_id, tbl)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`
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

// loadInserts inserts rows with multi-row INSERTs and upserts the marker,
// in one transaction: LoadBatch's way where LOAD DATA LOCAL INFILE is not
// to be had (see mysql_infile.go).
func (m *myDB) loadInserts(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) (err error) {
	if mark.Table == "" {
		mark.Table = t.Name
	}
	if err := m.loadReady(ctx, t.Name); err != nil {
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
	tx, err := m.beginLoad(ctx, t.Name, "")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the load error is the one to report
		}
	}()
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
			for _, v := range r {
				args = append(args, myArg(v))
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("mysql: load %s: insert: %w", t.Name, err)
		}
	}
	if err = m.putMarker(ctx, tx, t.Name, key, mark); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("mysql: load %s: commit: %w", t.Name, err)
	}
	return nil
}

// loadReady is what every load checks before it begins: the progress
// table exists and table is transactional.
func (m *myDB) loadReady(ctx context.Context, table string) error {
	if err := m.ensureProgress(ctx); err != nil {
		return err
	}
	return m.checkTransactional(ctx, table)
}

// beginLoad opens a load's transaction with its session strict again — a
// sql step may have changed this pooled session: the strict sql_mode, UTC,
// and extra (", name = value" settings) after them.
func (m *myDB) beginLoad(ctx context.Context, table, extra string) (*sql.Tx, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("mysql: load %s: begin: %w", table, err)
	}
	if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = "+mysqlSQLMode+", time_zone = '+00:00'"+extra); err != nil {
		tx.Rollback() //nolint:errcheck // the session error is the one to report
		return nil, fmt.Errorf("mysql: load %s: session: %w", table, err)
	}
	return tx, nil
}

// putMarker upserts mark (its last key already rendered as JSON) in tx.
func (m *myDB) putMarker(ctx context.Context, tx *sql.Tx, table string, key string, mark Marker) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO "+m.Quote(ProgressTable)+
		" (copy_id, tbl, last_key, `read`, written, rejected, updated_at) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"+
		" ON DUPLICATE KEY UPDATE last_key = VALUES(last_key), `read` = VALUES(`read`), written = VALUES(written),"+
		" rejected = VALUES(rejected), updated_at = VALUES(updated_at)",
		mark.CopyID, mark.Table, key, mark.Read, mark.Written, mark.Rejected)
	if err != nil {
		return fmt.Errorf("mysql: load %s: progress marker: %w", table, err)
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
