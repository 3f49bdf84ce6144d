package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// RejectReader reads a journal's reject rows a page at a time, for a
// browser that must stay fast with hundreds of thousands of them. It holds
// the journal open read-only; Close it when done.
type RejectReader struct {
	db *sql.DB
}

// RejectFilter selects reject rows. BeforeSeq keeps the rows written
// before that event (run_seq < BeforeSeq), so a replay shows only the
// rejects its cursor has reached: a rows_rejected event always follows the
// rows it binds. Text keeps the rows whose table, key, column, reason,
// detail or row contains it (ASCII case-insensitively); "" keeps all.
type RejectFilter struct {
	BeforeSeq int64 // 0: no bound
	Text      string
}

// RejectGroup is the number of reject rows of a table for one reason.
type RejectGroup struct {
	Table, Reason string
	Count         int64
}

// OpenRejects opens a journal's rejects for reading.
func OpenRejects(path string) (*RejectReader, error) {
	db, err := openRead(path)
	if err != nil {
		return nil, err
	}
	return &RejectReader{db: db}, nil
}

// Close releases the journal.
func (r *RejectReader) Close() error { return r.db.Close() }

// where renders f as a WHERE clause and its arguments.
func (f RejectFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.BeforeSeq > 0 {
		conds = append(conds, "run_seq < ?")
		args = append(args, f.BeforeSeq)
	}
	if f.Text != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Text)
		like := "%" + esc + "%"
		var ors []string
		for _, col := range []string{"tbl", "key_json", "col", "reason", "detail", "row_json"} {
			ors = append(ors, col+` LIKE ? ESCAPE '\'`)
			args = append(args, like)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Groups counts the selected rows by table and reason, in browsing order
// (table, then reason).
func (r *RejectReader) Groups(ctx context.Context, f RejectFilter) ([]RejectGroup, error) {
	where, args := f.where()
	rows, err := r.db.QueryContext(ctx, `SELECT tbl, reason, count(*) FROM rejects`+where+
		` GROUP BY tbl, reason ORDER BY tbl, reason`, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: rejects: %w", err)
	}
	defer rows.Close()
	var out []RejectGroup
	for rows.Next() {
		var g RejectGroup
		if err := rows.Scan(&g.Table, &g.Reason, &g.Count); err != nil {
			return nil, fmt.Errorf("journal: rejects: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Page returns up to limit selected rows from position offset, in browsing
// order: by table, then reason, then as written — so rows of a group are
// together. The (tbl, reason) index serves the order, so a page costs the
// same wherever it is.
func (r *RejectReader) Page(ctx context.Context, f RejectFilter, offset, limit int) ([]RejectRecord, error) {
	where, args := f.where()
	rows, err := r.db.QueryContext(ctx, `SELECT id, run_seq, step_id, tbl, key_json, row_json, col, reason, detail, batch
		FROM rejects`+where+` ORDER BY tbl, reason, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("journal: rejects: %w", err)
	}
	defer rows.Close()
	var recs []RejectRecord
	for rows.Next() {
		var rec RejectRecord
		var key, row []byte
		if err := rows.Scan(&rec.ID, &rec.RunSeq, &rec.StepID, &rec.Table, &key, &row, &rec.Column,
			&rec.Reason, &rec.Detail, &rec.Batch); err != nil {
			return nil, fmt.Errorf("journal: rejects: %w", err)
		}
		rec.Key, rec.Row = json.RawMessage(key), json.RawMessage(row)
		recs = append(recs, rec)
	}
	return recs, rows.Err()
}

// Value is the text of the rejected column's value in the row as stored
// (JSON: a string is unquoted, anything else is its JSON text), and
// whether the row has that column.
func (rec RejectRecord) Value() (string, bool) {
	if rec.Column == "" {
		return "", false
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(rec.Row, &row); err != nil {
		return "", false
	}
	raw, ok := row[rec.Column]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	return string(raw), true
}
