package cdc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pglogrepl"
	"github.com/tightrope/tightrope/journal"
)

// pgDecoder turns pgoutput (protocol 1) messages into whole source
// transactions. It keeps the relations announced on this connection and
// drops transactions that end at or before skipThrough (already spooled).
// shapes holds the relation shapes by table across the connections of one
// capture: a table altered while the connection was down arrives on the
// new connection as its first relation message, and must still be caught.
type pgDecoder struct {
	stream      string
	relations   map[uint32]*pglogrepl.RelationMessage
	shapes      map[string]string
	spooled     map[string][]string // the journal's column names by table (Spooled.Columns)
	open        *journal.CDCChangesPayload
	skipThrough pglogrepl.LSN
}

func newPGDecoder(stream string, skipThrough pglogrepl.LSN, shapes map[string]string) *pgDecoder {
	if shapes == nil {
		shapes = map[string]string{}
	}
	return &pgDecoder{stream: stream, relations: map[uint32]*pglogrepl.RelationMessage{}, shapes: shapes, skipThrough: skipThrough}
}

// decode takes one pgoutput message and returns a transaction when the
// message is its commit (nil otherwise).
func (d *pgDecoder) decode(data []byte) (*journal.CDCChangesPayload, error) {
	msg, err := pglogrepl.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("cdc: decode pgoutput: %w", err)
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		name, shape := relationName(m), relationShape(m)
		if old, ok := d.relations[m.RelationID]; ok && relationShape(old) != shape {
			return nil, pgSchemaChanged(name, relationShape(old), shape)
		}
		if old, ok := d.shapes[name]; ok && old != shape {
			return nil, pgSchemaChanged(name, old, shape)
		}
		if cols, ok := d.spooled[name]; ok && d.shapes[name] == "" && !slices.Equal(cols, relationColumns(m)) {
			return nil, pgSchemaChanged(name, "columns "+strings.Join(cols, ", ")+" (the last row spooled)", shape)
		}
		d.relations[m.RelationID] = m
		d.shapes[name] = shape
	case *pglogrepl.BeginMessage:
		if d.open != nil {
			return nil, errors.New("cdc: pgoutput: begin inside an open transaction")
		}
		d.open = &journal.CDCChangesPayload{Stream: d.stream, XID: int64(m.Xid), At: m.CommitTime.UTC(), Changes: []journal.CDCChange{}}
	case *pglogrepl.CommitMessage:
		if d.open == nil {
			return nil, errors.New("cdc: pgoutput: commit without a transaction")
		}
		tx := d.open
		d.open = nil
		tx.Commit = m.CommitLSN.String()
		tx.Position = m.TransactionEndLSN.String()
		if m.TransactionEndLSN <= d.skipThrough || len(tx.Changes) == 0 {
			return nil, nil
		}
		return tx, nil
	case *pglogrepl.InsertMessage:
		return nil, d.add(m.RelationID, "insert", nil, m.Tuple)
	case *pglogrepl.UpdateMessage:
		return nil, d.add(m.RelationID, "update", m.OldTuple, m.NewTuple)
	case *pglogrepl.DeleteMessage:
		return nil, d.add(m.RelationID, "delete", m.OldTuple, nil)
	case *pglogrepl.TruncateMessage:
		return nil, errors.New("cdc: a TRUNCATE on the source: not applied blindly (re-snapshot the table)")
	}
	return nil, nil // type, origin, logical messages: nothing to apply
}

