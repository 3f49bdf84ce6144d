package assess

import (
	"context"
	"fmt"
	"sort"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// copyStep assesses every table of a copy step.
func (a *assessor) copyStep(ctx context.Context, step runbooks.Step) error {
	src, err := a.conn(ctx, step.From)
	if err != nil {
		return err
	}
	dst, err := a.conn(ctx, step.To)
	if err != nil {
		return err
	}
	tables := step.Tables
	if step.All {
		if tables, err = src.Tables(ctx); err != nil {
			return fmt.Errorf("listing the source tables: %w", err)
		}
	}
	pred := StepPrediction{Step: step.ID, WriteKnown: true}
	for _, name := range tables {
		tr, err := a.table(ctx, step, src, dst, name)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.add(Finding{Grade: Blocker, Step: step.ID, Table: name, Message: err.Error()})
			continue
		}
		a.res.Tables = append(a.res.Tables, *tr)
		pred.Rows += tr.Rows
		if tr.ReadRate > 0 {
			pred.ReadTime += rowsAt(tr.Rows, tr.ReadRate)
		}
		if tr.WriteRate > 0 {
			pred.WriteTime += rowsAt(tr.Rows, tr.WriteRate)
		} else {
			pred.WriteKnown = false
		}
	}
	// the copy reads and writes at once: it takes as long as the slower
	pred.Predicted = max(pred.ReadTime, pred.WriteTime)
	a.res.Steps = append(a.res.Steps, pred)
	a.add(Finding{Grade: Note, Step: step.ID, Message: "rows the target itself refuses (unique keys, foreign keys, checks) cannot be predicted without writing; they are not counted here"})
	return nil
}

// table assesses one table: the target's state, the plan's mapping, and
// the source read through the plan's converters.
func (a *assessor) table(ctx context.Context, step runbooks.Step, src, dst db.DB, name string) (*TableResult, error) {
	tr := &TableResult{Step: step.ID, Table: name}
	st, err := src.Table(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("table %s in the source: %w", name, err)
	}
	tt, missing, err := targetTable(ctx, dst, name)
	if err != nil {
		return nil, fmt.Errorf("table %s in the target: %w", name, err)
	}
	target := &plannedTarget{DB: dst}
	var created []ColumnMap
	if missing {
		tr.TargetMissing = true
		if !step.Create {
			return nil, fmt.Errorf("table %s does not exist in the target and the step does not set create: true", name)
		}
		tt, created = wouldCreate(dst.Driver(), st)
		target.created = map[string]db.Table{name: tt}
		a.add(Finding{Grade: Note, Step: step.ID, Table: name, Message: "the copy will create this table in the target (create: true)"})
	} else {
		if tr.TargetRows, err = dst.Count(ctx, name); err != nil {
			return nil, fmt.Errorf("counting %s in the target: %w", name, err)
		}
		if tr.TargetRows > 0 {
			a.add(Finding{Grade: Blocker, Step: step.ID, Table: name,
				Message: fmt.Sprintf("the target table already holds %d rows: a fresh copy refuses to mix into it (empty it first)", tr.TargetRows)})
		}
		lost := false
		for _, c := range st.Columns {
			if _, ok := tt.Column(c.Name); !ok {
				lost = true
				a.add(Finding{Grade: Blocker, Step: step.ID, Table: name, Column: c.Name,
					Message: "source column has no column in the target: its values would be lost"})
			}
		}
		for _, c := range tt.Columns {
			if _, ok := st.Column(c.Name); !ok {
				tr.TargetExtra = append(tr.TargetExtra, c.Name)
				grade, msg := Note, "target column has no source column: it gets its default"
				if c.Type.NotNull {
					grade, msg = Blocker, "target column is NOT NULL and has no source column"
				}
				a.add(Finding{Grade: grade, Step: step.ID, Table: name, Column: c.Name, Message: msg})
			}
		}
		if lost {
			return tr, nil
		}
	}
	p, err := copyengine.MakePlan(ctx, src, target, name, step, nil)
	if err != nil {
		return nil, err
	}
	tr.Key = p.Source.Key
	tr.Mapping = mapping(p, created)
	for _, m := range tr.Mapping {
		if m.Note != "" {
			a.add(Finding{Grade: Warning, Step: step.ID, Table: name, Column: m.Column,
				Message: fmt.Sprintf("%s → %s: %s", m.Source, m.Target, m.Note)})
		}
	}
	if tr.Rows, err = src.Count(ctx, name); err != nil {
		return nil, fmt.Errorf("counting %s: %w", name, err)
	}
	kept, err := a.readThrough(ctx, src, p, step, tr)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	a.writeRate(ctx, step, p, kept, tr)
	a.judgeRejects(tr)
	return tr, nil
}

// rowsAt is how long rows take at rate rows a second.
func rowsAt(rows int64, rate float64) time.Duration {
	return time.Duration(float64(rows) / rate * float64(time.Second))
}

// mapping is the plan's column mapping, with a note for every target type
// narrower than its source or meaning something else.
func mapping(p *copyengine.Plan, created []ColumnMap) []ColumnMap {
	if created != nil {
		byName := map[string]ColumnMap{}
		for _, m := range created {
			byName[m.Column] = m
		}
		out := make([]ColumnMap, 0, len(p.Cols))
		for _, c := range p.Cols {
			out = append(out, byName[c])
		}
		return out
	}
	out := make([]ColumnMap, 0, len(p.Cols))
	for i, c := range p.Cols {
		sc, _ := p.Source.Column(c)
		out = append(out, ColumnMap{Column: c, Source: sc.Type.Decl, Target: p.Types[i].Decl, Note: narrowing(sc.Type, p.Types[i])})
	}
	return out
}

// judgeRejects grades a table's predicted rejects against reject_rate.
func (a *assessor) judgeRejects(tr *TableResult) {
	if tr.RejectedRead == 0 {
		return
	}
	rate := tr.RejectRate()
	what := fmt.Sprintf("the copy would reject %d of %d rows (%s)", tr.Rejected, tr.Rows, pct(rate))
	if tr.Estimate {
		what = fmt.Sprintf("the copy would reject about %d of %d rows (%s; an estimate from %s)", tr.Rejected, tr.Rows, pct(rate), tr.Sampling)
	}
	f := Finding{Grade: Warning, Step: tr.Step, Table: tr.Table, Message: what}
	if th, ok := a.o.Runbook.Triggers.Threshold(runbooks.TriggerRejectRate); ok && rate > th {
		f.Grade, f.Trigger = Blocker, runbooks.TriggerRejectRate
		f.Message += ", over the reject_rate threshold of " + pct(th)
	}
	a.add(f)
}

// sortGroups orders reject groups by count, then column and reason.
func sortGroups(gs []RejectGroup) {
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].Found != gs[j].Found {
			return gs[i].Found > gs[j].Found
		}
		if gs[i].Column != gs[j].Column {
			return gs[i].Column < gs[j].Column
		}
		return gs[i].Reason < gs[j].Reason
	})
}

// pct formats a fraction as a percentage with up to three decimals.
func pct(f float64) string {
	s := fmt.Sprintf("%.3f", f*100)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s + "%"
}
