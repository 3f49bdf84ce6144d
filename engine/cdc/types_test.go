package cdc

import (
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/tightrope/tightrope/engine/db"
)

// The same value copied and streamed lands identically in the target, or
// both refuse it: booleans, bits, binary strings (zero bytes, 0xFF,
// invalid UTF-8, BINARY(n)'s zero padding, empty), text in latin1 and
// utf8mb3 columns and in LATIN1 PostgreSQL databases, NULL against empty.
// Each case is one row; the values that land travel in one source
// transaction, each refused one in its own.

// myTypeCols are the MariaDB source columns.
const myTypeCols = `b1 tinyint(1), bit1 bit(1), bit12 bit(12), bin4 binary(4), vb varbinary(16), bl blob,
	l1 varchar(300) CHARACTER SET latin1, u3 varchar(20) CHARACTER SET utf8mb3, u4 varchar(20) CHARACTER SET utf8mb4,
	vt varbinary(16), en enum('a','b','é') CHARACTER SET utf8mb4, st set('x','y','z') CHARACTER SET latin1`

// myTypeCases are values of myTypeCols that every target takes.
var myTypeCases = []typeCase{
	{"tinyint1 0", "b1", "0", ""},
	{"tinyint1 1", "b1", "1", ""},
	{"tinyint1 NULL", "b1", "NULL", ""},
	{"bit1 0", "bit1", "b'0'", ""},
	{"bit1 1", "bit1", "b'1'", ""},
	{"bit12 aaa", "bit12", "b'101010101010'", ""},
	{"bit12 1", "bit12", "b'1'", ""},
	{"binary4 01", "bin4", "x'01'", ""},
	{"binary4 00ff", "bin4", "x'00ff0000'", ""},
	{"binary4 ffffffff", "bin4", "x'ffffffff'", ""},
	{"binary4 empty", "bin4", "x''", ""},
	{"varbinary 00", "vb", "x'00'", ""},
	{"varbinary ff", "vb", "x'ff'", ""},
	{"varbinary c328", "vb", "x'c328'", ""},
	{"varbinary 0000", "vb", "x'0000'", ""},
	{"varbinary empty", "vb", "x''", ""},
	{"varbinary NULL", "vb", "NULL", ""},
	{"varbinary text", "vb", "'abc'", ""},
	{"blob 00ff00", "bl", "x'00ff00'", ""},
	{"blob 80", "bl", "x'80'", ""},
	{"blob empty", "bl", "x''", ""},
	{"latin1 e-acute", "l1", "_latin1 x'e9'", ""},
	{"latin1 euro", "l1", "_latin1 x'80'", ""},
	{"latin1 81", "l1", "_latin1 x'81'", ""},
	{"latin1 9d", "l1", "_latin1 x'9d'", ""},
	{"latin1 ff", "l1", "_latin1 x'ff'", ""},
	{"latin1 empty", "l1", "''", ""},
	{"latin1 NULL", "l1", "NULL", ""},
	{"latin1 01-ff", "l1", "_latin1 x'0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'", ""},
	{"utf8mb3 e-acute euro", "u3", "'é€'", ""},
	{"utf8mb3 empty", "u3", "''", ""},
	{"utf8mb4 ascii", "u4", "'plain'", ""},
	{"varbinary utf8 into text", "vt", "x'c3a9'", ""},
	{"enum b", "en", "'b'", ""},
	{"enum e-acute", "en", "'é'", ""},
	{"set x,z", "st", "'x,z'", ""},
	{"set empty", "st", "''", ""},
}

// pgTypeCols are the PostgreSQL source columns.
const pgTypeCols = `bo boolean, bo2 boolean, bt bytea, bt2 bytea, bt3 bytea, tx text, tl text, t3 text, tb text`

// pgTypeCases are values of pgTypeCols; each target direction adds its own
// refusals.
var pgTypeCases = []typeCase{
	{"boolean true", "bo", "true", ""},
	{"boolean false", "bo", "false", ""},
	{"boolean NULL", "bo", "NULL", ""},
	{"boolean true bit", "bo2", "true", ""},
	{"boolean false bit", "bo2", "false", ""},
	{"bytea 00", "bt", `'\x00'`, ""},
	{"bytea ff", "bt", `'\xff'`, ""},
	{"bytea c328", "bt", `'\xc328'`, ""},
	{"bytea 0000", "bt", `'\x0000'`, ""},
	{"bytea empty", "bt", `'\x'`, ""},
	{"bytea NULL", "bt", "NULL", ""},
	{"bytea 01 fixed", "bt2", `'\x01'`, ""},
	{"bytea blob", "bt3", `'\x00ff00'`, ""},
	{"text empty", "tx", "''", ""},
	{"text NULL", "tx", "NULL", ""},
	{"text latin1 e-acute", "tl", "'é'", ""},
	{"text latin1 euro", "tl", "'€'", ""},
	{"text utf8mb3 e-acute", "t3", "'é€'", ""},
	{"text reading \\x41", "tb", `'\x41'`, ""},
}

