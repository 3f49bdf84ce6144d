package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// acceptanceRunbook copies the shop's products from MariaDB into
// PostgreSQL with a 0.1% reject_rate.
const acceptanceRunbook = `version: 1
name: Shop products from MariaDB to PostgreSQL
migration_id: MIG-ACCEPT-13
decision_maker: dana
objectives: { rto: 30m, expected: 30m }
connections:
  source: { driver: mysql, dsn_env: ACC13_MY }
  target: { driver: postgres, dsn_env: ACC13_PG }
triggers: { reject_rate: 0.1% }
steps:
  - { id: copy, kind: copy, tables: [products], batch: 5000 }
`

// digits is the numbers 0 to 9 as a derived table (no Sequence engine
// needed).
const digits = "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"

// TestAssessAcceptanceMariaDBToPostgres is issue 13's first two
// acceptance items at their full size, through the command line: a
// MariaDB source whose rating holds 'N/A' in 8,000 of 200,000 rows and
// whose DECIMAL(20,8) price has digits past the second decimal in 12,000,
// going to INTEGER and NUMERIC(12,2). assess predicts exactly 8,000
// not_integer and 12,000 precision_loss rejects and exits 4 (the 10%
// reject rate is over 0.1%); both servers are unchanged (catalogs and
// checksums); --sample 10% is within 3 points of the true rate and says
// it is an estimate; --measure-write leaves the servers as they were too;
// the real copy then rejects the same numbers.
func TestAssessAcceptanceMariaDBToPostgres(t *testing.T) {
	myDSN, _ := liveServerDB(t, db.MySQL, dbtest.MySQLEnv,
		"CREATE TABLE products (id BIGINT PRIMARY KEY, rating VARCHAR(10), price DECIMAL(20,8) NOT NULL)",
		`INSERT INTO products SELECT seq, IF(seq % 25 = 0, 'N/A', CAST(seq % 5 + 1 AS CHAR)),
			IF(seq % 50 BETWEEN 1 AND 3, CONCAT(seq % 1000, '.', LPAD(seq % 100, 2, '0'), '5'), CONCAT(seq % 1000, '.', LPAD(seq % 100, 2, '0')))
			FROM (SELECT 1 + a.n + 10*b.n + 100*c.n + 1000*d.n + 10000*e.n + 100000*f.n AS seq
				FROM `+digits+` a, `+digits+` b, `+digits+` c, `+digits+` d, `+digits+` e, `+digits+` f) s
			WHERE seq <= 200000`)
	pgDSN, _ := liveServerDB(t, db.Postgres, dbtest.PostgresEnv, "CREATE TABLE products (id BIGINT PRIMARY KEY, rating INTEGER, price NUMERIC(12,2) NOT NULL)")
	dir := t.TempDir()
	rb := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(rb, []byte(acceptanceRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"ACC13_MY=" + myDSN, "ACC13_PG=" + pgDSN}
	before := [2]string{serverState(t, db.MySQL, myDSN), serverState(t, db.Postgres, pgDSN)}

	apath := filepath.Join(dir, "assess.journal")
	out, code := tightrope(t, env, "assess", rb, "--journal", apath, "--as", "dana")
	if code != exitBlocked {
		t.Fatalf("assess: exit %d, want %d:\n%s", code, exitBlocked, out)
	}
	if after := [2]string{serverState(t, db.MySQL, myDSN), serverState(t, db.Postgres, pgDSN)}; after != before {
		t.Errorf("assess changed a server:\nbefore %v\nafter  %v", before, after)
	}
	res := lastAssessment(t, apath)
	if len(res.Tables) != 1 {
		t.Fatalf("tables: %+v", res.Tables)
	}
	predicted := map[string]int64{}
	for _, g := range res.Tables[0].Rejects {
		predicted[g.Column+"/"+g.Reason] = g.Predicted
	}
	want := map[string]int64{"rating/" + convert.ReasonNotInteger: 8000, "price/" + convert.ReasonPrecisionLoss: 12000}
	if fmt.Sprint(predicted) != fmt.Sprint(want) || res.Tables[0].Estimate {
		t.Errorf("predicted %v (estimate %v), want exactly %v", predicted, res.Tables[0].Estimate, want)
	}

	spath := filepath.Join(dir, "sample.journal")
	out, code = tightrope(t, env, "assess", rb, "--sample", "10%", "--journal", spath, "--as", "dana")
	if code != exitBlocked || !strings.Contains(out, "estimate") {
		t.Errorf("assess --sample 10%%: exit %d, or not said to be an estimate:\n%s", code, out)
	}
	sampled := lastAssessment(t, spath).Tables[0]
	if d := sampled.RejectRate() - 0.1; !sampled.Estimate || d > 0.03 || d < -0.03 {
		t.Errorf("sampled reject rate %.4f (estimate %v) from %d rows, true 0.1000", sampled.RejectRate(), sampled.Estimate, sampled.Read)
	}
	t.Logf("sample: %d of %d rows read, rate %.4f, predicted %d rejects", sampled.Read, sampled.Rows, sampled.RejectRate(), sampled.Rejected)

	// --measure-write writes, into a scratch table it drops again: the
	// target is as it was, and the prediction weighs the write rate
	out, code = tightrope(t, env, "assess", rb, "--measure-write", "--journal", filepath.Join(dir, "write.journal"), "--as", "dana")
	if code != exitBlocked || !strings.Contains(out, "measured on a scratch table") {
		t.Errorf("assess --measure-write: exit %d, or no measured write rate:\n%s", code, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "copy") {
			t.Log(l)
		}
	}
	if after := [2]string{serverState(t, db.MySQL, myDSN), serverState(t, db.Postgres, pgDSN)}; after != before {
		t.Errorf("assess --measure-write left something behind:\nbefore %v\nafter  %v", before, after)
	}

	rpath := filepath.Join(dir, "run.journal")
	out, code = tightrope(t, env, "run", rb, "--plain", "--auto-decide", "continue", "--as", "dana", "--journal", rpath)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, out)
	}
	evs, err := journal.ReadAll(rpath)
	if err != nil {
		t.Fatal(err)
	}
	copied := map[string]int64{}
	for _, e := range evs {
		if e.Type == journal.TableCopied {
			if p, err := journal.Decode(e); err == nil {
				t.Logf("the real copy: %d rows in %dms", p.(journal.ProgressPayload).Read, p.(journal.ProgressPayload).ElapsedMS)
			}
		}
		if e.Type != journal.RowsRejected {
			continue
		}
		p, err := journal.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		for reason, n := range p.(journal.RejectsPayload).ByReason {
			copied[reason] += n
		}
	}
	wantByReason := map[string]int64{convert.ReasonNotInteger: 8000, convert.ReasonPrecisionLoss: 12000}
	if fmt.Sprint(copied) != fmt.Sprint(wantByReason) {
		t.Errorf("the copy rejected %v, the assessment predicted %v", copied, predicted)
	}
}

