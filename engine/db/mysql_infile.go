package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// The bulk path into MySQL/MariaDB: LOAD DATA LOCAL INFILE fed from an
// in-process reader (the driver's Reader::name, registered under a name of
// its own for each batch and deregistered after), in the batch's
// transaction with its checkpoint, under the strict sql_mode.
//
// LOCAL makes the server treat every data error as IGNORE would: a
// duplicate key, a foreign key, a check, a NULL into NOT NULL, a value cut
// short all become warnings, and the row is skipped or altered. So after
// the load the warnings are counted (and the rows loaded), never ignored:
// any warning rolls the whole batch back and fails it with
// *InfileWarnings, which Refused takes for a refusal, so the copier writes
// the batch again through LoadRefusing — multi-row INSERTs halved down to
// the refused rows, each rejected with the rule the server names, exactly
// as the INSERT path rejects them.
//
// Where the server refuses local infile (local_infile=0) or the driver
// refuses the reader, the handle falls back to multi-row INSERT for good,
// and says so once through OnNotice. A DSN with tightrope_load=insert
// starts there.

// MySQLLoadParam is the DSN parameter choosing how batches are written
// into MySQL/MariaDB: "infile" (the default: LOAD DATA LOCAL INFILE, with
// the fallback) or "insert" (multi-row INSERT only). tightrope takes it out
// of the DSN before the driver sees it.
const MySQLLoadParam = "tightrope_load"

// Noticer is implemented by adapters that have something to tell the
// operator once, outside any error: the MySQL adapter's fallback from
// LOAD DATA LOCAL INFILE to INSERT. f receives each notice once; a notice
// raised before f was set is handed to it when it is set.
type Noticer interface {
	OnNotice(f func(msg string))
}

// InfileWarnings fails a LOAD DATA batch whose load raised warnings or did
// not load every row: the batch was rolled back. Refused takes it for a
// refusal, so the batch goes through LoadRefusing.
type InfileWarnings struct {
	Table    string
	Rows     int             // rows sent
	Loaded   int64           // rows the server reported loaded
	Count    int64           // warnings raised
	Warnings []InfileWarning // the first few, as SHOW WARNINGS lists them
}

// InfileWarning is one line of SHOW WARNINGS.
type InfileWarning struct{ Level, Code, Message string }

func (e *InfileWarnings) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mysql: load %s: LOAD DATA loaded %d of %d rows with %d warnings", e.Table, e.Loaded, e.Rows, e.Count)
	for i, w := range e.Warnings {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s: %s", w.Level, w.Code, w.Message)
	}
	return b.String()
}

// rule names the rule of the first warning, as Refused would for the
// same error from an INSERT.
func (e *InfileWarnings) rule() string {
	for _, w := range e.Warnings {
		n, err := strconv.ParseUint(w.Code, 10, 16)
		if err != nil {
			continue
		}
		if rule, ok := mysqlRefused(&mysql.MySQLError{Number: uint16(n), Message: w.Message}); ok {
			return rule
		}
	}
	return ""
}

// noLocalInfile is the error of a server or driver refusing LOAD DATA
// LOCAL INFILE.
type noLocalInfile struct{ err error }

func (e *noLocalInfile) Error() string { return "LOAD DATA LOCAL INFILE refused: " + e.err.Error() }
func (e *noLocalInfile) Unwrap() error { return e.err }

// localInfileRefused tells whether err is the server or the driver
// refusing local infile: MariaDB's 4166 (local infile disabled), old
// MySQL's and MariaDB's 1148 (the command is not allowed), MySQL 8's 3948
// (local data disabled), the client's 2068, or the driver not knowing the
// reader.
func localInfileRefused(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 4166 || me.Number == 1148 || me.Number == 3948 || me.Number == 2068
	}
	return err != nil && strings.Contains(err.Error(), "is not registered")
}

// infileSeq makes every reader name unique within the process.
var infileSeq atomic.Uint64

// infileBufs recycles the batches' encoded text.
var infileBufs = sync.Pool{New: func() any { return new([]byte) }}

// LoadBatch writes rows and upserts the marker in one transaction: by LOAD
// DATA LOCAL INFILE, or by multi-row INSERT where that is not to be had.
func (m *myDB) LoadBatch(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) error {
	if mark.Table == "" {
		mark.Table = t.Name
	}
	if len(rows) > 0 && m.infileOn() {
		err := m.loadInfile(ctx, t, cols, rows, mark)
		var refused *noLocalInfile
		if !errors.As(err, &refused) {
			return err
		}
		m.infileRefused(refused.err)
	}
	return m.loadInserts(ctx, t, cols, rows, mark)
}

func (m *myDB) infileOn() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.infileOff
}

// infileRefused switches the handle to INSERT for good and says so once.
func (m *myDB) infileRefused(err error) {
	m.mu.Lock()
	if m.infileOff {
		m.mu.Unlock()
		return
	}
	m.infileOff = true
	m.pending = append(m.pending, fmt.Sprintf("%s refuses LOAD DATA LOCAL INFILE (%v); writing with multi-row INSERT instead, "+
		"which is slower (the server's local_infile must be ON for the fast path)", m.desc, err))
	f := m.notice
	m.mu.Unlock()
	if f != nil {
		m.flushNotices()
	}
}

// OnNotice implements Noticer.
func (m *myDB) OnNotice(f func(msg string)) {
	m.mu.Lock()
	m.notice = f
	m.mu.Unlock()
	m.flushNotices()
}

