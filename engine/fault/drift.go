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

func init() {
	register(Kind{
		Name: "target-drift", Syntax: "target-drift:TABLE:N",
		Doc: "When the copy step that copies TABLE has copied it, N of its rows on the drill target are changed behind tightrope's back " +
			"(a number column gets 1 added, else a text column a new value), so the verify step finds a mismatch (verify_mismatch).",
		Engines: []string{"sqlite", "postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			table, ns, ok := strings.Cut(args, ":")
			n, err := strconv.ParseInt(ns, 10, 64)
			if !ok || table == "" || err != nil || n < 1 {
				return nil, fmt.Errorf("want TABLE:N with N a positive number of rows")
			}
			return &targetDrift{base: base{"target-drift:" + args}, table: table, n: n}, nil
		},
	})
}

// targetDrift is target-drift:TABLE:N.
type targetDrift struct {
	base
	table string
	n     int64
}

// After changes the rows once the copy step that copies the table is over.
func (f *targetDrift) After(ctx context.Context, env *Env, step runbooks.Step, s journal.State) (journal.FaultPayload, bool, error) {
	if !copies(step, f.table) {
		return journal.FaultPayload{}, false, nil
	}
	target := orDefault(step.To, "target")
	d, err := env.DB(ctx, target)
	if err != nil {
		return journal.FaultPayload{}, false, err
	}
	rows, detail, err := drift(ctx, d, f.table, f.n)
	if err != nil {
		return journal.FaultPayload{}, false, err
	}
	return journal.FaultPayload{Target: target + ":" + f.table, Rows: rows, Detail: detail}, true, nil
}

// drift changes one non-key column of the first n rows of table.
func drift(ctx context.Context, d db.DB, table string, n int64) (int64, string, error) {
	t, err := d.Table(ctx, table)
	if err != nil {
		return 0, "", err
	}
	if len(t.Key) == 0 {
		return 0, "", fmt.Errorf("table %s has no primary key to choose rows by", table)
	}
	col, expr := "", ""
	for _, pass := range []bool{true, false} { // numbers first, then text
		for _, c := range t.Columns {
			if contains(t.Key, c.Name) || col != "" {
				continue
			}
			q := d.Quote(c.Name)
			switch k := c.Type.Kind; {
			case pass && (k == convert.Integer || k == convert.Decimal || k == convert.Float):
				col, expr = c.Name, fmt.Sprintf("COALESCE(%s, 0) + 1", q)
			case !pass && k == convert.Text && (c.Type.Length == 0 || c.Type.Length >= 5):
				col, expr = c.Name, "'drift'"
			}
		}
	}
	if col == "" {
		return 0, "", fmt.Errorf("table %s has no number or text column to change", table)
	}
	keys, err := firstKeys(ctx, d, t, n)
	if err != nil {
		return 0, "", err
	}
	var where []string
	for i, k := range t.Key {
		where = append(where, fmt.Sprintf("%s = %s", d.Quote(k), placeholder(d.Driver(), i+1)))
	}
	stmt := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", d.Quote(table), d.Quote(col), expr, strings.Join(where, " AND "))
	var changed int64
	for _, key := range keys {
		res, err := d.SQL().ExecContext(ctx, stmt, key...)
		if err != nil {
			return changed, "", fmt.Errorf("changing %s on the target: %w", table, err)
		}
		if k, err := res.RowsAffected(); err == nil {
			changed += k
		}
	}
	return changed, fmt.Sprintf("%d rows of %s changed on the target after the copy (column %s)", changed, table, col), nil
}
