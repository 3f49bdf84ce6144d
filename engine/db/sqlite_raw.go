package db

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteRaw is a connection of SQLite's own API (modernc.org/sqlite/lib,
// the same SQLite the driver runs), used by ReadBatch only. It is opened
// with SQLITE_OPEN_NOMUTEX: the driver opens every connection in SQLite's
// serialized mode, where each API call takes and releases the connection's
// mutex (emulated in Go, several per value read), which was most of the
// cost of reading. A sqliteRaw is used by one ReadBatch at a time, which
// is all that mode asks, and bypasses database/sql for the same reason.
type sqliteRaw struct {
	tls *libc.TLS
	db  uintptr
}

// sqliteRawPool keeps the idle raw connections of an adapter.
type sqliteRawPool struct {
	mu     sync.Mutex
	idle   []*sqliteRaw
	closed bool
}

// get takes an idle raw connection or opens one on path.
func (p *sqliteRawPool) get(path string) (*sqliteRaw, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return openSQLiteRaw(path)
}

// put gives a connection back, or closes it when the pool is closed or
// already holds enough.
func (p *sqliteRawPool) put(c *sqliteRaw) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < 4 {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// close closes the idle connections; connections in use close when put.
func (p *sqliteRawPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// openSQLiteRaw opens path as openSQLite does (read-write, never
// creating it), without SQLite's mutex. It installs no busy timeout:
// query waits for locks itself (busyWait), so that the wait ends with the
// context.
func openSQLiteRaw(path string) (*sqliteRaw, error) {
	c := &sqliteRaw{tls: libc.NewTLS()}
	name, err := libc.CString(sqliteURI(path, "mode=rw"))
	if err != nil {
		c.tls.Close()
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	pdb := libc.Xmalloc(c.tls, 8)
	if pdb == 0 {
		c.tls.Close()
		return nil, fmt.Errorf("sqlite: out of memory")
	}
	defer libc.Xfree(c.tls, pdb)
	*(*uintptr)(cptr(pdb)) = 0
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, pdb,
		sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	c.db = *(*uintptr)(cptr(pdb))
	if rc != sqlite3.SQLITE_OK {
		err := c.err(rc)
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *sqliteRaw) close() {
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	c.tls.Close()
}

// err describes a result code with the connection's message, as the
// driver does ("database is locked (5) ...": IsTransient knows it).
func (c *sqliteRaw) err(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		if m := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)); m != "" && m != msg {
			msg += ": " + m
		}
	}
	return fmt.Errorf("%s (%d)", msg, rc)
}

// cptr turns an address in SQLite's memory (libc's allocator: mapped
// outside the Go heap, never moved or collected) into a pointer.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// rawArgs reports whether every argument has a binding here (the keyset
// reads bind integers, floats, text, booleans and NULL); anything else
// takes the driver's path.
func rawArgs(args []any) bool {
	for _, a := range args {
		switch a.(type) {
		case nil, int64, int, float64, string, bool:
		default:
			return false
		}
	}
	return true
}

// sqliteRawRow receives one row: the statement, for the column accessors.
type sqliteRawRow func(stmt uintptr) error

// query runs q with args and calls row for every row. decl receives the
// declared types of the result columns (upper-cased, as the driver
// reports them) before the first row. It ends with ctx: waits for a lock
// at once, a statement running within SQLite by sqlite3_interrupt.
func (c *sqliteRaw) query(ctx context.Context, q string, args []any, decl func([]string), row sqliteRawRow) error {
	zq, err := libc.CString(q)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, zq)
	pstmt := libc.Xmalloc(c.tls, 8)
	if pstmt == 0 {
		return fmt.Errorf("sqlite: out of memory")
	}
	defer libc.Xfree(c.tls, pstmt)
	var texts []uintptr // bound text, freed after the statement is finalized
	defer func() {
		for _, p := range texts {
			libc.Xfree(c.tls, p)
		}
	}()
	*(*uintptr)(cptr(pstmt)) = 0
	for busy := 0; ; busy++ {
		rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, zq, -1, pstmt, 0)
		if rc == sqlite3.SQLITE_OK {
			break
		}
		if rc != sqlite3.SQLITE_BUSY || !busyWait(ctx, busy) {
			return c.ctxErr(ctx, rc)
		}
	}
	stmt := *(*uintptr)(cptr(pstmt))
	defer sqlite3.Xsqlite3_finalize(c.tls, stmt)
	// sqlite3_interrupt is safe from another goroutine (on a TLS of its
	// own); it is over before the statement is finalized and the
	// connection reused or closed.
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		tls := libc.NewTLS()
		sqlite3.Xsqlite3_interrupt(tls, c.db)
		tls.Close()
	})
	defer func() {
		if !stop() {
			<-interrupted
		}
	}()
	for i, a := range args {
		var rc int32
		n := int32(i + 1)
		switch x := a.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, stmt, n)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, n, x)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, n, int64(x))
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(c.tls, stmt, n, x)
		case bool:
			v := int32(0)
			if x {
				v = 1
			}
			rc = sqlite3.Xsqlite3_bind_int(c.tls, stmt, n, v)
		case string:
			p, err := libc.CString(x)
			if err != nil {
				return err
			}
			texts = append(texts, p)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, stmt, n, p, int32(len(x)), 0)
		default:
			return fmt.Errorf("sqlite: cannot bind %T", a)
		}
		if rc != sqlite3.SQLITE_OK {
			return c.err(rc)
		}
	}
	ncols := int(sqlite3.Xsqlite3_column_count(c.tls, stmt))
	decls := make([]string, ncols)
	for i := range decls {
		decls[i] = strings.ToUpper(libc.GoString(sqlite3.Xsqlite3_column_decltype(c.tls, stmt, int32(i))))
	}
	decl(decls)
	for n, busy := 0, 0; ; {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch rc := sqlite3.Xsqlite3_step(c.tls, stmt); rc {
		case sqlite3.SQLITE_ROW:
			if err := row(stmt); err != nil {
				return err
			}
			n++
		case sqlite3.SQLITE_DONE:
			return nil
		case sqlite3.SQLITE_BUSY:
			// Before the first row the read has taken no lock yet and the
			// step may simply be tried again; later, the batch fails and
			// is read again whole (a locked database is transient).
			if n > 0 || !busyWait(ctx, busy) {
				return c.ctxErr(ctx, rc)
			}
			busy++
		default:
			return c.ctxErr(ctx, rc)
		}
	}
}

