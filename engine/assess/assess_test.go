package assess_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/assess"
	"github.com/tightrope/tightrope/engine/convert"
	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/runbooks"
)

// The acceptance data, scaled down tenfold with its proportions kept:
// 'N/A' in 4% of the ratings (id % 25 == 0), digits past the second
// decimal in 6% of the prices (id % 50 in {1, 2, 3}), never in the same
// row. TIGHTROPE_ASSESS_ROWS=200000 runs it at the full size.
var (
	shopRows   = rowsFromEnv(20000)
	badRatings = shopRows / 25
	badPrices  = shopRows / 50 * 3
)

const ratingsColumn = "rating"

// rowsFromEnv is TIGHTROPE_ASSESS_ROWS rounded down to a multiple of 50,
// or def.
func rowsFromEnv(def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv("TIGHTROPE_ASSESS_ROWS"), 10, 64); err == nil && n >= 50 {
		return n / 50 * 50
	}
	return def
}

// shop fills a MariaDB source table and an empty PostgreSQL target
// table, and returns a runbook copying one into the other with a 0.1%
// reject_rate.
func shop(t *testing.T) (src, dst *server, rb *runbooks.Runbook) {
	t.Helper()
	src, dst = newMySQL(t, "source"), newPostgres(t, "target")
	dbtest.MustExec(t, src, "CREATE TABLE products (id BIGINT PRIMARY KEY, rating VARCHAR(10), price DECIMAL(20,8) NOT NULL)")
	rows := make([][]any, 0, shopRows)
	for id := 1; id <= int(shopRows); id++ {
		rating, price := fmt.Sprint(id%5+1), fmt.Sprintf("%d.%02d000000", id%1000, id%100)
		if id%25 == 0 {
			rating = "N/A"
		}
		if m := id % 50; m >= 1 && m <= 3 {
			price = fmt.Sprintf("%d.%02d5", id%1000, id%100)
		}
		rows = append(rows, []any{id, rating, price})
	}
	dbtest.InsertRows(t, src, "products", []string{"id", "rating", "price"}, rows)
	dbtest.MustExec(t, dst, "CREATE TABLE products (id BIGINT PRIMARY KEY, rating INTEGER, price NUMERIC(12,2) NOT NULL)")
	rate, overrun := 0.001, 1.5
	rb = &runbooks.Runbook{
		Name: "shop", MigrationID: "MIG-ASSESS",
		Objectives:  runbooks.Objectives{Expected: time.Hour, RTO: time.Hour},
		Connections: []runbooks.Connection{src.conn, dst.conn},
		Triggers:    runbooks.Triggers{RejectRate: &rate, Overrun: &overrun},
		Steps: []runbooks.Step{{ID: "copy", Kind: runbooks.KindCopy, From: "source", To: "target",
			Tables: []string{"products"}, Batch: 1000, Parallel: 1}},
	}
	return src, dst, rb
}

