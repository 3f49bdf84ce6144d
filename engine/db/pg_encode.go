package db

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// pgWire is how a column's values are written in COPY's binary format.
type pgWire uint8

// The wire forms with an encoder of their own; pgWireOther goes through a
// pgx encode plan.
const (
	pgWireOther pgWire = iota
	pgWireInt2
	pgWireInt4
	pgWireInt8
	pgWireFloat4
	pgWireFloat8
	pgWireBool
	pgWireText // text, varchar, bpchar, name: the UTF-8 bytes
	pgWireNumeric
	pgWireDate
	pgWireTimestamp
	pgWireTimestampTZ
	pgWireBytea
	pgWireJSON
	pgWireJSONB
	pgWireUUID
)

// pgWireByOID maps the built-in types with an encoder of their own.
var pgWireByOID = map[uint32]pgWire{
	pgtype.Int2OID: pgWireInt2, pgtype.Int4OID: pgWireInt4, pgtype.Int8OID: pgWireInt8,
	pgtype.Float4OID: pgWireFloat4, pgtype.Float8OID: pgWireFloat8, pgtype.BoolOID: pgWireBool,
	pgtype.TextOID: pgWireText, pgtype.VarcharOID: pgWireText, pgtype.BPCharOID: pgWireText, pgtype.NameOID: pgWireText,
	pgtype.NumericOID: pgWireNumeric, pgtype.DateOID: pgWireDate,
	pgtype.TimestampOID: pgWireTimestamp, pgtype.TimestamptzOID: pgWireTimestampTZ,
	pgtype.ByteaOID: pgWireBytea, pgtype.JSONOID: pgWireJSON, pgtype.JSONBOID: pgWireJSONB, pgtype.UUIDOID: pgWireUUID,
}

// pgColumnEncoder writes the values of one column of a COPY. Values of the
// Go type package convert produces for the column's type take the
// column's own encoder; anything else (and every type without one) is
// encoded as pgx.CopyFrom would, through a pgx encode plan looked up once
// per column and Go type.
type pgColumnEncoder struct {
	wire     pgWire
	oid      uint32
	m        *pgtype.Map
	planType reflect.Type
	plan     pgtype.EncodePlan
}

// pgEncoders chooses one encoder per column from its type OID.
func pgEncoders(m *pgtype.Map, oids []uint32) []pgColumnEncoder {
	out := make([]pgColumnEncoder, len(oids))
	for i, oid := range oids {
		out[i] = pgColumnEncoder{wire: pgWireByOID[oid], oid: oid, m: m}
	}
	return out
}

// y2kUnix is 2000-01-01 00:00:00 UTC, PostgreSQL's epoch, in Unix seconds.
const y2kUnix = 946684800

// encode appends v as one field: its length (-1 for NULL) and its bytes.
func (c *pgColumnEncoder) encode(b []byte, v any) ([]byte, error) {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, math.MaxUint32), nil
	}
	switch c.wire {
	case pgWireInt2, pgWireInt4, pgWireInt8:
		if x, ok := v.(int64); ok {
			return appendPgInt(b, c.wire, x)
		}
	case pgWireFloat8:
		if x, ok := v.(float64); ok {
			b = binary.BigEndian.AppendUint32(b, 8)
			return binary.BigEndian.AppendUint64(b, math.Float64bits(x)), nil
		}
	case pgWireFloat4:
		if x, ok := v.(float64); ok {
			b = binary.BigEndian.AppendUint32(b, 4)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(x))), nil
		}
	case pgWireBool:
		if x, ok := v.(bool); ok {
			b = binary.BigEndian.AppendUint32(b, 1)
			if x {
				return append(b, 1), nil
			}
			return append(b, 0), nil
		}
	case pgWireText, pgWireJSON:
		if x, ok := v.(string); ok {
			b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
			return append(b, x...), nil
		}
	case pgWireJSONB:
		if x, ok := v.(string); ok {
			b = binary.BigEndian.AppendUint32(b, uint32(len(x)+1))
			b = append(b, 1) // jsonb's binary format version
			return append(b, x...), nil
		}
	case pgWireBytea:
		if x, ok := v.([]byte); ok {
			b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
			return append(b, x...), nil
		}
	case pgWireNumeric:
		if x, ok := v.(string); ok {
			if out, ok := appendPgNumeric(b, x); ok {
				return out, nil
			}
			if out, ok := appendPgNumericNonFinite(b, x); ok {
				return out, nil
			}
		}
	case pgWireTimestamp, pgWireTimestampTZ, pgWireDate: // as text, their infinities only
		if x, ok := v.(string); ok {
			if out, ok := appendPgInfinity(b, c.wire, x); ok {
				return out, nil
			}
		}
	}
	switch c.wire {
	case pgWireTimestamp:
		if x, ok := v.(time.Time); ok {
			if x.Location() != time.UTC { // the wall clock, as pgx does
				x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
			}
			return appendPgMicros(b, x), nil
		}
	case pgWireTimestampTZ:
		if x, ok := v.(time.Time); ok {
			return appendPgMicros(b, x), nil
		}
	case pgWireDate:
		if x, ok := v.(time.Time); ok {
			days := (time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC).Unix() - y2kUnix) / 86400
			if days >= math.MinInt32 && days <= math.MaxInt32 {
				b = binary.BigEndian.AppendUint32(b, 4)
				return binary.BigEndian.AppendUint32(b, uint32(int32(days))), nil
			}
		}
	case pgWireUUID:
		if x, ok := v.(string); ok {
			if out, ok := appendPgUUID(b, x); ok {
				return out, nil
			}
		}
	}
	return c.generic(b, v)
}

