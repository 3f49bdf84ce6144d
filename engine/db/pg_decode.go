package db

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// pgDecoder turns the raw values of one result column into what
// ReadBatch promises, chosen once per query from the column's type and
// format. The common forms are decoded here; anything unusual (an
// infinity, a value out of pgx's range, a type without a decoder of its
// own) goes to pgValue, so the values are exactly pgValue's.
type pgDecoder struct {
	wire pgWire // pgWireText: the text as a string; pgWireOther: pgValue
	fd   pgconn.FieldDescription
	m    *pgtype.Map
}

// pgDecoders chooses the decoders of a result's columns.
func pgDecoders(m *pgtype.Map, fds []pgconn.FieldDescription) []pgDecoder {
	out := make([]pgDecoder, len(fds))
	for i, fd := range fds {
		w := pgWireOther
		_, binary := pgResultFormats[fd.DataTypeOID]
		switch {
		case !binary && fd.Format == pgx.TextFormatCode:
			w = pgWireText
		case binary && fd.Format == pgx.BinaryFormatCode:
			switch wb := pgWireByOID[fd.DataTypeOID]; wb {
			case pgWireInt2, pgWireInt4, pgWireInt8, pgWireFloat4, pgWireFloat8, pgWireBool, pgWireBytea,
				pgWireDate, pgWireTimestamp, pgWireTimestampTZ:
				w = wb
			}
		}
		out[i] = pgDecoder{wire: w, fd: fd, m: m}
	}
	return out
}

// Bounds of the times pgx decodes (its minDateTime, endDate and
// endTimestamp), in Unix seconds.
var (
	pgMinUnix          = time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC).Unix()
	pgEndTimestampUnix = time.Date(294277, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	pgEndDateUnix      = time.Date(5874898, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// decode decodes one raw value; text and bytes are copied into m.
func (d *pgDecoder) decode(raw []byte, m *batchMem) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch d.wire {
	case pgWireText:
		return m.text(raw), nil
	case pgWireBytea:
		return m.arena.bytes(raw), nil
	case pgWireInt2:
		if len(raw) == 2 {
			return m.box.int64(int64(int16(binary.BigEndian.Uint16(raw)))), nil
		}
	case pgWireInt4:
		if len(raw) == 4 {
			return m.box.int64(int64(int32(binary.BigEndian.Uint32(raw)))), nil
		}
	case pgWireInt8:
		if len(raw) == 8 {
			return m.box.int64(int64(binary.BigEndian.Uint64(raw))), nil
		}
	case pgWireFloat4:
		if len(raw) == 4 {
			return math.Float32frombits(binary.BigEndian.Uint32(raw)), nil
		}
	case pgWireFloat8:
		if len(raw) == 8 {
			return m.box.float64(math.Float64frombits(binary.BigEndian.Uint64(raw))), nil
		}
	case pgWireBool:
		if len(raw) == 1 {
			return raw[0] == 1, nil
		}
	case pgWireTimestamp, pgWireTimestampTZ:
		if len(raw) == 8 {
			us := int64(binary.BigEndian.Uint64(raw))
			if us != math.MaxInt64 && us != math.MinInt64 {
				t := time.Unix(y2kUnix+us/1_000_000, us%1_000_000*1_000).UTC()
				if s := t.Unix(); s >= pgMinUnix && s < pgEndTimestampUnix {
					return m.box.time(t), nil
				}
			}
		}
	case pgWireDate:
		if len(raw) == 4 {
			days := int32(binary.BigEndian.Uint32(raw))
			if days != math.MaxInt32 && days != math.MinInt32 {
				t := time.Date(2000, 1, int(1+days), 0, 0, 0, 0, time.UTC)
				if s := t.Unix(); s >= pgMinUnix && s < pgEndDateUnix {
					return m.box.time(t), nil
				}
			}
		}
	}
	return pgValue(d.m, d.fd, raw)
}
