package report

import (
	"strings"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
)

// drillCard is the scorecard of a drill's journal, nil for a live run:
// the same fold over the same events the drill printed at its end. The
// builder keeps a journal's events only once its run_started says drill.
func (b *builder) drillCard() *scorecard.Card {
	if len(b.drill) == 0 {
		return nil
	}
	c := scorecard.Score(b.drill)
	return &c
}

// drillView is the scorecard section of a drill's report.
func drillView(c *scorecard.Card) section {
	lines := c.Lines()
	sec := section{ID: "drill", Title: "Drill scorecard"}
	verdict := okOr(c.Pass, "PASS", "FAIL")
	sec.Blocks = append(sec.Blocks, para(txt(lines[0][:strings.LastIndex(lines[0], "·")+len("·")]+" "), verdict))
	b := block{}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "FAIL") {
			b.List = append(b.List, []span{bad(l)})
		} else {
			b.List = append(b.List, []span{txt(l)})
		}
	}
	sec.Blocks = append(sec.Blocks, b)
	return sec
}
