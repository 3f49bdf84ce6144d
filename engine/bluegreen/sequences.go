package bluegreen

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SequenceSet is one sequence set on the side becoming live.
type SequenceSet struct {
	Sequence string `json:"sequence"`
	Table    string `json:"table"`
	Column   string `json:"column"`
	Value    int64  `json:"value"` // setval(…, Value, true): the next value is above it
}

// ownedSequences are the sequences owned by the table's columns (serial
// and identity columns), as quoted names.
func ownedSequences(ctx context.Context, e *end, t table) ([][2]string, error) {
	rows, err := e.conn.Query(ctx, `SELECT d.objid::regclass::text, a.attname::text
		FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
		  AND d.refobjid = to_regclass($1) AND d.deptype IN ('a', 'i')
		  AND EXISTS (SELECT 1 FROM pg_sequence s WHERE s.seqrelid = d.objid)
		ORDER BY 1`, t.ident())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var s [2]string
		err := r.Scan(&s[0], &s[1])
		return s, err
	})
}

// syncSequences sets every sequence of the tables on to above both what
// from has handed out and the highest value in to's column, so the first
// insert on to after the switch takes a fresh value. Both sides are frozen.
func (p *Pair) syncSequences(ctx context.Context, from, to *end) ([]SequenceSet, error) {
	var out []SequenceSet
	for _, t := range p.tables {
		seqs, err := ownedSequences(ctx, to, t)
		if err != nil {
			return out, fmt.Errorf("sequences of %s on %s: %w", t, to.Name, err)
		}
		for _, s := range seqs {
			seq, col := s[0], s[1]
			hi, used := int64(0), false
			var last int64
			var called bool
			for _, e := range []*end{from, to} {
				if err := e.conn.QueryRow(ctx, "SELECT last_value, is_called FROM "+seq).Scan(&last, &called); err != nil {
					return out, fmt.Errorf("sequence %s on %s: %w", seq, e.Name, err)
				}
				if called && (!used || last > hi) {
					hi, used = last, true
				}
			}
			var maxv *int64
			if err := to.conn.QueryRow(ctx, fmt.Sprintf("SELECT max(%s)::int8 FROM %s", ident(col), t.ident())).Scan(&maxv); err != nil {
				return out, fmt.Errorf("sequence %s: max(%s) on %s: %w", seq, col, to.Name, err)
			}
			if maxv != nil && (!used || *maxv > hi) {
				hi, used = *maxv, true
			}
			if !used {
				continue // never used on either side and the column is empty
			}
			if _, err := to.conn.Exec(ctx, "SELECT setval($1::regclass, $2, true)", seq, hi); err != nil {
				return out, fmt.Errorf("sequence %s on %s: %w", seq, to.Name, err)
			}
			out = append(out, SequenceSet{Sequence: seq, Table: t.String(), Column: col, Value: hi})
		}
	}
	return out, nil
}
