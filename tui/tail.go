package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

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
	// seen caches visible() for the state and the filter it was made for;
	// Update drops it with each new state.
	seen       []tailEntry
	seenFilter string
	seenOK     bool
}

func newTail(c *Common) *tailPane {
	p := &tailPane{c: c}
	p.render = p.lines
	p.want = p.wantLines
	return p
}

// Update implements pane.
func (p *tailPane) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(stateMsg); ok {
		p.state = msg.State
		p.seen, p.seenOK = nil, false
	}
	return nil
}

// tailEntry is one line of the tail before rendering: its text in two
// parts, styled by kind only when it is drawn.
type tailEntry struct {
	at         time.Time
	kind       tailKind
	head, text string // log: "step     " and the line; note: "✎ who: " and the text; decision: "" and the line
	stream     string // a log line's stream
}

// tailKind is what a tail entry comes from.
type tailKind uint8

const (
	tailLog tailKind = iota
	tailNote
	tailDecision
)

// plain is the entry's text without styles, as the filter sees it.
func (e tailEntry) plain() string { return e.head + e.text }

// rendered is the entry's line in its styles.
func (e tailEntry) rendered(st *Styles) string {
	switch e.kind {
	case tailNote:
		return st.Accent.Render(e.head) + st.Text.Render(e.text)
	case tailDecision:
		return st.Bold.Render(e.text)
	}
	style := st.Text
	switch e.stream {
	case "stderr", "warn":
		style = st.Warn
	case "error":
		style = st.Danger
	}
	return st.Muted.Render(e.head) + style.Render(e.text)
}

func (p *tailPane) entries() []tailEntry {
	s := p.state
	es := make([]tailEntry, 0, len(s.Log)+len(s.Notes)+len(s.Decisions))
	for _, l := range s.Log {
		who := l.StepID
		if who == "" {
			who = "run"
		}
		es = append(es, tailEntry{at: l.At, kind: tailLog, head: padRight(who, 8) + " ", text: l.Line, stream: l.Stream})
	}
	for _, n := range s.Notes {
		es = append(es, tailEntry{at: n.At, kind: tailNote, head: "✎ " + n.Actor + ": ", text: n.Text})
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
		es = append(es, tailEntry{at: d.At, kind: tailDecision, text: line})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].at.Before(es[j].at) })
	return es
}

// visible is the entries the filter keeps (cached until the state or the
// filter changes).
func (p *tailPane) visible() []tailEntry {
	if p.seenOK && p.seenFilter == p.filter {
		return p.seen
	}
	es := p.entries()
	if p.filter != "" {
		f := strings.ToLower(p.filter)
		kept := es[:0]
		for _, e := range es {
			if strings.Contains(strings.ToLower(e.plain()), f) {
				kept = append(kept, e)
			}
		}
		es = kept
	}
	p.seen, p.seenFilter, p.seenOK = es, p.filter, true
	return es
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
	return p.c.Styles.Muted.Render(e.at.Format("2006-01-02 15:04:05")+" ") + e.rendered(p.c.Styles), true
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
	if h < manyLines && p.off == 0 && len(es) <= rows { // each entry takes a line at least
		if full, ok := p.wrapped(es, w, rows); ok {
			return append(out, full...) // room for every line whole: no … at all
		}
	}
	start, end := p.span(len(es), rows)
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
		out = append(out, truncate(mark+st.Muted.Render(es[i].at.Format("15:04:05")+" ")+es[i].rendered(st), w))
	}
	return out
}

// span is the entries shown in rows lines, unwrapped, as [start, end):
// the cursor's line in view, the newest at the bottom when it follows.
func (p *tailPane) span(n, rows int) (start, end int) {
	end = n - max(p.off-(rows-1), 0)
	return max(end-rows, 0), end
}

// wantLines is the tail's natural height at width w, counted as lines
// renders it at manyLines (one line per entry, the oldest cut), without
// rendering: the layout asks it on every update.
func (p *tailPane) wantLines(int) int {
	es := p.visible()
	if len(es) == 0 {
		return 2
	}
	p.off = min(p.off, max(len(es)-1, 0))
	start, end := p.span(len(es), manyLines-1)
	return 1 + end - start // a cut start's "⋮ N earlier" takes the place of an entry
}

// wrapped is every entry whole, long ones wrapped under their text; the
// newest carries the cursor when the pane has the focus. ok is false when
// they take more than rows lines (and then the lines are not all made).
func (p *tailPane) wrapped(es []tailEntry, w, rows int) (out []string, ok bool) {
	st := p.c.Styles
	mark, indent := "", "                  " // under "15:04:05 step     "
	if p.focused {
		mark, indent = "  ", "  "+indent
	}
	for i, e := range es {
		m := mark
		if p.focused && i == len(es)-1 {
			m = st.Accent.Render("› ")
		}
		line := m + st.Muted.Render(e.at.Format("15:04:05")+" ") + e.rendered(st)
		if width(line) <= w {
			out = append(out, line)
		} else {
			for j, l := range wrap(line, max(w-len(indent), 10)) {
				if j > 0 {
					l = indent + l
				}
				out = append(out, truncate(l, w))
			}
		}
		if len(out) > rows {
			return nil, false
		}
	}
	return out, true
}
