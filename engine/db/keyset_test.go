package db

import (
	"reflect"
	"strconv"
	"testing"
)

func TestSelectAfterBounds(t *testing.T) {
	quote := func(s string) string { return `"` + s + `"` }
	ph := func(i int) string { return "$" + strconv.Itoa(i) }
	tbl := Table{Name: "orders", Key: []string{"id"}}
	cases := []struct {
		name  string
		upper any
		after []any
		sql   string
		args  []any
	}{
		{"whole table", nil, nil, `SELECT "id", "qty" FROM "orders" ORDER BY "id" LIMIT $1`, []any{10}},
		{"after", nil, []any{5}, `SELECT "id", "qty" FROM "orders" WHERE ("id") > ($1) ORDER BY "id" LIMIT $2`, []any{5, 10}},
		{"range start", 99, nil, `SELECT "id", "qty" FROM "orders" WHERE "id" <= $1 ORDER BY "id" LIMIT $2`, []any{99, 10}},
		{"inside a range", 99, []any{5}, `SELECT "id", "qty" FROM "orders" WHERE ("id") > ($1) AND "id" <= $2 ORDER BY "id" LIMIT $3`, []any{5, 99, 10}},
	}
	for _, c := range cases {
		tb := tbl
		tb.Upper = c.upper
		q, args := selectAfter(quote, ph, tb, []string{"id", "qty"}, c.after, 10)
		if q != c.sql || !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s:\n got %s %v\nwant %s %v", c.name, q, args, c.sql, c.args)
		}
	}
}

// TestUpperBoundOnEveryEngine reads a key range on each database.
func TestUpperBoundOnEveryEngine(t *testing.T) {
	for name, open := range scenarioDBs() {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			ctx := t.Context()
			name := "upper_" + d.Driver()
			mustExec(t, d, "CREATE TABLE "+d.Quote(name)+" (id INTEGER PRIMARY KEY, v INTEGER)")
			t.Cleanup(func() { mustExec(t, d, "DROP TABLE "+d.Quote(name)) })
			for i := 1; i <= 20; i++ {
				mustExec(t, d, "INSERT INTO "+d.Quote(name)+" VALUES ("+strconv.Itoa(i)+", 0)")
			}
			tbl, err := d.Table(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			tbl.Upper = int64(12)
			var got []int64
			var after []any
			for {
				rows, err := d.ReadBatch(ctx, tbl, []string{"id", "v"}, after, 5)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					got = append(got, r[0].(int64))
				}
				if len(rows) < 5 {
					break
				}
				after = rows[len(rows)-1][:1]
			}
			if len(got) != 12 || got[0] != 1 || got[11] != 12 {
				t.Fatalf("read %v, want 1..12", got)
			}
		})
	}
}

// scenarioDBs opens SQLite, PostgreSQL and MySQL (the servers skip, or
// fail under CI, when not configured).
func scenarioDBs() map[string]func(*testing.T) DB {
	return map[string]func(*testing.T) DB{
		SQLite:   func(t *testing.T) DB { return openTestSQLite(t, newSQLiteFile(t)) },
		Postgres: pgTestDB,
		MySQL:    mysqlTestDB,
	}
}
