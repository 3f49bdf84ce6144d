package convert

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// convCase is one Convert expectation: either the exact output (type and
// value) or a reject reason.
type convCase struct {
	name   string
	in     any
	t      Type
	want   any
	reason string
}

func runConvert(t *testing.T, cases []convCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, rej := Convert(c.in, c.t)
			if c.reason != "" {
				if rej == nil {
					t.Fatalf("Convert(%#v, %s) = %#v, want reject %s", c.in, c.t, got, c.reason)
				}
				if rej.Reason != c.reason {
					t.Fatalf("Convert(%#v, %s) rejected %s (%s), want %s", c.in, c.t, rej.Reason, rej.Message, c.reason)
				}
				if got != nil {
					t.Errorf("a reject came with a value %#v", got)
				}
				checkMessage(t, rej, c.t)
				return
			}
			if rej != nil {
				t.Fatalf("Convert(%#v, %s) rejected: %v", c.in, c.t, rej)
			}
			if !same(got, c.want) {
				t.Fatalf("Convert(%#v, %s) = %#v (%T), want %#v (%T)", c.in, c.t, got, got, c.want, c.want)
			}
			// Converting a converted value changes nothing.
			again, rej := Convert(got, c.t)
			if rej != nil || !same(again, got) {
				t.Fatalf("Convert is not idempotent: %#v -> %#v, %v", got, again, rej)
			}
			var h RowHasher
			checkSumConverted(t, &h, c.in, c.t)
		})
	}
}

// checkMessage asserts the message is a sentence naming the type.
func checkMessage(t *testing.T, r *Reject, ty Type) {
	t.Helper()
	if !strings.HasSuffix(r.Message, "(target column type "+ty.String()+")") {
		t.Errorf("message %q does not name the type %q", r.Message, ty.String())
	}
	if strings.Count(r.Message, " ") < 4 {
		t.Errorf("message %q is not a sentence", r.Message)
	}
}

// same compares values and their Go types exactly.
func same(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case time.Time:
		y := b.(time.Time)
		return x.Equal(y) && x.Location() == y.Location() && x.String() == y.String()
	case []byte:
		return bytes.Equal(x, b.([]byte))
	}
	return reflect.DeepEqual(a, b)
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func ts(y, mo, d, h, mi, s, ns int) time.Time {
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
}

var (
	pgSmallint  = ParsePostgres("smallint", false)
	pgInteger   = ParsePostgres("integer", false)
	pgBigint    = ParsePostgres("bigint", false)
	pgNumeric   = ParsePostgres("numeric(10,2)", false)
	pgNumericU  = ParsePostgres("numeric", false)
	pgReal      = ParsePostgres("real", false)
	pgDouble    = ParsePostgres("double precision", false)
	pgText      = ParsePostgres("text", false)
	pgVarchar5  = ParsePostgres("character varying(5)", false)
	pgChar3     = ParsePostgres("character(3)", false)
	pgBool      = ParsePostgres("boolean", false)
	pgDate      = ParsePostgres("date", false)
	pgTS        = ParsePostgres("timestamp without time zone", false)
	pgTS0       = ParsePostgres("timestamp(0) without time zone", false)
	pgTSTZ      = ParsePostgres("timestamp with time zone", false)
	pgTime      = ParsePostgres("time without time zone", false)
	pgJSON      = ParsePostgres("json", false)
	pgJSONB     = ParsePostgres("jsonb", false)
	pgBytea     = ParsePostgres("bytea", false)
	pgUUID      = ParsePostgres("uuid", false)
	myTinyU     = ParseMySQL("tinyint(3) unsigned", false)
	myTiny1     = ParseMySQL("tinyint(1)", false)
	myBigU      = ParseMySQL("bigint(20) unsigned", false)
	myInt       = ParseMySQL("int(11)", false)
	myYear      = ParseMySQL("year(4)", false)
	myDecimalU  = ParseMySQL("decimal(10,2) unsigned", false)
	myFloat     = ParseMySQL("float", false)
	myFloatMD   = ParseMySQL("float(7,2)", false)
	myDouble    = ParseMySQL("double", false)
	myTinytext  = ParseMySQL("tinytext", false)
	myEnum      = ParseMySQL("enum('red','green','it''s')", false)
	myDatetime  = ParseMySQL("datetime", false)
	myDatetime6 = ParseMySQL("datetime(6)", false)
	myTimestamp = ParseMySQL("timestamp", false)
	myTime      = ParseMySQL("time", false)
	myBinary4   = ParseMySQL("binary(4)", false)
	myVarbin3   = ParseMySQL("varbinary(3)", false)
	myBit10     = ParseMySQL("bit(10)", false)
	myJSON      = ParseMySQL("json", false)
	sqNumeric   = ParseSQLite("NUMERIC(20,4)", false)
	sqAny       = ParseSQLite("", false)
)

func nan() float64 { var z float64; return z / z }
