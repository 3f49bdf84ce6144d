package convert

import (
	"reflect"
	"testing"
)

type parseCase struct {
	decl string
	want Type // Decl, NotNull and Engine are filled in by the test
}

func runParse(t *testing.T, engine string, parse func(string, bool) Type, cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		for _, notNull := range []bool{false, true} {
			want := c.want
			want.Decl, want.NotNull, want.Engine = c.decl, notNull, engine
			if got := parse(c.decl, notNull); !reflect.DeepEqual(got, want) {
				t.Errorf("%s(%q, %v)\n got %+v\nwant %+v", engine, c.decl, notNull, got, want)
			}
		}
	}
}

func TestParseSQLite(t *testing.T) {
	runParse(t, EngineSQLite, ParseSQLite, []parseCase{
		{"", Type{Kind: Any}},
		{"INTEGER", Type{Kind: Integer, Bits: 64}},
		{"int", Type{Kind: Integer, Bits: 64}},
		{"BIGINT", Type{Kind: Integer, Bits: 64}},
		{"UNSIGNED BIG INT", Type{Kind: Integer, Bits: 64}},
		{"INT8", Type{Kind: Integer, Bits: 64}},
		{"SMALLINT", Type{Kind: Integer, Bits: 16}},
		{"INT2", Type{Kind: Integer, Bits: 16}},
		{"TINYINT", Type{Kind: Integer, Bits: 8}},
		{"TINYINT UNSIGNED", Type{Kind: Integer, Bits: 8, Unsigned: true}},
		{"MEDIUMINT", Type{Kind: Integer, Bits: 24}},
		{"POINT", Type{Kind: Integer, Bits: 64}}, // SQLite's rule 1: contains INT
		{"VARCHAR(20)", Type{Kind: Text, Length: 20}},
		{"varchar( 20 )", Type{Kind: Text, Length: 20}},
		{"CHARACTER(20)", Type{Kind: Text, Length: 20}},
		{"NVARCHAR(100)", Type{Kind: Text, Length: 100}},
		{"VARYING CHARACTER(255)", Type{Kind: Text, Length: 255}},
		{"TEXT", Type{Kind: Text}},
		{"CLOB", Type{Kind: Text}},
		{"NUMERIC(10,2)", Type{Kind: Decimal, Precision: 10, Scale: 2}},
		{"DECIMAL(10, 2)", Type{Kind: Decimal, Precision: 10, Scale: 2}},
		{"DECIMAL(10)", Type{Kind: Decimal, Precision: 10}},
		{"NUMERIC", Type{Kind: Decimal}},
		{"REAL", Type{Kind: Float, Bits: 64}},
		{"DOUBLE", Type{Kind: Float, Bits: 64}},
		{"DOUBLE PRECISION", Type{Kind: Float, Bits: 64}},
		{"FLOAT", Type{Kind: Float, Bits: 64}},
		{"BOOLEAN", Type{Kind: Bool}},
		{"DATE", Type{Kind: Date}},
		{"DATETIME", Type{Kind: Timestamp, Scale: 9}},
		{"TIMESTAMP", Type{Kind: Timestamp, Scale: 9}},
		{"TIMESTAMP WITH TIME ZONE", Type{Kind: TimestampTZ, Scale: 9}},
		{"TIME", Type{Kind: Time, Scale: 9}},
		{"JSON", Type{Kind: JSON}},
		{"UUID", Type{Kind: UUID}},
		{"BLOB", Type{Kind: Binary}},
		{"STRING", Type{Kind: Any}}, // NUMERIC affinity, unknown name
	})
}

func TestParsePostgres(t *testing.T) {
	runParse(t, EnginePostgres, ParsePostgres, []parseCase{
		{"smallint", Type{Kind: Integer, Bits: 16}},
		{"integer", Type{Kind: Integer, Bits: 32}},
		{"bigint", Type{Kind: Integer, Bits: 64}},
		{"numeric(10,2)", Type{Kind: Decimal, Precision: 10, Scale: 2}},
		{"numeric(12)", Type{Kind: Decimal, Precision: 12}},
		{"numeric", Type{Kind: Decimal}},
		{"real", Type{Kind: Float, Bits: 32}},
		{"double precision", Type{Kind: Float, Bits: 64}},
		{"text", Type{Kind: Text}},
		{"character varying(20)", Type{Kind: Text, Length: 20}},
		{"character varying", Type{Kind: Text}},
		{"character(5)", Type{Kind: Text, Length: 5, Fixed: true}},
		{"bpchar", Type{Kind: Text, Fixed: true}},
		{"boolean", Type{Kind: Bool}},
		{"date", Type{Kind: Date}},
		{"timestamp without time zone", Type{Kind: Timestamp, Scale: 6}},
		{"timestamp(3) without time zone", Type{Kind: Timestamp, Scale: 3}},
		{"timestamp with time zone", Type{Kind: TimestampTZ, Scale: 6}},
		{"timestamp(0) with time zone", Type{Kind: TimestampTZ, Scale: 0}},
		{"time without time zone", Type{Kind: Time, Scale: 6}},
		{"time(2) without time zone", Type{Kind: Time, Scale: 2}},
		{"time with time zone", Type{Kind: Text}},
		{"json", Type{Kind: JSON}},
		{"jsonb", Type{Kind: JSON}},
		{"bytea", Type{Kind: Binary}},
		{"uuid", Type{Kind: UUID}},
		{"integer[]", Type{Kind: Text}},
		{"character varying(20)[]", Type{Kind: Text}},
		{"mood", Type{Kind: Text}},
		{"public.mood", Type{Kind: Text}},
		{"interval", Type{Kind: Text}},
		{"oid", Type{Kind: Integer, Bits: 32, Unsigned: true}},
	})
}

