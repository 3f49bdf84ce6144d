package convert

import (
	"crypto/sha256"
	"testing"
)

func TestRowHash(t *testing.T) {
	types := []Type{pgBigint, pgNumeric, pgText, pgTSTZ}
	mysql := []any{int64(1), []byte("12.30"), []byte("ab"), "2024-02-29 00:00:00"}
	pg := []any{int64(1), "12.3", "ab", ts(2024, 2, 29, 0, 0, 0, 0)}
	if RowHash(mysql, types) != RowHash(pg, types) {
		t.Fatal("equal rows hash differently")
	}
	other := []any{int64(1), "12.31", "ab", ts(2024, 2, 29, 0, 0, 0, 0)}
	if RowHash(other, types) == RowHash(pg, types) {
		t.Fatal("different rows hash equal")
	}
	two := []Type{pgText, pgText}
	if RowHash([]any{"a", "bc"}, two) == RowHash([]any{"ab", "c"}, two) {
		t.Fatal("value boundaries are not part of the hash")
	}
	if RowHash([]any{nil, "x"}, two) == RowHash([]any{"", "x"}, two) {
		t.Fatal("NULL and empty text hash equal")
	}
	if RowHash([]any{"a"}, two[:1]) == RowHash([]any{"a", nil}, two) {
		t.Fatal("a trailing NULL is not part of the hash")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("mismatched lengths did not panic")
		}
	}()
	RowHash([]any{1}, nil)
}

func TestChecksum(t *testing.T) {
	h := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	var a, b Checksum
	for _, s := range []string{"x", "y", "z"} {
		a.Add(h(s))
	}
	for _, s := range []string{"z", "x", "y"} {
		b.Add(h(s))
	}
	if a != b || a.Count() != 3 {
		t.Fatalf("order matters: %s vs %s", a, b)
	}
	// Duplicates do not cancel, unlike XOR.
	var dup, empty Checksum
	dup.Add(h("x"))
	dup.Add(h("x"))
	if dup.Sum() == empty.Sum() {
		t.Fatal("duplicates cancel")
	}
	// Merge of chunks equals the whole; Remove undoes Add.
	var c1, c2 Checksum
	c1.Add(h("x"))
	c2.Add(h("y"))
	c2.Add(h("z"))
	c1.Merge(c2)
	if c1 != a {
		t.Fatal("merge differs")
	}
	c1.Remove(h("y"))
	var xz Checksum
	xz.Add(h("x"))
	xz.Add(h("z"))
	if c1 != xz {
		t.Fatal("remove differs")
	}
	// Carries propagate across all 256 bits and wrap modulo 2^256.
	var ones [32]byte
	for i := range ones {
		ones[i] = 0xff
	}
	var one [32]byte
	one[31] = 1
	var w Checksum
	w.Add(ones)
	w.Add(one)
	if w.Sum() != ([32]byte{}) || w.Count() != 2 {
		t.Fatalf("wrap: %s", w)
	}
	// String round-trips.
	back, err := ParseChecksum(a.String())
	if err != nil || back != a {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if len(a.Hex()) != 64 {
		t.Fatalf("hex %q", a.Hex())
	}
	for _, bad := range []string{"", "3", "x:00", "3:abcd"} {
		if _, err := ParseChecksum(bad); err == nil {
			t.Errorf("ParseChecksum(%q) accepted", bad)
		}
	}
}