// serverState is a database's catalog and every table's checksum.
func serverState(t *testing.T, driver, dsn string) string {
	t.Helper()
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	q := `SELECT coalesce(group_concat(concat_ws(':', table_name, column_name, column_type, is_nullable, column_key) ORDER BY table_name, ordinal_position SEPARATOR ','), '')
		FROM information_schema.columns WHERE table_schema = database()`
	if driver == db.Postgres {
		q = `SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(a.attname, '') || ':' || coalesce(format_type(a.atttypid, a.atttypmod), ''), ',' ORDER BY c.relname, a.attnum), '')
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
			WHERE n.nspname = current_schema()`
	}
	var catalog string
	if err := d.SQL().QueryRow(q).Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	names, err := d.Tables(dbtest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{catalog}
	for _, n := range names {
		var sum string
		if driver == db.MySQL {
			var table string
			if err := d.SQL().QueryRow("CHECKSUM TABLE "+d.Quote(n)+" EXTENDED").Scan(&table, &sum); err != nil {
				t.Fatal(err)
			}
		} else if err := d.SQL().QueryRow("SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " + d.Quote(n) + " x").Scan(&sum); err != nil {
			t.Fatal(err)
		}
		out = append(out, n+"="+sum)
	}
	return strings.Join(out, " ")
}