// TestPredictsTheCopysRejectsExactly runs the assessment, then the real
// copy, and compares: the same rows rejected for the same column and
// reason, and the assessment left both servers as they were.
func TestPredictsTheCopysRejectsExactly(t *testing.T) {
	src, dst, rb := shop(t)
	ctx := dbtest.Ctx(t)
	srcBefore, dstBefore := fingerprint(t, src), fingerprint(t, dst)
	res, err := assess.Run(ctx, assess.Options{Runbook: rb})
	if err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, src); got != srcBefore {
		t.Errorf("the assessment changed the source:\nbefore %s\nafter  %s", srcBefore, got)
	}
	if got := fingerprint(t, dst); got != dstBefore {
		t.Errorf("the assessment changed the target:\nbefore %s\nafter  %s", dstBefore, got)
	}
	if len(res.Tables) != 1 {
		t.Fatalf("tables assessed: %+v; findings %+v", res.Tables, res.Findings)
	}
	tr := res.Tables[0]
	t.Logf("assessed %d rows in %s (read %s at %.0f rows/s): %v", tr.Rows, res.Elapsed, tr.ReadTime, tr.ReadRate, tr.Rejects[0].Predicted)
	if tr.Estimate || tr.Rows != shopRows || tr.Read != shopRows {
		t.Errorf("rows %d, read %d, estimate %v; want %d read in full", tr.Rows, tr.Read, tr.Estimate, shopRows)
	}
	predicted := map[string]int64{}
	for _, g := range tr.Rejects {
		predicted[g.Column+"/"+g.Reason] = g.Predicted
		if len(g.Examples) != assess.MaxExamples {
			t.Errorf("%s/%s: %d examples, want %d", g.Column, g.Reason, len(g.Examples), assess.MaxExamples)
		}
	}
	want := map[string]int64{
		ratingsColumn + "/" + convert.ReasonNotInteger: badRatings,
		"price/" + convert.ReasonPrecisionLoss:         badPrices,
	}
	if fmt.Sprint(predicted) != fmt.Sprint(want) {
		t.Errorf("predicted rejects %v, want %v", predicted, want)
	}
	ex := tr.Rejects[0].Examples[0] // price has more: 1200 rows, the first of them id 1
	if ex.Key["id"] != int64(1) || ex.Value != "1.01500000" {
		t.Errorf("first example %+v, want id 1 with 1.01500000", ex)
	}
	if !res.Blocked() || !hasFinding(res, assess.Blocker, runbooks.TriggerRejectRate) {
		t.Errorf("a 10%% reject rate over a 0.1%% threshold must be a blocker: %+v", res.Findings)
	}
	if !hasFindingOn(res, assess.Warning, "rating") || !hasFindingOn(res, assess.Warning, "price") {
		t.Errorf("text into integer and decimal(20,8) into numeric(12,2) must be warned of: %+v", res.Findings)
	}

	sink := &countingSink{byReason: map[string]int64{}}
	step, _ := rb.StepByID("copy")
	out, err := copyengine.Run(ctx, src, dst, []string{"products"}, step, "assess-test", sink)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sink.byReason) != fmt.Sprint(want) || out[0].Rejected != tr.Rejected {
		t.Errorf("the copy rejected %v (%d rows); the assessment predicted %v (%d rows)", sink.byReason, out[0].Rejected, predicted, tr.Rejected)
	}
}

