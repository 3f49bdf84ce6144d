package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"unicode/utf8"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/tightrope/tightrope/journal"
)

// MyCapture streams a MariaDB stream's row changes into the journal with
// replication.BinlogSyncer, resuming after the journal's GTID position. The
// binlog has no acknowledgement: the journal's position is where the next
// (re)connection asks the server to start, so a transaction is either in
// the journal whole or read again.
type MyCapture struct {
	DSN      string
	Stream   string
	ServerID uint32 // unique replica id (not the source's own)
	Journal  *journal.Store
	Actor    string
	StepID   string
	// MaxBatch is how many transactions go into one journal commit at most
	// (default 256); FlushEvery how long a received transaction may wait for
	// others (default 20ms).
	MaxBatch   int
	FlushEvery time.Duration
	// Retry is the pause before reconnecting after a dropped connection
	// (default 1s, doubling to 30s while the source stays away). A negative
	// Retry makes a dropped connection end Run with its error.
	Retry time.Duration
	// OnSpooled, if set, is told each journal commit: how many transactions
	// and the position now spooled. OnReconnect, if set, is told each
	// dropped connection before the capture reconnects.
	OnSpooled   func(txs int, position string)
	OnReconnect func(err error)
	// OnStarted, if set, is told each time a connection passed the
	// identity and position checks and the binlog streams; OnCommitted
	// each spooled transaction with its journal seq, after the journal
	// commit that holds it (the stream manager's applier and lag).
	OnStarted   func()
	OnCommitted func(seq int64, tx journal.CDCChangesPayload)

	mu   sync.Mutex
	read MyPoint
}

// ReadPoint is the binlog point up to which every transaction the capture
// has read is in the journal (captured tables' transactions spooled, the
// others passed over), with its commit time; zero before the first. The
// lag sampler measures the source's lag from it (MyLag).
func (c *MyCapture) ReadPoint() MyPoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read
}

func (c *MyCapture) setRead(p MyPoint) {
	if p.File == "" {
		return
	}
	c.mu.Lock()
	c.read = p
	c.mu.Unlock()
}

// myDropped is a lost connection to the source: Run reconnects from the
// journal's position.
type myDropped struct{ err error }

func (e *myDropped) Error() string { return e.err.Error() }
func (e *myDropped) Unwrap() error { return e.err }

