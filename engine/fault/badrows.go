package fault

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Kinds of bad value bad-rows writes.
const (
	NotInteger = "not-integer" // 'N/A' where an integer belongs
	Precision  = "precision"   // 8 decimals where the target keeps 2
	TooLong    = "too-long"    // a string longer than the target column
	BadDate    = "bad-date"    // 2026-02-30
)

var badKinds = []string{NotInteger, Precision, TooLong, BadDate}

func init() {
	register(Kind{
		Name: "bad-rows", Syntax: "bad-rows:TABLE.COLUMN:N:KIND",
		Doc: "Before the first step, N rows of TABLE in the drill copy of the copy's source get a value that will not fit COLUMN " +
			"(KIND: not-integer 'N/A', precision 8 decimals, too-long strings, bad-date 2026-02-30); N is capped at the table's rows. " +
			"Where the source column's type cannot hold the value, the drill copy's column type is widened first (it is a throw-away copy) and the fault says so.",
		Engines: []string{"sqlite", "postgres", "mysql"},
		Parse:   parseBadRows,
	})
}

// badRows is bad-rows:TABLE.COLUMN:N:KIND.
type badRows struct {
	base
	table, column, kind string
	n                   int64
}

func parseBadRows(args string) (Fault, error) {
	parts := strings.Split(args, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("want TABLE.COLUMN:N:KIND")
	}
	table, column, ok := strings.Cut(parts[0], ".")
	if !ok || table == "" || column == "" {
		return nil, fmt.Errorf("%q is not TABLE.COLUMN", parts[0])
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("N must be a positive number of rows, not %q", parts[1])
	}
	kind := parts[2]
	if !contains(badKinds, kind) {
		return nil, fmt.Errorf("KIND must be one of %s, not %q", strings.Join(badKinds, ", "), kind)
	}
	return &badRows{base: base{"bad-rows:" + args}, table: table, column: column, n: n, kind: kind}, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Before writes the bad rows before the first step of the run (the
// injector lets a fault act once): the
// snapshot the runbook takes holds them, as the real source would.
func (b *badRows) Before(ctx context.Context, env *Env, step runbooks.Step, s journal.State) (journal.FaultPayload, bool, error) {
	source, target := "", ""
	for _, st := range env.Runbook.Steps {
		if copies(st, b.table) {
			source, target = orDefault(st.From, "source"), orDefault(st.To, "target")
			break
		}
	}
	if source == "" {
		return journal.FaultPayload{}, false, fmt.Errorf("no copy step of the runbook copies table %s", b.table)
	}
	d, err := env.DB(ctx, source)
	if err != nil {
		return journal.FaultPayload{}, false, err
	}
	width := 0
	if td, err := env.DB(ctx, target); err == nil {
		if t, err := td.Table(ctx, b.table); err == nil {
			if c, ok := t.Column(b.column); ok {
				width = c.Type.Length
			}
		}
	}
	rows, detail, err := writeBad(ctx, d, b.table, b.column, b.kind, b.n, width)
	if err != nil {
		return journal.FaultPayload{}, false, err
	}
	return journal.FaultPayload{Target: source + ":" + b.table + "." + b.column, Rows: rows, Detail: detail}, true, nil
}

// writeBad gives the first n rows of table (in key order) a bad value of
// kind in column, widening the column's type where it cannot hold it.
// width is the target column's length (0: unknown or unbounded).
func writeBad(ctx context.Context, d db.DB, table, column, kind string, n int64, width int) (int64, string, error) {
	t, err := d.Table(ctx, table)
	if err != nil {
		return 0, "", err
	}
	col, ok := t.Column(column)
	if !ok {
		return 0, "", fmt.Errorf("table %s has no column %s", table, column)
	}
	if len(t.Key) == 0 {
		return 0, "", fmt.Errorf("table %s has no primary key to choose rows by", table)
	}
	var notes []string
	if widen := widening(d.Driver(), col.Type, kind); widen != "" {
		stmt := alterColumn(d, table, column, widen)
		if _, err := d.SQL().ExecContext(ctx, stmt); err != nil {
			return 0, "", fmt.Errorf("widening %s.%s for the bad values: %w", table, column, err)
		}
		notes = append(notes, fmt.Sprintf("the drill copy's column %s.%s was changed from %s to %s to hold them (a throw-away copy)", table, column, col.Type.Kind, widen))
	}
	keys, err := firstKeys(ctx, d, t, n)
	if err != nil {
		return 0, "", err
	}
	if int64(len(keys)) < n {
		notes = append(notes, fmt.Sprintf("capped at the table's %d rows (asked for %d)", len(keys), n))
	}
	set := fmt.Sprintf("UPDATE %s SET %s = %s WHERE ", d.Quote(table), d.Quote(column), placeholder(d.Driver(), 1))
	var where []string
	for i, k := range t.Key {
		where = append(where, fmt.Sprintf("%s = %s", d.Quote(k), placeholder(d.Driver(), i+2)))
	}
	tx, err := d.SQL().BeginTx(ctx, nil)
	if err != nil {
		return 0, "", err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, set+strings.Join(where, " AND "))
	if err != nil {
		return 0, "", err
	}
	defer stmt.Close()
	for i, key := range keys {
		args := append([]any{badValue(kind, i, width)}, key...)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return 0, "", fmt.Errorf("writing bad rows into %s: %w", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, "", err
	}
	what := map[string]string{
		NotInteger: "'N/A'", Precision: "values with 8 decimals", TooLong: "over-long strings", BadDate: "the impossible date 2026-02-30",
	}[kind]
	detail := fmt.Sprintf("%d rows of %s got %s in %s", len(keys), table, what, column)
	if len(notes) > 0 {
		detail += "; " + strings.Join(notes, "; ")
	}
	return int64(len(keys)), detail, nil
}

// badValue is the i-th bad value of kind; width is the target column's
// length for too-long.
func badValue(kind string, i, width int) any {
	switch kind {
	case NotInteger:
		return "N/A"
	case Precision:
		return fmt.Sprintf("%d.%08d", 10+i%900, 12345671+i%7) // never a multiple of 0.01
	case TooLong:
		n := max(width, 255) + 1
		return strings.Repeat("x", n)
	}
	return "2026-02-30"
}

// widening is the type the source column must take to hold kind's values,
// or "" when it holds them already (SQLite holds any value in any column).
func widening(driver string, t convert.Type, kind string) string {
	if driver == db.SQLite {
		return ""
	}
	switch kind {
	case NotInteger, BadDate:
		if t.Kind == convert.Text && (t.Length == 0 || t.Length >= 10) {
			return ""
		}
		return "text"
	case Precision:
		if (t.Kind == convert.Decimal && (t.Scale >= 8 || t.Precision == 0)) || t.Kind == convert.Text && t.Length == 0 {
			return ""
		}
		if t.Kind == convert.Float && t.Bits != 32 {
			return ""
		}
		return "decimal"
	case TooLong:
		if t.Kind == convert.Text && t.Length == 0 && t.MaxBytes == 0 {
			return ""
		}
		return "text"
	}
	return ""
}

// alterColumn is the statement changing column's type to widen (text or
// decimal) on d's engine.
func alterColumn(d db.DB, table, column, widen string) string {
	q, c := d.Quote(table), d.Quote(column)
	switch d.Driver() {
	case db.Postgres:
		typ := "text"
		if widen == "decimal" {
			typ = "numeric"
		}
		return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", q, c, typ, c, typ)
	default: // mysql
		typ := "TEXT"
		if widen == "decimal" {
			typ = "DECIMAL(30,8)"
		}
		return fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s %s", q, c, typ)
	}
}

// firstKeys reads the keys of the first n rows of t, in key order.
func firstKeys(ctx context.Context, d db.DB, t db.Table, n int64) ([][]any, error) {
	var cols []string
	for _, k := range t.Key {
		cols = append(cols, d.Quote(k))
	}
	q := fmt.Sprintf("SELECT %s FROM %s ORDER BY %s LIMIT %d", strings.Join(cols, ", "), d.Quote(t.Name), strings.Join(cols, ", "), n)
	rows, err := d.SQL().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}