func (m *myDB) flushNotices() {
	m.mu.Lock()
	f, msgs := m.notice, m.pending
	if f != nil {
		m.pending = nil
	}
	m.mu.Unlock()
	if f == nil {
		return
	}
	for _, msg := range msgs {
		f(msg)
	}
}

// loadInfile is LoadBatch by LOAD DATA LOCAL INFILE. A value without a
// LOAD DATA text is written by INSERT, whose error then names it.
func (m *myDB) loadInfile(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) (err error) {
	if err := m.loadReady(ctx, t.Name); err != nil {
		return err
	}
	key, err := markerKeyJSON(mark.LastKey)
	if err != nil {
		return fmt.Errorf("mysql: load %s: marker key: %w", t.Name, err)
	}
	buf := infileBufs.Get().(*[]byte)
	data := (*buf)[:0]
	defer func() {
		if cap(data) <= 64<<20 {
			*buf = data[:0]
			infileBufs.Put(buf)
		}
	}()
	hexed := infileHexColumns(len(cols), rows)
	for _, r := range rows {
		if data, err = appendInfileRow(data, r, hexed); err != nil {
			return m.loadInserts(ctx, t, cols, rows, mark)
		}
	}

	// Every note counted (checkInfile).
	tx, err := m.beginLoad(ctx, t.Name, ", sql_notes = 1")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the load error is the one to report
		}
	}()
	name := "tightrope-" + strconv.FormatUint(infileSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(data) })
	res, err := tx.ExecContext(ctx, m.infileSQL(t, cols, hexed, name))
	mysql.DeregisterReaderHandler(name)
	if err != nil {
		if localInfileRefused(err) {
			return &noLocalInfile{err: err}
		}
		return fmt.Errorf("mysql: load %s: load data: %w", t.Name, err)
	}
	if err = m.checkInfile(ctx, tx, t.Name, res, len(rows)); err != nil {
		return err
	}
	if err = m.putMarker(ctx, tx, t.Name, key, mark); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("mysql: load %s: commit: %w", t.Name, err)
	}
	return nil
}

// checkInfile fails the load unless it loaded every row without a single
// warning or note.
func (m *myDB) checkInfile(ctx context.Context, tx *sql.Tx, table string, res sql.Result, n int) error {
	loaded, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("mysql: load %s: rows loaded: %w", table, err)
	}
	var count int64
	if err := tx.QueryRowContext(ctx, "SHOW COUNT(*) WARNINGS").Scan(&count); err != nil {
		return fmt.Errorf("mysql: load %s: warnings: %w", table, err)
	}
	if count == 0 && loaded == int64(n) {
		return nil
	}
	e := &InfileWarnings{Table: table, Rows: n, Loaded: loaded, Count: count}
	ws, err := tx.QueryContext(ctx, "SHOW WARNINGS LIMIT 3")
	if err != nil {
		return fmt.Errorf("%w (reading them: %w)", e, err)
	}
	defer ws.Close()
	for ws.Next() {
		var w InfileWarning
		if err := ws.Scan(&w.Level, &w.Code, &w.Message); err != nil {
			return fmt.Errorf("%w (reading them: %w)", e, err)
		}
		e.Warnings = append(e.Warnings, w)
	}
	return e
}

// infileSQL is the LOAD DATA statement of a batch. Hexed columns go
// through a user variable and UNHEX; YEAR columns through one cast to a
// number, since YEAR reads the text '0' as 2000 but the number 0 as 0000
// (what INSERT writes for 0).
func (m *myDB) infileSQL(t Table, cols []string, hexed []bool, reader string) string {
	var b strings.Builder
	b.WriteString("LOAD DATA LOCAL INFILE 'Reader::" + reader + "' INTO TABLE " + m.quoteTable(t.Name) + mysqlInfileFormat + " (")
	var set []string
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		v := "@tightrope_" + strconv.Itoa(i)
		switch {
		case hexed[i]:
			b.WriteString(v)
			set = append(set, m.Quote(c)+" = UNHEX("+v+")")
		case isYearColumn(t, c):
			b.WriteString(v)
			set = append(set, m.Quote(c)+" = CAST("+v+" AS SIGNED)")
		default:
			b.WriteString(m.Quote(c))
		}
	}
	b.WriteString(")")
	if len(set) > 0 {
		b.WriteString(" SET " + strings.Join(set, ", "))
	}
	return b.String()
}

// isYearColumn tells whether the table's column is MySQL's YEAR.
func isYearColumn(t Table, name string) bool {
	c, ok := t.Column(name)
	if !ok {
		return false
	}
	d := strings.TrimSpace(c.Type.Decl)
	return len(d) >= 4 && strings.EqualFold(d[:4], "year")
}

// mysqlLoadChoice takes MySQLLoadParam out of the configuration and tells
// whether batches go by INSERT from the start.
func mysqlLoadChoice(cfg *mysql.Config) (insert bool, err error) {
	for k, v := range cfg.Params {
		if !strings.EqualFold(k, MySQLLoadParam) {
			continue
		}
		delete(cfg.Params, k)
		switch strings.ToLower(v) {
		case "infile", "":
		case "insert":
			insert = true
		default:
			return false, fmt.Errorf("the MySQL DSN's %s=%q is neither infile nor insert", MySQLLoadParam, v)
		}
	}
	return insert, nil
}

// LoadsByInfile tells whether d is a MySQL/MariaDB handle that (still)
// writes batches by LOAD DATA LOCAL INFILE.
func LoadsByInfile(d DB) bool {
	switch m := d.(type) {
	case *myDB:
		return m.infileOn()
	case *mySnapDB:
		return m.infileOn()
	}
	return false
}