// TestSampleEstimates reads a 10% sample: the rate is within three
// points of the true one and the result says it is an estimate.
func TestSampleEstimates(t *testing.T) {
	_, _, rb := shop(t)
	res, err := assess.Run(dbtest.Ctx(t), assess.Options{Runbook: rb, Sample: assess.Sample{Fraction: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Tables[0]
	t.Logf("sample: read %d of %d rows in %s (%s); rate %.4f", tr.Read, tr.Rows, res.Elapsed, tr.Sampling, tr.RejectRate())
	if !tr.Estimate || tr.Sampling == "" {
		t.Errorf("a sampled assessment must say it is an estimate: %+v", tr)
	}
	if tr.Read < shopRows/10*95/100 || tr.Read > shopRows/10*105/100 {
		t.Errorf("read %d rows for a 10%% sample of %d", tr.Read, shopRows)
	}
	truth := float64(badRatings+badPrices) / float64(shopRows)
	if d := tr.RejectRate() - truth; d > 0.03 || d < -0.03 {
		t.Errorf("estimated reject rate %.4f, true %.4f: more than 3 points off", tr.RejectRate(), truth)
	}
	estimated := false
	for _, f := range res.Findings {
		estimated = estimated || (f.Table == "products" && strings.Contains(f.Message, "estimate"))
	}
	if !estimated {
		t.Errorf("no finding says the reject count is an estimate: %+v", res.Findings)
	}
}

// TestReadOnlyConnectionsRefuseWrites: every engine refuses a write
// through a connection opened for an assessment.
func TestReadOnlyConnectionsRefuseWrites(t *testing.T) {
	for _, s := range []*server{newMySQL(t, "my"), newPostgres(t, "pg"), newSQLite(t, "lite")} {
		dbtest.MustExec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
		ro, err := db.OpenReadOnly(dbtest.Ctx(t), s.conn, "")
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if _, err := ro.SQL().Exec("INSERT INTO t (id) VALUES (1)"); err == nil {
			t.Errorf("%s: a read-only connection wrote a row", s.Driver())
		}
		if _, err := ro.SQL().Exec("CREATE TABLE u (id INTEGER)"); err == nil && s.Driver() != db.MySQL { // MySQL's DDL ignores transaction_read_only
			t.Errorf("%s: a read-only connection created a table", s.Driver())
		}
		if n := dbtest.Count(t, s, "t"); n != 0 {
			t.Errorf("%s: %d rows after the refused insert", s.Driver(), n)
		}
	}
}

func hasFinding(r *assess.Result, grade, trigger string) bool {
	for _, f := range r.Findings {
		if f.Grade == grade && f.Trigger == trigger {
			return true
		}
	}
	return false
}

func hasFindingOn(r *assess.Result, grade, column string) bool {
	for _, f := range r.Findings {
		if f.Grade == grade && f.Column == column {
			return true
		}
	}
	return false
}

// fingerprint is a database's catalog and every table's content checksum.
func fingerprint(t *testing.T, s *server) string {
	t.Helper()
	var catalog, tables string
	q := map[string][2]string{
		db.MySQL: {`SELECT coalesce(group_concat(concat_ws(':', table_name, column_name, column_type, is_nullable, column_key) ORDER BY table_name, ordinal_position SEPARATOR ','), '')
			FROM information_schema.columns WHERE table_schema = ?`,
			`SELECT coalesce(group_concat(concat_ws(':', table_name, table_rows) ORDER BY table_name), '') FROM information_schema.tables WHERE table_schema = ?`},
		db.Postgres: {`SELECT coalesce(string_agg(concat_ws(':', table_name, column_name, data_type, is_nullable), ',' ORDER BY table_name, ordinal_position), '')
			FROM information_schema.columns WHERE table_schema = $1`,
			`SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`},
	}[s.Driver()]
	if err := s.SQL().QueryRow(q[0], s.name).Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	if err := s.SQL().QueryRow(q[1], s.name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	names, err := s.Tables(dbtest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	sums := []string{catalog, tables}
	for _, n := range names {
		var sum string
		switch s.Driver() {
		case db.MySQL:
			var table string
			if err := s.SQL().QueryRow("CHECKSUM TABLE "+s.Quote(n)+" EXTENDED").Scan(&table, &sum); err != nil {
				t.Fatal(err)
			}
		default:
			if err := s.SQL().QueryRow("SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " + s.Quote(n) + " x").Scan(&sum); err != nil {
				t.Fatal(err)
			}
		}
		sums = append(sums, n+"="+sum)
	}
	return strings.Join(sums, " ")
}

// countingSink counts a real copy's rejects by column and reason.
type countingSink struct {
	mu       sync.Mutex
	byReason map[string]int64
}

func (s *countingSink) Rejects(_ context.Context, _ string, rows []copyengine.Rejected) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		s.byReason[r.Column+"/"+r.Reason]++
	}
	return nil
}
func (s *countingSink) Cast(string, string, string, string, int64)          {}
func (s *countingSink) Progress(context.Context, copyengine.Counters) error { return nil }
func (s *countingSink) Created(string, []db.Mapping)                        {}
func (s *countingSink) Retry(string, int, time.Duration, error)             {}

// TestCreatePlansWithoutCreating: a create: true copy into a missing
// table is planned against the table db.CreateTable would make — the
// mapping and rejects the copy then has — and nothing is created.
func TestCreatePlansWithoutCreating(t *testing.T) {
	src, dst, rb := shop(t)
	ctx := dbtest.Ctx(t)
	dbtest.MustExec(t, dst, "DROP TABLE products")
	rb.Steps[0].Create = true
	dstBefore := fingerprint(t, dst)
	res, err := assess.Run(ctx, assess.Options{Runbook: rb})
	if err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, dst); got != dstBefore {
		t.Errorf("the assessment created something in the target:\nbefore %s\nafter  %s", dstBefore, got)
	}
	if len(res.Tables) != 1 || !res.Tables[0].TargetMissing {
		t.Fatalf("tables %+v; findings %+v", res.Tables, res.Findings)
	}
	tr := res.Tables[0]
	maps := map[string]string{}
	for _, m := range tr.Mapping {
		maps[m.Column] = strings.ToLower(m.Target)
	}
	sink := &countingSink{byReason: map[string]int64{}}
	out, err := copyengine.Run(ctx, src, dst, []string{"products"}, rb.Steps[0], "assess-create", sink)
	if err != nil {
		t.Fatal(err)
	}
	created, err := dst.Table(ctx, "products")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range created.Columns {
		if got := strings.ToLower(c.Type.Decl); got != maps[c.Name] {
			t.Errorf("%s: predicted %q, created %q", c.Name, maps[c.Name], got)
		}
	}
	if out[0].Rejected != tr.Rejected {
		t.Errorf("the copy rejected %d rows (%v), the assessment predicted %d", out[0].Rejected, sink.byReason, tr.Rejected)
	}
}
