package cdc

import "testing"

// A column is one identifier whatever it holds; a table splits at its
// first dot only, as everywhere in tightrope.
func TestQuoting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{quoteIdent("unit.price"), `"unit.price"`},
		{quoteIdent(`Qty "x"`), `"Qty ""x"""`},
		{quoteTable("orders"), `"orders"`},
		{quoteTable("shop.orders"), `"shop"."orders"`},
		{quoteTable("shop.order.lines"), `"shop"."order.lines"`},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
