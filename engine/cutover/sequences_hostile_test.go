package cutover

import (
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestMySQLAutoIncrementSyncHostile: a table whose name needs quoting
// (a backtick, a space, a quote, a semicolon, unicode; given with its
// database, since names split at the first dot), an AUTO_INCREMENT column
// named with a space, and comments that say "AUTO_INCREMENT=" — on the
// table, after the real clause, and on a column — are synced from the
// real counter: the next insert takes max+1.
func TestMySQLAutoIncrementSyncHostile(t *testing.T) {
	ctx := ctxOf(t)
	base := dbtest.ServerDSN(t, dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test")
	admin, err := dbtest.Open(t, db.MySQL, base)
	if err != nil {
		dbtest.ServerDown(t, dbtest.MySQLEnv, err)
	}
	name := short(dbtest.UniqueName(t, "seqh"))
	dbtest.MustExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin.SQL().Exec("DROP DATABASE " + name) })
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	d, err := dbtest.Open(t, db.MySQL, cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	const table = "Or`ders \"q\"; x.ñ"
	for _, c := range []struct{ what, comment, colComment string }{
		{"a table comment", "AUTO_INCREMENT=5", ""},
		{"a table comment above the counter", "AUTO_INCREMENT=100000", ""},
		{"a column comment, no counter yet", "", "\n) ENGINE=InnoDB AUTO_INCREMENT=100000"},
	} {
		q := d.Quote(table)
		dbtest.MustExec(t, d,
			"DROP TABLE IF EXISTS "+q,
			"CREATE TABLE "+q+" (`row id` int AUTO_INCREMENT PRIMARY KEY COMMENT '"+c.colComment+"', v text) COMMENT='"+c.comment+"'")
		if c.colComment == "" {
			dbtest.MustExec(t, d, "INSERT INTO "+q+" (`row id`, v) VALUES (5, 'x'), (90, 'y')")
		} else {
			// no insert through the counter yet: SHOW CREATE TABLE has no AUTO_INCREMENT clause
			dbtest.MustExec(t, d, "INSERT INTO "+q+" (`row id`, v) VALUES (90, 'y')", "ALTER TABLE "+q+" AUTO_INCREMENT = 1")
		}
		sets, err := SyncSequences(ctx, d, []string{name + "." + table})
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if len(sets) != 1 || sets[0].Column != "row id" || sets[0].Max == nil || *sets[0].Max != 90 || sets[0].NextAfter != 91 {
			t.Fatalf("%s: syncs %+v; want `row id` max 90, next 91", c.what, sets)
		}
		res, err := d.SQL().Exec("INSERT INTO " + q + " (v) VALUES ('new')")
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if id, _ := res.LastInsertId(); id != 91 {
			t.Fatalf("%s: the next insert took id %d, want 91", c.what, id)
		}
	}
}