func TestTypesStreamAsCopied(t *testing.T) {
	cases := func(base []typeCase, extra ...typeCase) []typeCase {
		return append(append([]typeCase(nil), base...), extra...)
	}
	dirs := []typeDirection{
		{
			name: "mariadb→pg", src: db.MySQL, dst: db.Postgres, srcCols: myTypeCols,
			dstCols: "b1 boolean, bit1 boolean, bit12 bytea, bin4 bytea, vb bytea, bl bytea, l1 text, u3 text, u4 text, vt text, en text, st text",
			cases: cases(myTypeCases,
				typeCase{"tinyint1 2", "b1", "2", "boolean"},
				typeCase{"varbinary ff into text", "vt", "x'ff'", "not valid UTF-8"},
				typeCase{"utf8mb4 emoji", "u4", "'😀'", ""},
			),
		},
		{
			name: "mariadb→mariadb", src: db.MySQL, dst: db.MySQL, srcCols: myTypeCols,
			dstCols: `b1 tinyint(1), bit1 bit(1), bit12 bit(12), bin4 binary(4), vb varbinary(16), bl blob,
				l1 varchar(300) CHARACTER SET latin1, u3 varchar(20) CHARACTER SET utf8mb3, u4 varchar(20) CHARACTER SET utf8mb3,
				vt varchar(16) CHARACTER SET utf8mb4, en enum('a','b','é') CHARACTER SET utf8mb4, st set('x','y','z') CHARACTER SET latin1`,
			cases: cases(myTypeCases,
				typeCase{"tinyint1 2", "b1", "2", ""},
				typeCase{"utf8mb4 emoji into utf8mb3", "u4", "'😀'", "Incorrect string value"},
			),
		},
		{
			name: "mariadb→pg latin1", src: db.MySQL, dst: db.Postgres, dstEnc: "LATIN1", srcCols: myTypeCols,
			dstCols: "b1 smallint, bit1 bytea, bit12 bytea, bin4 bytea, vb bytea, bl bytea, l1 text, u3 text, u4 text, vt text, en text, st text",
			cases: []typeCase{
				{"latin1 e-acute", "l1", "_latin1 x'e9'", ""},
				{"latin1 81", "l1", "_latin1 x'81'", ""},
				{"latin1 euro", "l1", "_latin1 x'80'", "has no equivalent in encoding"},
				{"utf8mb4 emoji", "u4", "'😀'", "has no equivalent in encoding"},
			},
		},
		{
			name: "pg→pg", src: db.Postgres, dst: db.Postgres, srcCols: pgTypeCols, dstCols: pgTypeCols,
			cases: cases(pgTypeCases,
				typeCase{"text emoji", "tx", "'é€😀'", ""},
			),
		},
		{
			name: "pg→mariadb", src: db.Postgres, dst: db.MySQL, srcCols: pgTypeCols,
			dstCols: `bo tinyint(1), bo2 bit(1), bt varbinary(16), bt2 binary(4), bt3 blob,
				tx varchar(20) CHARACTER SET utf8mb4, tl varchar(20) CHARACTER SET latin1, t3 varchar(20) CHARACTER SET utf8mb3,
				tb varbinary(16)`,
			cases: cases(pgTypeCases,
				typeCase{"text emoji", "tx", "'é€😀'", ""},
				typeCase{"bytea too long for binary4", "bt2", `'\x0102030405'`, "5 bytes long"},
				typeCase{"text emoji into latin1", "tl", "'😀'", "Incorrect string value"},
				typeCase{"text emoji into utf8mb3", "t3", "'😀'", "Incorrect string value"},
			),
		},
		{
			name: "pg sql_ascii→pg", src: db.Postgres, dst: db.Postgres, srcEnc: "SQL_ASCII", srcCols: "tx text", dstCols: "tx text",
			cases: []typeCase{
				{"byte e9", "tx", "chr(233)", "invalid byte sequence"},
			},
		},
		{
			name: "pg latin1→pg", src: db.Postgres, dst: db.Postgres, srcEnc: "LATIN1", srcCols: "tx text", dstCols: "tx text",
			cases: []typeCase{
				{"latin1 e-acute", "tx", "'é'", ""},
				{"latin1 80", "tx", `E'\u0080'`, ""},
				{"latin1 ff", "tx", "'ÿ'", ""},
				{"latin1 empty", "tx", "''", ""},
			},
		},
		{
			name: "pg→pg latin1", src: db.Postgres, dst: db.Postgres, dstEnc: "LATIN1", srcCols: "tx text", dstCols: "tx text",
			cases: []typeCase{
				{"e-acute", "tx", "'é'", ""},
				{"euro", "tx", "'€'", "has no equivalent in encoding"},
				{"emoji", "tx", "'😀'", "has no equivalent in encoding"},
			},
		},
	}
	for _, d := range dirs {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			runTypeDirection(t, d)
		})
	}
}
