// Package copy moves the rows of tables from a source database to a target
// database: keyset pagination on the key, every value converted to the
// target column's type and checked, rejected rows kept with their reason,
// and each batch committed together with its checkpoint so a resumed copy
// has no duplicates and no gaps.
package copy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// Plan is how one table is copied (and verified): which columns, in which
// order, with which target types and cast rules.
type Plan struct {
	Name     string
	Source   db.Table
	Target   db.Table
	Cols     []string       // columns read from the source and written to the target, key first
	Types    []convert.Type // target type of each column
	KeyCount int            // the first KeyCount columns of Cols are the source key
	casts    []columnCast   // per column; zero when no cast rule applies
	hasCasts bool           // some column has a cast rule
}

// columnCast is a runbook cast rule bound to one column.
type columnCast struct {
	rule runbooks.Cast
}

// MakePlan reads both catalogs and decides the column mapping. It refuses
// a table without a key, a target column missing from the source that
// cannot be left out, and a source column the target does not have.
// create, when not nil, is called to create a missing target table from
// the source table's shape.
func MakePlan(ctx context.Context, src, dst db.DB, name string, step runbooks.Step, create func(db.Table) error) (*Plan, error) {
	st, err := src.Table(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("table %s in the source: %w", name, err)
	}
	if len(step.Key) > 0 {
		for _, k := range step.Key {
			if _, ok := st.Column(k); !ok {
				return nil, fmt.Errorf("table %s: key column %q is not in the source", name, k)
			}
		}
		st.Key = step.Key
	}
	if len(st.Key) == 0 {
		return nil, fmt.Errorf("table %s has no primary key: name a unique key with `key:` on the copy step", name)
	}
	tt, err := dst.Table(ctx, name)
	if errors.Is(err, db.ErrNoTable) && create != nil {
		if err = create(st); err == nil {
			tt, err = dst.Table(ctx, name)
		}
	}
	if errors.Is(err, db.ErrNoTable) {
		return nil, fmt.Errorf("table %s does not exist in the target (create it, or set create: true on the copy step)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("table %s in the target: %w", name, err)
	}
	p := &Plan{Name: name, Source: st, Target: tt}
	add := func(c string) error {
		tc, ok := tt.Column(c)
		if !ok {
			return fmt.Errorf("table %s: source column %q has no column in the target; its values would be lost", name, c)
		}
		p.Cols = append(p.Cols, c)
		p.Types = append(p.Types, tc.Type)
		return nil
	}
	for _, k := range st.Key {
		if err := add(k); err != nil {
			return nil, err
		}
	}
	p.KeyCount = len(st.Key)
	for _, c := range st.Columns {
		if contains(st.Key, c.Name) {
			continue
		}
		if err := add(c.Name); err != nil {
			return nil, err
		}
	}
	for _, c := range tt.Columns {
		if _, ok := st.Column(c.Name); !ok && c.Type.NotNull {
			return nil, fmt.Errorf("table %s: target column %q is NOT NULL and has no source column", name, c.Name)
		}
	}
	p.casts = make([]columnCast, len(p.Cols))
	for _, c := range step.Casts {
		if !strings.EqualFold(c.Table, name) {
			continue
		}
		i := indexOf(p.Cols, c.Column)
		if i < 0 {
			return nil, fmt.Errorf("table %s: cast rule names column %q, which is not copied", name, c.Column)
		}
		p.casts[i] = columnCast{rule: c}
		p.hasCasts = p.hasCasts || c.Map != nil
	}
	return p, nil
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// ConvertRow applies the plan's cast rules and converts a source row to the
// target types. It returns the converted row, or the first column that does
// not fit with the reason. Counting casts is the copier's business; this
// is for readers such as verify.
func (p *Plan) ConvertRow(row []any) ([]any, string, *convert.Reject) {
	out := make([]any, len(row))
	if col, r := p.convertInto(out, row); r != nil {
		return nil, col, r
	}
	return out, "", nil
}

// convertInto is ConvertRow writing into out (len(row) values); on a
// reject out holds a partial row.
func (p *Plan) convertInto(out, row []any) (string, *convert.Reject) {
	if p.hasCasts {
		return p.convertCastInto(out, row)
	}
	types := p.Types[:len(row)]
	for i, v := range row {
		conv, r := convert.ConvertTo(v, &types[i])
		if r != nil {
			return p.Cols[i], r
		}
		out[i] = conv
	}
	return "", nil
}

// convertCastInto is convertInto for a plan with cast rules: a value a
// rule maps is replaced before it is converted.
func (p *Plan) convertCastInto(out, row []any) (string, *convert.Reject) {
	for i, v := range row {
		if c := &p.casts[i]; c.rule.Map != nil {
			if text, ok := textOf(v); ok {
				if to, hit := c.rule.Map[text]; hit {
					v = nil
					if to != nil {
						v = *to
					}
				}
			}
		}
		conv, r := convert.ConvertTo(v, &p.Types[i])
		if r != nil {
			return p.Cols[i], r
		}
		out[i] = conv
	}
	return "", nil
}