// appendPgInt appends an int2, int4 or int8, refusing a value out of the
// column's range as pgx does.
func appendPgInt(b []byte, w pgWire, x int64) ([]byte, error) {
	switch w {
	case pgWireInt2:
		if x < math.MinInt16 || x > math.MaxInt16 {
			return nil, fmt.Errorf("%d is out of the range of smallint", x)
		}
		b = binary.BigEndian.AppendUint32(b, 2)
		return binary.BigEndian.AppendUint16(b, uint16(x)), nil
	case pgWireInt4:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, fmt.Errorf("%d is out of the range of integer", x)
		}
		b = binary.BigEndian.AppendUint32(b, 4)
		return binary.BigEndian.AppendUint32(b, uint32(x)), nil
	}
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(x)), nil
}

// appendPgMicros appends a timestamp: microseconds since 2000-01-01 UTC
// (the instant of t; sub-microsecond digits are dropped as pgx drops them,
// and package convert has already refused values that have any).
func appendPgMicros(b []byte, t time.Time) []byte {
	us := (t.Unix()-y2kUnix)*1_000_000 + int64(t.Nanosecond())/1000
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(us))
}

// appendPgUUID appends the 16 bytes of a UUID in its canonical text form
// (8-4-4-4-12 hex digits); ok is false for any other form.
func appendPgUUID(b []byte, s string) ([]byte, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	out := binary.BigEndian.AppendUint32(b, 16)
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, lo := unhex(s[i]), unhex(s[i+1])
		if hi > 15 || lo > 15 {
			return b, false
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return out, true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// errNoPlan is a value pgx has no binary encoding for.
var errNoPlan = errors.New("cannot find encode plan")

// generic encodes v as pgx.CopyFrom does: with the pgx encode plan for the
// column's type and v's Go type (cached for the column), and, when that
// fails, by reading v's text with the type's text decoder and encoding
// the result.
func (c *pgColumnEncoder) generic(b []byte, v any) ([]byte, error) {
	sp := len(b)
	b = binary.BigEndian.AppendUint32(b, math.MaxUint32)
	if rt := reflect.TypeOf(v); rt != c.planType || c.plan == nil {
		c.planType, c.plan = rt, c.m.PlanEncode(c.oid, pgtype.BinaryFormatCode, v)
	}
	var out []byte
	err := errNoPlan
	if c.plan != nil {
		out, err = c.plan.Encode(v, b)
	}
	if err != nil {
		var err2 error
		if out, err2 = pgScanTextThenEncode(c.m, b, c.oid, v); err2 != nil {
			return nil, fmt.Errorf("cannot encode %T as type OID %d: %w", v, c.oid, err)
		}
	}
	if out == nil { // the plan wrote NULL
		return b, nil
	}
	binary.BigEndian.PutUint32(out[sp:], uint32(len(out)-sp-4))
	return out, nil
}

// pgScanTextThenEncode is pgx.CopyFrom's fallback for a value its plan
// cannot encode: the value's text (a string as it is) is read by the
// column type's text decoder (arrays into pgtype.Array) and the result
// encoded in binary.
func pgScanTextThenEncode(m *pgtype.Map, b []byte, oid uint32, v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		text, err := m.Encode(oid, pgtype.TextFormatCode, v, nil)
		if err != nil {
			return nil, errors.New("not a string and cannot be encoded as text")
		}
		s = string(text)
	}
	if typ, ok := m.TypeForOID(oid); ok {
		if _, ok := typ.Codec.(*pgtype.ArrayCodec); ok {
			var arr pgtype.Array[any]
			if err := m.Scan(oid, pgtype.TextFormatCode, []byte(s), &arr); err == nil {
				return m.Encode(oid, pgtype.BinaryFormatCode, arr, b)
			}
		}
	}
	var x any
	if err := m.Scan(oid, pgtype.TextFormatCode, []byte(s), &x); err != nil {
		return nil, err
	}
	return m.Encode(oid, pgtype.BinaryFormatCode, x, b)
}

// appendPgNumericNonFinite appends numeric NaN, Infinity or -Infinity
// (the canonical spellings package convert produces): no digits, the
// special value in the sign field.
func appendPgNumericNonFinite(b []byte, s string) ([]byte, bool) {
	var sign uint16
	switch s {
	case "NaN":
		sign = 0xC000
	case "Infinity":
		sign = 0xD000
	case "-Infinity":
		sign = 0xF000
	default:
		return b, false
	}
	b = binary.BigEndian.AppendUint32(b, 8)
	b = binary.BigEndian.AppendUint32(b, 0) // ndigits, weight
	b = binary.BigEndian.AppendUint16(b, sign)
	return binary.BigEndian.AppendUint16(b, 0), true // dscale
}

// appendPgInfinity appends a date's or timestamp's infinity or -infinity
// (the spellings package convert produces): the largest or smallest value
// of its binary form, as PostgreSQL stores them.
func appendPgInfinity(b []byte, w pgWire, s string) ([]byte, bool) {
	if s != "infinity" && s != "-infinity" {
		return b, false
	}
	neg := s[0] == '-'
	if w == pgWireDate {
		v := uint32(math.MaxInt32)
		if neg {
			v = 1 << 31 // math.MinInt32
		}
		b = binary.BigEndian.AppendUint32(b, 4)
		return binary.BigEndian.AppendUint32(b, v), true
	}
	v := uint64(math.MaxInt64)
	if neg {
		v = 1 << 63 // math.MinInt64
	}
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, v), true
}
