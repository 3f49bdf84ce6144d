package db

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// pgCopyTarget is what a COPY into one table needs besides the rows: the
// statement and the type OID of every column, as the server describes
// "SELECT cols FROM table" (a domain shows as its base type, as COPY's
// binary format wants it).
type pgCopyTarget struct {
	sql  string
	oids []uint32
}

// pgCopyCache holds the COPY targets of a handle, keyed by table, columns
// and the columns' declared types (so a table altered between two copies
// is described again).
type pgCopyCache struct {
	mu sync.Mutex
	m  map[string]*pgCopyTarget
}

// copyTarget returns the cached COPY target of t and cols, describing it on
// conn the first time.
func (p *pgDB) copyTarget(ctx context.Context, conn *pgx.Conn, t Table, cols []string) (*pgCopyTarget, error) {
	var key strings.Builder
	key.WriteString(t.Name)
	for _, c := range cols {
		key.WriteByte(0)
		key.WriteString(c)
		key.WriteByte(0)
		if col, ok := t.Column(c); ok {
			key.WriteString(col.Type.Decl)
		}
	}
	k := key.String()
	p.copies.mu.Lock()
	ct := p.copies.m[k]
	p.copies.mu.Unlock()
	if ct != nil {
		return ct, nil
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = p.Quote(c)
	}
	list := strings.Join(quoted, ", ")
	sd, err := conn.PgConn().Prepare(ctx, "", "SELECT "+list+" FROM "+p.quoteTable(t.Name), nil)
	if err != nil {
		return nil, fmt.Errorf("describing the columns: %w", err)
	}
	if len(sd.Fields) != len(cols) {
		return nil, fmt.Errorf("describing the columns: %d columns for %d names", len(sd.Fields), len(cols))
	}
	ct = &pgCopyTarget{
		sql:  "COPY " + p.quoteTable(t.Name) + " (" + list + ") FROM STDIN BINARY",
		oids: make([]uint32, len(cols)),
	}
	for i, f := range sd.Fields {
		ct.oids[i] = f.DataTypeOID
	}
	p.copies.mu.Lock()
	if p.copies.m == nil {
		p.copies.m = map[string]*pgCopyTarget{}
	}
	p.copies.m[k] = ct
	p.copies.mu.Unlock()
	return ct, nil
}

// forgetCopyTarget drops a cached COPY target after a failed load, so the
// next attempt describes the table again.
func (p *pgDB) forgetCopyTarget() {
	p.copies.mu.Lock()
	p.copies.m = nil
	p.copies.mu.Unlock()
}

// copyRows sends rows with COPY ... FROM STDIN BINARY on conn, encoding
// them with one encoder per column chosen from the column's type, and
// returns the number of rows the server took.
func (p *pgDB) copyRows(ctx context.Context, conn *pgx.Conn, t Table, cols []string, rows [][]any) (int64, error) {
	ct, err := p.copyTarget(ctx, conn, t, cols)
	if err != nil {
		return 0, err
	}
	s := newPgCopyStream(pgEncoders(conn.TypeMap(), ct.oids), cols, rows)
	tag, err := conn.PgConn().CopyFrom(ctx, s, ct.sql)
	if encErr := s.finish(); encErr != nil {
		return 0, encErr // the value that could not be encoded, rather than the server's echo of it
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// pgCopyHeader starts every binary COPY stream: the signature, no flags,
// no header extension.
var pgCopyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgCopyBufs recycles the encoding buffers of COPY streams.
var pgCopyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128<<10); return &b }}

// pgCopyStream is an io.Reader producing the binary COPY data of rows,
// encoded as the server reads it. pgconn reads it on a goroutine of its
// own, which may outlive CopyFrom when the connection fails; finish waits
// for a read under way and ends the stream.
type pgCopyStream struct {
	mu     sync.Mutex
	closed bool
	cols   []pgColumnEncoder
	names  []string // column names, for errors
	rows   [][]any
	next   int    // the next row to encode; len(rows) then means the trailer is due
	done   bool   // the trailer is in buf
	buf    []byte // encoded, not yet read: buf[off:]
	off    int
	bufp   *[]byte
	err    error // the first encoding error
}

func newPgCopyStream(cols []pgColumnEncoder, names []string, rows [][]any) *pgCopyStream {
	bp := pgCopyBufs.Get().(*[]byte)
	s := &pgCopyStream{cols: cols, names: names, rows: rows, bufp: bp}
	s.buf = append((*bp)[:0], pgCopyHeader...)
	return s
}

// finish ends the stream once a read under way is done (later reads see
// the end), returns the buffer to the pool, and returns the encoding
// error, if any.
func (s *pgCopyStream) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.bufp != nil {
		*s.bufp = s.buf[:0]
		pgCopyBufs.Put(s.bufp)
		s.bufp, s.buf = nil, nil
	}
	return s.err
}

// Read fills p with the next encoded rows.
func (s *pgCopyStream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, io.EOF
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.off > 0 { // what the last read left goes to the front, so buf stays the size of one read
		s.buf = s.buf[:copy(s.buf, s.buf[s.off:])]
		s.off = 0
	}
	for len(s.buf)-s.off < len(p) && !s.done {
		if s.next == len(s.rows) {
			s.buf = append(s.buf, 0xff, 0xff) // the trailer: a field count of -1
			s.done = true
			break
		}
		if err := s.encodeRow(s.rows[s.next]); err != nil {
			s.err = fmt.Errorf("row %d: %w", s.next+1, err)
			return 0, s.err
		}
		s.next++
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	if n == 0 && s.done {
		return 0, io.EOF
	}
	return n, nil
}

// encodeRow appends one row: the field count, then every field.
func (s *pgCopyStream) encodeRow(row []any) error {
	if len(row) != len(s.cols) {
		return fmt.Errorf("%d values for %d columns", len(row), len(s.cols))
	}
	b := binary.BigEndian.AppendUint16(s.buf, uint16(len(row)))
	var err error
	for i, v := range row {
		if b, err = s.cols[i].encode(b, v); err != nil {
			return fmt.Errorf("column %s: %w", s.names[i], err)
		}
	}
	s.buf = b
	return nil
}
