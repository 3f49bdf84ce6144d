package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// tailPane is the journal tail: the last log lines, notes and decisions, in
// time order, newest at the bottom.
type tailPane struct {
	frame
	c       *Common
	state   journal.State
	off     int    // the cursor, in lines above the newest (0: follows the newest)
	filter  string // only lines containing it (case-insensitive)
	focused bool   // tab put the focus here: the cursor shows
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

// visible is the entries the filter keeps.
func (p *tailPane) visible() []tailEntry {
	es := p.entries()
	if p.filter == "" {
		return es
	}
	f := strings.ToLower(p.filter)
	var out []tailEntry
	for _, e := range es {
		if strings.Contains(strings.ToLower(ansi.Strip(e.line)), f) {
			out = append(out, e)
		}
	}
	return out
}

// scroll moves the cursor d lines up (older; negative: newer).
func (p *tailPane) scroll(d int) {
	n := len(p.visible())
	p.off = min(max(p.off+d, 0), max(n-1, 0))
}

// selected is the whole line under the cursor.
func (p *tailPane) selected() (string, bool) {
	es := p.visible()
	if len(es) == 0 {
		return "", false
	}
	e := es[max(len(es)-1-p.off, 0)]
	return p.c.Styles.Muted.Render(e.at.Format("2006-01-02 15:04:05")+" ") + e.line, true
}

func (p *tailPane) lines(w, h int) []string {
	st := p.c.Styles
	es := p.visible()
	var right []string
	if n := failedNotifications(p.state); n > 0 {
		right = append(right, st.Danger.Render(fmt.Sprintf("notify: %d failed", n)))
	}
	if p.filter != "" {
		right = append(right, st.Muted.Render("filter "+p.filter))
	}
	p.off = min(p.off, max(len(es)-1, 0))
	if p.off > 0 {
		right = append(right, st.Muted.Render(fmt.Sprintf("line %s of %s", fmtInt(int64(len(es)-p.off)), fmtInt(int64(len(es))))))
	}
	out := []string{heading(st, focusTitle("JOURNAL", p.focused), w, strings.Join(right, st.Muted.Render(" · ")))}
	if len(es) == 0 {
		if p.filter != "" {
			return append(out, st.Muted.Render("no line matches the filter"))
		}
		return append(out, st.Muted.Render("no log lines yet"))
	}
	rows := h - 1
	if full := p.wrapped(es, w); h < manyLines && p.off == 0 && len(full) <= rows {
		return append(out, full...) // room for every line whole: no … at all
	}
	end := len(es) - max(p.off-(rows-1), 0)
	start := max(end-rows, 0)
	switch { // say what is cut: ⋮ N earlier
	case start > 0 && rows > 1:
		start++
		out = append(out, st.Muted.Render(fmt.Sprintf("⋮ %s earlier", fmtInt(int64(start)))))
	case start > 0: // one line: the count goes in the heading
		right = append(right, st.Muted.Render(fmt.Sprintf("⋮ %s earlier", fmtInt(int64(start)))))
		out[0] = heading(st, focusTitle("JOURNAL", p.focused), w, strings.Join(right, st.Muted.Render(" · ")))
	}
	cursor := len(es) - 1 - p.off
	for i := start; i < end; i++ {
		mark := ""
		if p.focused {
			mark = "  "
			if i == cursor {
				mark = st.Accent.Render("› ")
			}
		}
		out = append(out, truncate(mark+st.Muted.Render(es[i].at.Format("15:04:05")+" ")+es[i].line, w))
	}
	return out
}

// wrapped is every entry whole, long ones wrapped under their text; the
// newest carries the cursor when the pane has the focus.
func (p *tailPane) wrapped(es []tailEntry, w int) []string {
	st := p.c.Styles
	mark, indent := "", "                  " // under "15:04:05 step     "
	if p.focused {
		mark, indent = "  ", "  "+indent
	}
	var out []string
	for i, e := range es {
		m := mark
		if p.focused && i == len(es)-1 {
			m = st.Accent.Render("› ")
		}
		line := m + st.Muted.Render(e.at.Format("15:04:05")+" ") + e.line
		if width(line) <= w {
			out = append(out, line)
			continue
		}
		for j, l := range wrap(line, max(w-len(indent), 10)) {
			if j > 0 {
				l = indent + l
			}
			out = append(out, truncate(l, w))
		}
	}
	return out
}
