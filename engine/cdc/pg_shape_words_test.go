package cdc

import "testing"

func TestReadableShape(t *testing.T) {
	for in, want := range map[string]string{
		"identity d: id oid23/-1 key, name oid1043/104": "identity d: id int4 key, name varchar(100)",
		"amount oid1700/655366, at oid1184/3":           "amount numeric(10,2), at timestamptz(3)",
		"c oid1042/14, b oid17/-1, x oid9999999/-1":     "c bpchar(10), b bytea, x oid9999999/-1",
		"n oid1700/-1, d oid1083/-1":                    "n numeric, d time",
	} {
		if got := readableShape(in); got != want {
			t.Errorf("readableShape(%q) = %q, want %q", in, got, want)
		}
	}
}