func TestParseMySQL(t *testing.T) {
	runParse(t, EngineMySQL, ParseMySQL, []parseCase{
		{"tinyint(1)", Type{Kind: Integer, Bits: 8}},
		{"tinyint(3) unsigned", Type{Kind: Integer, Bits: 8, Unsigned: true}},
		{"smallint(6)", Type{Kind: Integer, Bits: 16}},
		{"mediumint(8) unsigned", Type{Kind: Integer, Bits: 24, Unsigned: true}},
		{"int(11)", Type{Kind: Integer, Bits: 32}},
		{"int", Type{Kind: Integer, Bits: 32}},
		{"int unsigned", Type{Kind: Integer, Bits: 32, Unsigned: true}},
		{"int(10) unsigned zerofill", Type{Kind: Integer, Bits: 32, Unsigned: true}},
		{"bigint(20) unsigned", Type{Kind: Integer, Bits: 64, Unsigned: true}},
		{"bigint", Type{Kind: Integer, Bits: 64}},
		{"year(4)", Type{Kind: Integer, Bits: 16}},
		{"year", Type{Kind: Integer, Bits: 16}},
		{"decimal(12,4)", Type{Kind: Decimal, Precision: 12, Scale: 4}},
		{"decimal(10,0)", Type{Kind: Decimal, Precision: 10}},
		{"decimal", Type{Kind: Decimal, Precision: 10}},
		{"decimal(10,2) unsigned", Type{Kind: Decimal, Precision: 10, Scale: 2, Unsigned: true}},
		{"float", Type{Kind: Float, Bits: 32}},
		{"float(7,4)", Type{Kind: Float, Bits: 32, Precision: 7, Scale: 4}},
		{"double", Type{Kind: Float, Bits: 64}},
		{"double(10,2)", Type{Kind: Float, Bits: 64, Precision: 10, Scale: 2}},
		{"char(3)", Type{Kind: Text, Length: 3, Fixed: true}},
		{"varchar(16)", Type{Kind: Text, Length: 16}},
		{"tinytext", Type{Kind: Text, MaxBytes: 255}},
		{"text", Type{Kind: Text, MaxBytes: 65535}},
		{"mediumtext", Type{Kind: Text, MaxBytes: 16777215}},
		{"longtext", Type{Kind: Text}},
		{"enum('a','b')", Type{Kind: Enum, Enum: []string{"a", "b"}}},
		{"enum('It''s','a,b','(x)','back\\\\slash')", Type{Kind: Enum, Enum: []string{"It's", "a,b", "(x)", `back\slash`}}},
		{"set('a','b')", Type{Kind: Text}},
		{"date", Type{Kind: Date}},
		{"datetime", Type{Kind: Timestamp}},
		{"datetime(6)", Type{Kind: Timestamp, Scale: 6}},
		{"timestamp", Type{Kind: TimestampTZ}},
		{"timestamp(3)", Type{Kind: TimestampTZ, Scale: 3}},
		{"time", Type{Kind: Time}},
		{"time(6)", Type{Kind: Time, Scale: 6}},
		{"json", Type{Kind: JSON}},
		{"blob", Type{Kind: Binary, Length: 65535}},
		{"tinyblob", Type{Kind: Binary, Length: 255}},
		{"longblob", Type{Kind: Binary}},
		{"binary(16)", Type{Kind: Binary, Length: 16, Fixed: true}},
		{"varbinary(255)", Type{Kind: Binary, Length: 255}},
		{"bit(1)", Type{Kind: Binary, Bits: 1, Length: 1}},
		{"bit(10)", Type{Kind: Binary, Bits: 10, Length: 2}},
		{"geometry", Type{Kind: Binary}},
		{"uuid", Type{Kind: UUID}},
		{"inet6", Type{Kind: Text}},
	})
}

func TestTypeString(t *testing.T) {
	for ty, want := range map[*Type]string{
		{Kind: Integer, Bits: 16}:                  "int16",
		{Kind: Integer, Bits: 8, Unsigned: true}:   "uint8",
		{Kind: Decimal, Precision: 10, Scale: 2}:   "decimal(10,2)",
		{Kind: Text, Length: 5}:                    "varchar(5)",
		{Kind: Text, Length: 5, Fixed: true}:       "char(5)",
		{Kind: TimestampTZ}:                        "timestamptz",
		{Kind: Text, Decl: "character varying(5)"}: "character varying(5)",
	} {
		if got := ty.String(); got != want {
			t.Errorf("%+v: %q, want %q", *ty, got, want)
		}
	}
}
