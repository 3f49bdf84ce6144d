package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/assess"
	"github.com/tightrope/tightrope/journal"
)

// assessmentView is the latest assessment's section: its verdict, each
// table's predicted rejects against its rows, the reasons with an example,
// and every finding by grade.
func assessmentView(a *journal.AssessmentPayload) section {
	sec := section{ID: "assessment", Title: "Assessment"}
	verdict := okOr(!a.Blocked(), "no blocker", fmt.Sprintf("%d blocker(s)", a.Counts[journal.GradeBlocker]))
	head := fmt.Sprintf("%d warning(s), %d note(s) · ", a.Counts[journal.GradeWarning], a.Counts[journal.GradeNote])
	if a.Sample != "" {
		head += "sample " + a.Sample + ": the counts are estimates · "
	}
	sec.Blocks = append(sec.Blocks, para(txt(head), verdict))
	if len(a.Tables) > 0 {
		t := &table{Head: []string{"step", "table", "rows", "read", "predicted rejects", "rate", "read rate (rows/s)", "write rate"}}
		for _, tb := range a.Tables {
			rej := fmt.Sprint(tb.Rejected)
			if tb.Estimate {
				rej = "about " + rej
			}
			t.Rows = append(t.Rows, cells(code(tb.Step), code(tb.Table), txt(fmt.Sprint(tb.Rows)), txt(fmt.Sprint(tb.Read)),
				txt(rej), txt(fmt.Sprintf("%.3f%%", tb.RejectRate()*100)), txt(fmt.Sprintf("%.0f", tb.ReadRate)), txt(assess.WriteWords(tb))))
		}
		sec.Blocks = append(sec.Blocks, block{Table: t})
		r := &table{Head: []string{"table", "column", "reason", "predicted", "example"}}
		for _, tb := range a.Tables {
			for _, g := range tb.Rejects {
				ex := ""
				if len(g.Examples) > 0 {
					ex = jsonOf(g.Examples[0].Key) + " = " + jsonOf(g.Examples[0].Value)
				}
				r.Rows = append(r.Rows, cells(code(tb.Table), code(g.Column), code(g.Reason), txt(fmt.Sprint(g.Predicted)), code(ex)))
			}
		}
		if len(r.Rows) > 0 {
			sec.Blocks = append(sec.Blocks, heading("Predicted rejects"), block{Table: r})
		}
	}
	if len(a.Steps) > 0 || len(a.Snapshots) > 0 {
		b := block{}
		for _, st := range a.Steps {
			b.List = append(b.List, []span{txt(assess.StepWords(st))})
		}
		for _, sn := range a.Snapshots {
			b.List = append(b.List, []span{txt(assess.SnapshotWords(sn))})
		}
		sec.Blocks = append(sec.Blocks, heading("Predicted durations and restores"), b)
	}
	for _, grade := range []string{journal.GradeBlocker, journal.GradeWarning, journal.GradeNote} {
		b := block{}
		for _, f := range a.Findings {
			if f.Grade != grade {
				continue
			}
			where := strings.Trim(strings.Join([]string{f.Step, f.Table, f.Column}, "."), ".")
			if where == "" {
				where = "run"
			}
			s := txt(f.Message)
			if grade == journal.GradeBlocker {
				s = bad(f.Message)
			}
			b.List = append(b.List, []span{code(where), txt(" "), s})
		}
		if len(b.List) > 0 {
			sec.Blocks = append(sec.Blocks, heading(strings.ToUpper(grade[:1])+grade[1:]+"s"), b)
		}
	}
	return sec
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
