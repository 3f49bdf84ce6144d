package tui

import (
	"fmt"
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// tailPane is the journal tail: the last log lines, notes and decisions, in
// time order, newest at the bottom.
type tailPane struct {
	frame
	c     *Common
	state journal.State
}

func newTail(c *Common) *tailPane {
	p := &tailPane{c: c}
	p.render = p.lines
	return p
}

// Update implements pane.
func (p *tailPane) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(stateMsg); ok {
		p.state = msg.State
	}
	return nil
}

// tailEntry is one line of the tail before rendering.
type tailEntry struct {
	at   time.Time
	line string
}

func (p *tailPane) entries() []tailEntry {
	st, s := p.c.Styles, p.state
	var es []tailEntry
	for _, l := range s.Log {
		style := st.Text
		switch l.Stream {
		case "stderr", "warn":
			style = st.Warn
		case "error":
			style = st.Danger
		}
		who := l.StepID
		if who == "" {
			who = "run"
		}
		es = append(es, tailEntry{l.At, st.Muted.Render(padRight(who, 8)+" ") + style.Render(l.Line)})
	}
	for _, n := range s.Notes {
		es = append(es, tailEntry{n.At, st.Accent.Render("✎ "+n.Actor+": ") + st.Text.Render(n.Text)})
	}
	for _, d := range s.Decisions {
		line := "◆ " + d.Actor + " decided " + d.Choice
		if d.Kind != "" {
			line += " (" + d.Kind + ")"
		}
		if d.Limit > 0 {
			if l, ok := limitFor(&journal.TriggerPayload{Trigger: d.Trigger}); ok {
				line += " up to " + l.format(d.Limit)
			}
		}
		if d.Auto {
			line += " [auto]"
		}
		if d.Justification != "" {
			line += `: "` + d.Justification + `"`
		}
		es = append(es, tailEntry{d.At, st.Bold.Render(line)})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].at.Before(es[j].at) })
	return es
}

func (p *tailPane) lines(w, h int) []string {
	st := p.c.Styles
	es := p.entries()
	right := ""
	if n := failedNotifications(p.state); n > 0 {
		right = st.Danger.Render(fmt.Sprintf("notify: %d failed", n))
	}
	out := []string{heading(st, "JOURNAL", w, right)}
	if len(es) == 0 {
		return append(out, st.Muted.Render("no log lines yet"))
	}
	if n := h - 1; len(es) > n && n >= 0 {
		es = es[len(es)-n:]
	}
	for _, e := range es {
		out = append(out, truncate(st.Muted.Render(e.at.Format("15:04:05")+" ")+e.line, w))
	}
	return out
}