// add appends one row change to the open transaction.
func (d *pgDecoder) add(relID uint32, op string, old, new *pglogrepl.TupleData) error {
	if d.open == nil {
		return fmt.Errorf("cdc: pgoutput: %s outside a transaction", op)
	}
	rel, ok := d.relations[relID]
	if !ok {
		return fmt.Errorf("cdc: pgoutput: %s on relation %d, never announced", op, relID)
	}
	if rel.ReplicaIdentity != 'd' && rel.ReplicaIdentity != 'i' {
		return fmt.Errorf("cdc: table %s: replica identity %q; changes are applied by key, so it needs a primary key (REPLICA IDENTITY DEFAULT) or a unique index (USING INDEX)", relationName(rel), rel.ReplicaIdentity)
	}
	c := journal.CDCChange{Op: op, Table: relationName(rel)}
	var keyIdx []int
	for i, col := range rel.Columns {
		if col.Flags&1 != 0 {
			keyIdx = append(keyIdx, i)
			c.KeyColumns = append(c.KeyColumns, col.Name)
		}
		if col.DataType == pgByteaOID {
			c.Binary = append(c.Binary, col.Name) // sent as \x hex (bytea_output, pgSessionParams)
		}
	}
	if len(keyIdx) == 0 {
		return fmt.Errorf("cdc: table %s has no replica identity key: changes are applied by key", c.Table)
	}
	if new != nil {
		if len(new.Columns) != len(rel.Columns) {
			return fmt.Errorf("cdc: table %s: %d values for %d columns", c.Table, len(new.Columns), len(rel.Columns))
		}
		for i, col := range new.Columns {
			name := rel.Columns[i].Name
			switch col.DataType {
			case pglogrepl.TupleDataTypeToast:
				c.Unchanged = append(c.Unchanged, name)
			case pglogrepl.TupleDataTypeNull:
				c.Columns, c.New = append(c.Columns, name), append(c.New, nil)
			case pglogrepl.TupleDataTypeText:
				v, err := pgText(c.Table, name, col.Data)
				if err != nil {
					return err
				}
				c.Columns, c.New = append(c.Columns, name), append(c.New, &v)
			default:
				return fmt.Errorf("cdc: table %s column %s: tuple format %q", c.Table, name, col.DataType)
			}
		}
	}
	keyFrom := old
	if keyFrom == nil {
		keyFrom = new // an update that kept its key, or an insert
	}
	if keyFrom == nil || len(keyFrom.Columns) != len(rel.Columns) {
		return fmt.Errorf("cdc: table %s: %s without its key", c.Table, op)
	}
	for _, i := range keyIdx {
		col := keyFrom.Columns[i]
		if col.DataType != pglogrepl.TupleDataTypeText {
			return fmt.Errorf("cdc: table %s: key column %s is not sent as text", c.Table, rel.Columns[i].Name)
		}
		v, err := pgText(c.Table, rel.Columns[i].Name, col.Data)
		if err != nil {
			return err
		}
		c.Key = append(c.Key, &v)
	}
	d.open.Changes = append(d.open.Changes, c)
	return nil
}

// pgByteaOID is bytea's type OID: its values are journaled as binary.
const pgByteaOID = 17

// pgText is a value's text as the session sent it, which must be UTF-8
// (client_encoding): a database whose encoding is SQL_ASCII stores bytes
// the server converts unchecked, and the journal cannot hold them as text
// (JSON would replace them), so such a value stops the capture.
func pgText(table, column string, b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", fmt.Errorf("cdc: table %s column %s: the value is not valid UTF-8 (%s): refused rather than journaled altered (is the database's encoding SQL_ASCII?)", table, column, safeHex(b))
	}
	return string(b), nil
}

// safeHex shows up to 16 bytes of a value in hex for an error.
func safeHex(b []byte) string {
	if len(b) > 16 {
		return "x'" + hex.EncodeToString(b[:16]) + "…'"
	}
	return "x'" + hex.EncodeToString(b) + "'"
}

// relationName is schema.table, or table alone in public.
func relationName(r *pglogrepl.RelationMessage) string {
	if r.Namespace == "public" || r.Namespace == "" {
		return r.RelationName
	}
	return r.Namespace + "." + r.RelationName
}

// relationColumns is the relation's column names, sorted.
func relationColumns(r *pglogrepl.RelationMessage) []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = c.Name
	}
	slices.Sort(out)
	return out
}

// relationShape describes a relation's columns for comparison and evidence.
func relationShape(r *pglogrepl.RelationMessage) string {
	parts := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		parts[i] = fmt.Sprintf("%s oid%d/%d", c.Name, c.DataType, c.TypeModifier)
		if c.Flags&1 != 0 {
			parts[i] += " key"
		}
	}
	return fmt.Sprintf("identity %c: %s", r.ReplicaIdentity, strings.Join(parts, ", "))
}