// ctxErr is the context's error when it has ended (the call was
// interrupted or gave up waiting), else the result code's.
func (c *sqliteRaw) ctxErr(ctx context.Context, rc int32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.err(rc)
}

// The retry schedule of SQLite's own busy callback (sqliteDefaultBusyCallback):
// the delay before each retry in ms, then the last delay again, for up to
// sqliteBusyTimeout in all (the adapter's busy_timeout).
var sqliteBusyDelays = [...]time.Duration{1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100}

const sqliteBusyTimeout = 5 * time.Second

// busyWait sleeps before retry number count of a call that found the
// database locked. It returns false, at once, when the waits so far reach
// sqliteBusyTimeout, and, as soon as it happens, when ctx ends.
func busyWait(ctx context.Context, count int) bool {
	var total, d time.Duration
	for i := 0; i <= count; i++ {
		d = sqliteBusyDelays[min(i, len(sqliteBusyDelays)-1)] * time.Millisecond
		if i < count {
			total += d
		}
	}
	if total >= sqliteBusyTimeout {
		return false
	}
	t := time.NewTimer(min(d, sqliteBusyTimeout-total))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// value returns column i of the current row as the driver delivers it:
// INTEGER int64, REAL float64, TEXT string, BLOB []byte (empty, never
// nil, when empty: every driver writes a nil []byte as NULL), NULL nil. Text and blobs are copied into m.
func (c *sqliteRaw) value(stmt uintptr, i int32, m *batchMem) any {
	switch sqlite3.Xsqlite3_column_type(c.tls, stmt, i) {
	case sqlite3.SQLITE_INTEGER:
		return m.box.int64(sqlite3.Xsqlite3_column_int64(c.tls, stmt, i))
	case sqlite3.SQLITE_FLOAT:
		return m.box.float64(sqlite3.Xsqlite3_column_double(c.tls, stmt, i))
	case sqlite3.SQLITE_TEXT:
		p := sqlite3.Xsqlite3_column_text(c.tls, stmt, i)
		n := int(sqlite3.Xsqlite3_column_bytes(c.tls, stmt, i))
		if p == 0 || n == 0 {
			return m.box.string("")
		}
		return m.box.string(m.arena.str(unsafe.Slice((*byte)(cptr(p)), n)))
	case sqlite3.SQLITE_BLOB:
		p := sqlite3.Xsqlite3_column_blob(c.tls, stmt, i)
		n := int(sqlite3.Xsqlite3_column_bytes(c.tls, stmt, i))
		if p == 0 || n == 0 {
			return []byte{}
		}
		return m.arena.bytes(unsafe.Slice((*byte)(cptr(p)), n))
	}
	return nil
}
