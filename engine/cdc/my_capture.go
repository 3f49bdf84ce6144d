package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"unicode/utf8"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/tightrope/tightrope/journal"
	"golang.org/x/text/encoding/charmap"
)

// MyCapture streams a MariaDB stream's row changes into the journal with
// replication.BinlogSyncer, resuming after the journal's GTID position. The
// binlog has no acknowledgement: the journal's position is where the next
// run asks the server to start.
type MyCapture struct {
	DSN      string
	Stream   string
	ServerID uint32 // unique replica id (not the source's own)
	Journal  *journal.Store
	Actor    string
	StepID   string
}

// Run checks the source's identity against the journal's (a mismatch, or a
// position the binlog no longer holds, is a *PositionLostError) and captures
// until ctx ends. It returns ctx's error when stopped.
func (c *MyCapture) Run(ctx context.Context) error {
	sp, found, err := ReadSpooled(ctx, c.Journal.Path(), c.Stream)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("cdc: stream %s was never started in this journal", c.Stream)
	}
	if sp.Started.Engine != "mysql" {
		return fmt.Errorf("cdc: stream %s captures %s, not mysql", c.Stream, sp.Started.Engine)
	}
	cfg, host, port, err := myDSNParts(c.DSN)
	if err != nil {
		return err
	}
	db, err := sql.Open("mysql", c.DSN)
	if err != nil {
		return err
	}
	id, err := myIdentity(ctx, db)
	db.Close()
	if err != nil {
		return err
	}
	if id != sp.Started.SystemID {
		return &PositionLostError{Stream: c.Stream, Evidence: []string{fmt.Sprintf("the source is %s, the stream was started on %s", id, sp.Started.SystemID)}}
	}
	gset, err := gomysql.ParseMariadbGTIDSet(sp.Resume())
	if err != nil {
		return fmt.Errorf("cdc: stream %s: journal position %q: %w", c.Stream, sp.Resume(), err)
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: c.ServerID, Flavor: gomysql.MariaDBFlavor, Host: host, Port: port,
		User: cfg.User, Password: cfg.Passwd, UseDecimal: true, ParseTime: false,
		// A dropped connection ends Run: the caller restarts it from the
		// journal, never from the syncer's own memory mid-transaction.
		DisableRetrySync: true, Logger: slog.New(slog.DiscardHandler),
	})
	defer syncer.Close()
	streamer, err := syncer.StartSyncGTID(gset.Clone())
	if err != nil {
		return fmt.Errorf("cdc: stream %s: start binlog at %s: %w", c.Stream, gset, err)
	}
	d := &myDecoder{stream: c.Stream, schema: cfg.DBName, tables: sp.Started.Tables, pos: gset.(*gomysql.MariadbGTIDSet)}
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var me *gomysql.MyError
			if errors.As(err, &me) && me.Code == 1236 {
				return &PositionLostError{Stream: c.Stream, Evidence: []string{fmt.Sprintf("the source cannot serve the binlog from %s: %s", gset, me.Message)}}
			}
			return fmt.Errorf("cdc: stream %s: binlog: %w", c.Stream, err)
		}
		tx, err := d.event(ev)
		if err != nil {
			return err
		}
		if tx != nil {
			if _, err := c.Journal.Append(ctx, c.Actor, c.StepID, journal.CDCChanges, *tx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("cdc: stream %s: spool: %w", c.Stream, err)
			}
		}
	}
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
}

func (d *myDecoder) event(ev *replication.BinlogEvent) (*journal.CDCChangesPayload, error) {
	switch e := ev.Event.(type) {
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
			if string(e.Schema) == d.schema || len(e.Schema) == 0 {
				// A DDL in the captured database may reshape a captured table.
				for _, t := range d.tables {
					if containsWord(string(e.Query), t) {
						return nil, &SchemaChangedError{Table: t, Before: "as captured", After: "statement: " + string(e.Query)}
					}
				}
			}
			return d.commit()
		}
	case *replication.RowsEvent:
		return nil, d.rows(ev.Header.EventType, e)
	case *replication.XIDEvent:
		return d.commit()
	}
	return nil, nil
}

// commit closes the open transaction; it is returned if it changed a
// captured table.
func (d *myDecoder) commit() (*journal.CDCChangesPayload, error) {
	if d.open == nil || d.gtid == nil {
		return nil, nil
	}
	tx := d.open
	d.open = nil
	if err := d.pos.AddSet(d.gtid); err != nil {
		return nil, err
	}
	d.gtid = nil
	if len(tx.Changes) == 0 {
		return nil, nil
	}
	tx.Position = d.pos.String()
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
	text := func(row []any) ([]*string, error) {
		out := make([]*string, len(row))
		for i, v := range row {
			coll, isChar := collations[i]
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
			d.open.Changes = append(d.open.Changes, journal.CDCChange{Op: "insert", Table: table, Columns: cols, New: vals, KeyColumns: keyCols, Key: key(vals)})
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
			d.open.Changes = append(d.open.Changes, journal.CDCChange{Op: "update", Table: table, Columns: cols, New: after, KeyColumns: keyCols, Key: key(before)})
		}
	case replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2:
		for _, r := range e.Rows {
			vals, err := text(r)
			if err != nil {
				return err
			}
			d.open.Changes = append(d.open.Changes, journal.CDCChange{Op: "delete", Table: table, KeyColumns: keyCols, Key: key(vals)})
		}
	default:
		return fmt.Errorf("cdc: binlog: rows event %s on %s not handled", typ, table)
	}
	return nil
}

// myText is a binlog value's text form (nil for NULL); a character
// column's bytes are decoded from its charset (collation id). Binary strings
// are not captured yet.
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

// myDecode turns a character column's bytes into text: UTF-8 as is
// (checked), latin1 (MySQL's is Windows-1252) decoded; other charsets are
// refused rather than guessed.
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
		out, err := charmap.Windows1252.NewDecoder().Bytes(b)
		return string(out), err
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