// Run captures until ctx ends. On every (re)connection it checks the
// source's identity (server id and GTID domain) against the journal's and
// that the binlog still holds the journal's position (a mismatch, a purged
// binlog, or a server whose binlog ends before the position is a
// *PositionLostError); a captured table whose shape changes is a
// *SchemaChangedError. A dropped connection is retried from the journal's
// position (see Retry). It returns ctx's error when stopped.
func (c *MyCapture) Run(ctx context.Context) error {
	retry := c.Retry
	if retry == 0 {
		retry = time.Second
	}
	wait := retry
	for {
		spooled, err := c.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var dropped *myDropped
		if !errors.As(err, &dropped) || retry < 0 {
			return err
		}
		if spooled > 0 {
			wait = retry
		}
		if c.OnReconnect != nil {
			c.OnReconnect(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// session is one connection's capture, from the journal's position; it
// returns how many transactions it spooled.
func (c *MyCapture) session(ctx context.Context) (int, error) {
	sp, found, err := ReadSpooled(ctx, c.Journal.Path(), c.Stream)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("cdc: stream %s was never started in this journal", c.Stream)
	}
	if sp.Started.Engine != "mysql" {
		return 0, fmt.Errorf("cdc: stream %s captures %s, not mysql", c.Stream, sp.Started.Engine)
	}
	cfg, host, port, err := myDSNParts(c.DSN)
	if err != nil {
		return 0, err
	}
	gset, err := gomysql.ParseMariadbGTIDSet(sp.Resume())
	if err != nil {
		return 0, fmt.Errorf("cdc: stream %s: journal position %q: %w", c.Stream, sp.Resume(), err)
	}
	if err := c.check(ctx, sp); err != nil {
		return 0, err
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: c.ServerID, Flavor: gomysql.MariaDBFlavor, Host: host, Port: port,
		User: cfg.User, Password: cfg.Passwd, UseDecimal: true, ParseTime: false,
		// A dropped connection ends the session: Run reconnects from the
		// journal, never from the syncer's own memory mid-transaction.
		DisableRetrySync: true, Logger: slog.New(slog.DiscardHandler),
		HeartbeatPeriod: 2 * time.Second, ReadTimeout: 20 * time.Second,
		// TIMESTAMP values are instants: their text is UTC (DATETIME, DATE
		// and TIME are the wall-clock text the server stored).
		TimestampStringLocation: time.UTC,
	})
	defer syncer.Close()
	streamer, err := syncer.StartSyncGTID(gset.Clone())
	if err != nil {
		return 0, &myDropped{fmt.Errorf("cdc: stream %s: start binlog at %s: %w", c.Stream, gset, err)}
	}
	if c.OnStarted != nil {
		c.OnStarted()
	}
	s := &mySession{c: c, dec: &myDecoder{stream: c.Stream, schema: cfg.DBName, tables: sp.Started.Tables, pos: gset.(*gomysql.MariadbGTIDSet)}}
	err = s.loop(ctx, streamer)
	if ctx.Err() != nil {
		return s.spooled, ctx.Err()
	}
	var me *gomysql.MyError
	if errors.As(err, &me) && me.Code == 1236 {
		return s.spooled, &PositionLostError{Stream: c.Stream, Evidence: []string{fmt.Sprintf("the source cannot serve the binlog from %s: %s", gset, me.Message)}}
	}
	return s.spooled, err
}

// check compares the source with the journal: the same server and GTID
// domain, and a binlog that still holds the resume position.
func (c *MyCapture) check(ctx context.Context, sp Spooled) error {
	db, err := sql.Open("mysql", c.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	id, err := myIdentity(ctx, db)
	if err != nil {
		if code := myErrorCode(err); code == 1044 || code == 1045 {
			return err // access denied: reconnecting will not help
		}
		return &myDropped{err}
	}
	if id != sp.Started.SystemID {
		return &PositionLostError{Stream: c.Stream, Evidence: []string{fmt.Sprintf("the source is %s, the stream was started on %s", id, sp.Started.SystemID)}}
	}
	h, err := myHeadroom(ctx, db, sp.Resume())
	if err != nil {
		return &myDropped{err}
	}
	if len(h.Lost) > 0 {
		return &PositionLostError{Stream: c.Stream, Evidence: h.Lost}
	}
	return nil
}

// mySession is one connection's event loop with its pending journal batch.
type mySession struct {
	c            *MyCapture
	dec          *myDecoder
	pending      []journal.Draft
	pendingPos   string
	pendingSince time.Time
	spooled      int
}

func (s *mySession) loop(ctx context.Context, streamer *replication.BinlogStreamer) error {
	maxBatch, flushEvery := s.c.MaxBatch, s.c.FlushEvery
	if maxBatch <= 0 {
		maxBatch = 256
	}
	if flushEvery <= 0 {
		flushEvery = 20 * time.Millisecond
	}
	for {
		if len(s.pending) > 0 && (len(s.pending) >= maxBatch || time.Since(s.pendingSince) >= flushEvery) {
			if err := s.flush(ctx); err != nil {
				return err
			}
		}
		ectx, cancel := ctx, context.CancelFunc(func() {})
		if len(s.pending) > 0 {
			ectx, cancel = context.WithDeadline(ctx, s.pendingSince.Add(flushEvery))
		}
		ev, err := streamer.GetEvent(ectx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // what is pending is not journaled: it is read again
			}
			if errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			if len(s.pending) > 0 { // whole transactions: not read again
				if ferr := s.flush(ctx); ferr != nil {
					return ferr // the journal failed: not a reason to reconnect
				}
			}
			var me *gomysql.MyError
			if errors.As(err, &me) {
				return err
			}
			return &myDropped{fmt.Errorf("cdc: stream %s: binlog: %w", s.c.Stream, err)}
		}
		tx, err := s.dec.event(ev)
		if err != nil {
			// The transactions before the one that stops the capture are
			// whole: they are spooled first.
			if len(s.pending) > 0 {
				if ferr := s.flush(ctx); ferr != nil {
					return errors.Join(err, ferr)
				}
			}
			return err
		}
		if tx == nil && len(s.pending) == 0 {
			s.c.setRead(s.dec.last)
		}
		if tx != nil {
			if len(s.pending) == 0 {
				s.pendingSince = time.Now()
			}
			s.pending = append(s.pending, journal.Draft{Actor: s.c.Actor, StepID: s.c.StepID, Type: journal.CDCChanges, Payload: *tx})
			s.pendingPos = tx.Position
		}
	}
}

// flush commits the pending transactions to the journal in one commit.
func (s *mySession) flush(ctx context.Context) error {
	evs, err := s.c.Journal.AppendBatch(ctx, s.pending)
	if err != nil {
		return fmt.Errorf("cdc: stream %s: spool %d transactions: %w", s.c.Stream, len(s.pending), err)
	}
	if s.c.OnCommitted != nil {
		for i, e := range evs {
			if tx, ok := s.pending[i].Payload.(journal.CDCChangesPayload); ok {
				s.c.OnCommitted(e.Seq, tx)
			}
		}
	}
	n := len(s.pending)
	s.spooled += n
	s.pending = s.pending[:0]
	s.c.setRead(s.dec.last)
	if s.c.OnSpooled != nil {
		s.c.OnSpooled(n, s.pendingPos)
	}
	return nil
}

// myDecoder assembles binlog events into source transactions of the
// stream's tables.
type myDecoder struct {
	stream string
	schema string
	tables []string
	pos    *gomysql.MariadbGTIDSet // the last transaction seen, per domain
	gtid   *gomysql.MariadbGTID    // the open transaction's
	open   *journal.CDCChangesPayload
	shapes map[string]string // table -> column names as first seen
	file   string            // the binlog file being read (from rotate events)
	last   MyPoint           // where the last committed transaction ends
}

func (d *myDecoder) event(ev *replication.BinlogEvent) (*journal.CDCChangesPayload, error) {
	// An event between transactions (a rotation's end of file, the next
	// file's description and GTID list, a checkpoint) carries no change:
	// the read point moves past it, so a capture that has read everything
	// stands at the binlog's end (a drain compares the two) even when the
	// last thing written was a rotation.
	if d.open == nil && d.file != "" && ev.Header.LogPos > 0 {
		switch ev.Header.EventType {
		case replication.MARIADB_GTID_EVENT, replication.HEARTBEAT_EVENT, replication.HEARTBEAT_LOG_EVENT_V2:
		default:
			d.last = MyPoint{File: d.file, Pos: int64(ev.Header.LogPos), At: d.last.At}
		}
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		d.file = string(e.NextLogName)
	case *replication.MariadbGTIDEvent:
		g := e.GTID
		d.gtid = &g
		d.open = &journal.CDCChangesPayload{Stream: d.stream, At: time.Unix(int64(ev.Header.Timestamp), 0).UTC(), Changes: []journal.CDCChange{}}
		if e.IsStandalone() || e.IsDDL() {
			// A statement outside a transaction (DDL among them): committed by
			// its own query event.
			d.open.XID = -1
		}
	case *replication.QueryEvent:
		if d.open != nil && d.open.XID == -1 {
			if string(e.Schema) == d.schema || len(e.Schema) == 0 || containsWord(string(e.Query), d.schema) {
				// A DDL in the captured database may reshape a captured table.
				for _, t := range d.tables {
					if containsWord(string(e.Query), t) {
						return nil, &SchemaChangedError{Table: t, Before: "as captured", After: "statement: " + string(e.Query)}
					}
				}
			}
			return d.commit(ev.Header.LogPos)
		}
	case *replication.RowsEvent:
		return nil, d.rows(ev.Header.EventType, e)
	case *replication.XIDEvent:
		return d.commit(ev.Header.LogPos)
	}
	return nil, nil
}

// commit closes the open transaction; it is returned if it changed a
// captured table.
func (d *myDecoder) commit(end uint32) (*journal.CDCChangesPayload, error) {
	if d.open == nil || d.gtid == nil {
		return nil, nil
	}
	tx := d.open
	d.open = nil
	if d.file != "" {
		d.last = MyPoint{File: d.file, Pos: int64(end), At: tx.At}
	}
	if err := d.pos.AddSet(d.gtid); err != nil {
		return nil, err
	}
	d.gtid = nil
	if len(tx.Changes) == 0 {
		return nil, nil
	}
	tx.Position = d.pos.String()
	if d.file != "" {
		tx.Commit = fmt.Sprintf("%s:%d", d.file, end) // where the binlog stands after the transaction
	}
	tx.XID = 0
	return tx, nil
}

func (d *myDecoder) rows(typ replication.EventType, e *replication.RowsEvent) error {
	table := string(e.Table.Table)
	if string(e.Table.Schema) != d.schema || !slices.Contains(d.tables, table) {
		return nil
	}
	if d.open == nil {
		return fmt.Errorf("cdc: binlog: rows of %s outside a transaction", table)
	}
	cols := e.Table.ColumnNameString()
	if len(cols) == 0 {
		return fmt.Errorf("cdc: binlog: table %s has no column names (binlog_row_metadata=FULL is needed)", table)
	}
	if len(e.Table.PrimaryKey) == 0 {
		return fmt.Errorf("cdc: table %s has no primary key: changes are applied by key", table)
	}
	shape := fmt.Sprint(cols, e.Table.ColumnType, e.Table.PrimaryKey)
	if d.shapes == nil {
		d.shapes = map[string]string{}
	}
	if old, ok := d.shapes[table]; ok && old != shape {
		return &SchemaChangedError{Table: table, Before: old, After: shape}
	}
	d.shapes[table] = shape
	keyCols := make([]string, len(e.Table.PrimaryKey))
	for i, k := range e.Table.PrimaryKey {
		keyCols[i] = cols[k]
	}
	unsigned := e.Table.UnsignedMap()
	collations := e.Table.CollationMap()
	binary := myBinaryColumns(e.Table, collations)
	members := myMembersOf(e.Table)
	var binaryNames []string
	for i := range cols {
		if _, ok := binary[i]; ok {
			binaryNames = append(binaryNames, cols[i])
		}
	}
	text := func(row []any) ([]*string, error) {
		out := make([]*string, len(row))
		for i, v := range row {
			if bc, ok := binary[i]; ok {
				s, err := bc.text(v)
				if err != nil {
					return nil, fmt.Errorf("cdc: table %s column %s: %w", table, cols[i], err)
				}
				out[i] = s
				continue
			}
			if m, ok := members[i]; ok {
				s, err := m.text(v)
				if err != nil {
					return nil, fmt.Errorf("cdc: table %s column %s: %w", table, cols[i], err)
				}
				out[i] = s
				continue
			}
			coll, isChar := collations[i]
			if i < len(e.Table.ColumnType) && myTemporal(e.Table.ColumnType[i]) {
				isChar, coll = true, 45 // the server's own text form, ASCII: read as utf8mb4_general_ci
			}
			s, err := myText(v, unsigned[i], isChar, coll)
			if err != nil {
				return nil, fmt.Errorf("cdc: table %s column %s: %w", table, cols[i], err)
			}
			out[i] = s
		}
		return out, nil
	}
	key := func(vals []*string) []*string {
		k := make([]*string, len(e.Table.PrimaryKey))
		for i, idx := range e.Table.PrimaryKey {
			k[i] = vals[idx]
		}
		return k
	}
	switch typ {
	case replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2:
		for _, r := range e.Rows {
			vals, err := text(r)
			if err != nil {
				return err
			}
			d.open.Changes = append(d.open.Changes, journal.CDCChange{Op: "insert", Table: table, Columns: cols, New: vals, KeyColumns: keyCols, Key: key(vals), Binary: binaryNames})
		}
	case replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2:
		for i := 0; i+1 < len(e.Rows); i += 2 {
			before, err := text(e.Rows[i])
			if err != nil {
				return err
			}
			after, err := text(e.Rows[i+1])
			if err != nil {
				return err
			}
			d.open.Changes = append(d.open.Changes, journal.CDCChange{Op: "update", Table: table, Columns: cols, New: after, KeyColumns: keyCols, Key: key(before), Binary: binaryNames})
		}
	case replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2:
		for _, r := range e.Rows {
			vals, err := text(r)
			if err != nil {
				return err
			}
			d.open.Changes = append(d.open.Changes, journal.CDCChange{Op: "delete", Table: table, KeyColumns: keyCols, Key: key(vals), Binary: binaryNames})
		}
	default:
		return fmt.Errorf("cdc: binlog: rows event %s on %s not handled", typ, table)
	}
	return nil
}

// myText is a binlog value's text form (nil for NULL); a character
// column's bytes are decoded from its charset (collation id). Binary
// strings and bits are myBinCol's.
func myText(v any, unsigned, isChar bool, collation uint64) (*string, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int8:
		s = myInt(int64(x), unsigned, 8)
	case int16:
		s = myInt(int64(x), unsigned, 16)
	case int32:
		s = myInt(int64(x), unsigned, 32)
	case int64:
		s = myInt(x, unsigned, 64)
	case int: // YEAR
		s = strconv.Itoa(x)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		if !isChar {
			return nil, errors.New("binary values are not captured yet")
		}
		var err error
		if s, err = myDecode([]byte(x), collation); err != nil {
			return nil, err
		}
	case []byte:
		if !isChar {
			return nil, errors.New("binary values are not captured yet")
		}
		var err error
		if s, err = myDecode(x, collation); err != nil {
			return nil, err
		}
	case fmt.Stringer: // decimal.Decimal
		s = x.String()
	default:
		return nil, fmt.Errorf("value of type %T not captured yet", v)
	}
	return &s, nil
}

// myTemporal: a DATETIME, TIMESTAMP, DATE, TIME or YEAR column, whose
// values the binlog parser hands over as text ("2026-01-02 03:04:05.5").
func myTemporal(t byte) bool {
	switch t {
	case gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIMESTAMP2,
		gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE, gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2, gomysql.MYSQL_TYPE_YEAR:
		return true
	}
	return false
}

// myDecode turns a character column's bytes into text: UTF-8 as is
// (checked), latin1 (MariaDB's is Windows-1252, see myLatin1) decoded;
// other charsets are refused rather than guessed. Binary strings never
// come here (myBinaryColumns).
func myDecode(b []byte, collation uint64) (string, error) {
	c, err := charset.GetCollationByID(int(collation))
	if err != nil {
		return "", fmt.Errorf("collation id %d: %w", collation, err)
	}
	switch c.CharsetName {
	case "utf8mb4", "utf8", "utf8mb3", "ascii":
		if !utf8.Valid(b) {
			return "", fmt.Errorf("%s value is not valid UTF-8", c.CharsetName)
		}
		return string(b), nil
	case "latin1":
		return myLatin1(b), nil
	}
	return "", fmt.Errorf("charset %s is not captured yet", c.CharsetName)
}

// myInt undoes the binlog's signed reading of an unsigned column.
func myInt(v int64, unsigned bool, bits uint) string {
	if unsigned && v < 0 {
		return strconv.FormatUint(uint64(v)&(1<<bits-1), 10)
	}
	return strconv.FormatInt(v, 10)
}

// containsWord reports whether s mentions name as an identifier.
func containsWord(s, name string) bool {
	isIdent := func(b byte) bool {
		return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	for i := 0; i+len(name) <= len(s); i++ {
		if !equalFoldASCII(s[i:i+len(name)], name) {
			continue
		}
		if (i == 0 || !isIdent(s[i-1])) && (i+len(name) == len(s) || !isIdent(s[i+len(name)])) {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}
