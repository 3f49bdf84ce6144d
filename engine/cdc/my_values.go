package cdc

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"golang.org/x/text/encoding/charmap"
)

// myBinaryCharset is the collation id of MariaDB's binary character set:
// BINARY, VARBINARY and the BLOBs carry it.
const myBinaryCharset = 63

// myBinCol is a column of a table map whose values are bytes: a binary
// string, or a BIT(bits). pad is the length of a BINARY(n): the binlog
// drops its trailing zero bytes, which the server stores and reads back.
type myBinCol struct {
	bits int
	pad  int
}

// myBinaryColumns finds a table map's byte columns: those in the binary
// character set, and BIT (the parser hands its value over as a number).
func myBinaryColumns(tm *replication.TableMapEvent, collations map[int]uint64) map[int]myBinCol {
	out := map[int]myBinCol{}
	for i, typ := range tm.ColumnType {
		meta := uint16(0)
		if i < len(tm.ColumnMeta) {
			meta = tm.ColumnMeta[i]
		}
		switch {
		case typ == gomysql.MYSQL_TYPE_BIT:
			out[i] = myBinCol{bits: int(meta>>8)*8 + int(meta&0xFF)}
		case collations[i] == myBinaryCharset:
			c := myBinCol{}
			if typ == gomysql.MYSQL_TYPE_STRING {
				c.pad = myFixedLength(meta)
			}
			out[i] = c
		}
	}
	return out
}

// myFixedLength is the byte length of a CHAR/BINARY column from its table
// map metadata (as the binlog parser reads it).
func myFixedLength(meta uint16) int {
	if meta < 256 {
		return int(meta)
	}
	b0, b1 := uint8(meta>>8), uint8(meta&0xFF)
	if b0&0x30 != 0x30 {
		return int(uint16(b1) | uint16((b0&0x30)^0x30)<<4)
	}
	return int(b1)
}

// text is a byte column's value as the journal holds bytes: \x and hex;
// a BINARY(n) padded with zero bytes to n, a BIT(n) as its (n+7)/8
// big-endian bytes — the value a read of the column returns, which is
// what the bulk copy reads.
func (c myBinCol) text(v any) (*string, error) {
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case int64:
		if c.bits == 0 {
			return nil, fmt.Errorf("a number (%d) in a binary column", x)
		}
		b = make([]byte, (c.bits+7)/8)
		for i := range b {
			b[len(b)-1-i] = byte(uint64(x) >> (8 * i))
		}
	default:
		return nil, fmt.Errorf("value of type %T in a binary column not captured", v)
	}
	if len(b) < c.pad {
		b = append(b[:len(b):len(b)], make([]byte, c.pad-len(b))...)
	}
	s := `\x` + hex.EncodeToString(b)
	return &s, nil
}

// myLatin1 decodes MariaDB's latin1, which is Windows-1252 with the five
// bytes that code page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
// read as the C1 controls U+0081… — as the server itself converts them.
func myLatin1(b []byte) string {
	var out strings.Builder
	out.Grow(len(b) + len(b)/2)
	for _, c := range b {
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		out.WriteRune(r)
	}
	return out.String()
}

// myMembers is an ENUM or SET column: the binlog holds an ENUM's value as
// its 1-based index (0: the empty error value) and a SET's as a bit mask,
// which must be journaled as the member text a read of the column returns.
type myMembers struct {
	set       bool
	names     []string // decoded from the column's charset
	collation uint64
}

// myMembersOf finds a table map's ENUM and SET columns with their member
// names (binlog_row_metadata=FULL sends them).
func myMembersOf(tm *replication.TableMapEvent) map[int]myMembers {
	out := map[int]myMembers{}
	coll := tm.EnumSetCollationMap()
	for i, names := range tm.EnumStrValueMap() {
		out[i] = myMembers{names: names, collation: coll[i]}
	}
	for i, names := range tm.SetStrValueMap() {
		out[i] = myMembers{set: true, names: names, collation: coll[i]}
	}
	return out
}

// text is the member text of an ENUM index or a SET mask.
func (m myMembers) text(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	n, ok := v.(int64)
	if !ok {
		return nil, fmt.Errorf("an ENUM/SET value of type %T", v)
	}
	member := func(i int) (string, error) {
		if i < 0 || i >= len(m.names) {
			return "", fmt.Errorf("ENUM/SET value %d beyond the column's %d members", n, len(m.names))
		}
		return myDecode([]byte(m.names[i]), m.collation)
	}
	if !m.set {
		if n == 0 {
			s := "" // the empty error value a non-strict server stores
			return &s, nil
		}
		s, err := member(int(n) - 1)
		return &s, err
	}
	var parts []string
	for bit := 0; bit < 64; bit++ {
		if uint64(n)&(1<<bit) == 0 {
			continue
		}
		p, err := member(bit)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	s := strings.Join(parts, ",")
	return &s, nil
}
