package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// headerPane shows what run this is, in what mode, who decides, and how the
// clock stands against the objectives; in replay also where the playhead is.
type headerPane struct {
	frame
	c      *Common
	state  journal.State
	replay *ReplayStatus // nil unless replaying
	closed bool          // the session ended
	live   *Liveness     // the writer's heartbeat, when watching
}

func newHeader(c *Common) *headerPane {
	h := &headerPane{c: c}
	h.render = h.lines
	return h
}

// Update implements pane.
func (h *headerPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case stateMsg:
		h.state = msg.State
	case sessionDoneMsg:
		h.closed = true
	case livenessMsg:
		h.live = &msg.Liveness
	}
	return nil
}

// stopped reports whether the watched run's writer has fallen silent.
func (h *headerPane) stopped() bool {
	return h.live != nil && h.live.Stopped && h.state.Outcome == "" && !h.closed
}

func (h *headerPane) lines(w, _ int) []string {
	st, s := h.c.Styles, h.state
	rb := s.Runbook
	name, id, dm := "run "+short(s.RunbookSHA), "", ""
	if rb != nil {
		name, id, dm = rb.Name, rb.MigrationID, rb.DecisionMaker
	}
	var right string
	switch {
	case dm != "" && dm == h.c.Operator:
		right = st.Muted.Render("you are ") + st.Bold.Render(h.c.Operator) + st.OK.Render(" (decision-maker)")
	case dm != "":
		right = st.Muted.Render("decides: ") + st.Bold.Render(dm)
		if h.c.Operator != "" {
			right += st.Muted.Render(" · you are ") + st.Bold.Render(h.c.Operator)
		}
	case h.c.Operator != "":
		right = st.Muted.Render("you are ") + st.Bold.Render(h.c.Operator)
	}
	if h.c.Mode == ModeWatch { // a watcher is nobody in the run: say so, and who decides
		right = st.Warn.Render("read-only")
		if dm != "" {
			right += st.Muted.Render(" · decides: ") + st.Bold.Render(dm)
		}
	}
	// The runbook name gives way before the migration id and the mode.
	badge := h.badge() + " "
	tail := ""
	if id != "" {
		tail += st.Muted.Render(" · ") + st.Bold.Render(id)
	}
	if isDrill(h.c, s) && s.Fault != "" {
		tail += st.Muted.Render(" · fault ") + st.Warn.Render(s.Fault)
	}
	room := w - width(badge) - width(tail) - width(right) - 1
	if room < 8 {
		right = ""
		room = w - width(badge) - width(tail)
	}
	left := badge + st.Title.Render(truncate(name, max(room, 1))) + tail
	clock, status := h.clockLine(clockAll), h.statusLine()
	if width(clock)+1+width(status) > w {
		// The projected end gives way first, unless it is past the window:
		// then the RTO and RPO, and then the expected duration, which do
		// not change, give way to it.
		clock = h.clockLine(clockAll &^ clockEnd)
		if h.c.pastWindow(h.state) {
			for _, parts := range []clockParts{clockAll &^ clockObjectives, clockEnd} {
				if c := h.clockLine(parts); width(c)+1+width(status) <= w {
					clock = c
					break
				}
			}
		}
	}
	out := []string{spread(left, right, w), spread(clock, status, w)}
	if h.replay != nil {
		out = append(out, h.replayLine(w))
	}
	return out
}

// clockParts are the parts of the clock line after the elapsed time and
// the window, which are always shown.
type clockParts int

const (
	clockExpected   clockParts = 1 << iota // the expected duration
	clockEnd                               // the projected end (lateness.go)
	clockObjectives                        // RTO and RPO
	clockAll        = clockExpected | clockEnd | clockObjectives
)

// clockLine: elapsed vs expected vs window, the projected end, RTO and
// RPO, the parts asked for.
func (h *headerPane) clockLine(want clockParts) string {
	st, s := h.c.Styles, h.state
	el := h.c.elapsed(s)
	if h.stopped() { // the clock stopped with the writer
		el = min(el, max(h.live.LastSign.Sub(s.StartedAt), 0))
	}
	elStyle := st.Bold
	parts := []string{}
	if rb := s.Runbook; rb != nil {
		o := rb.Objectives
		overrun := 1.5
		if rb.Triggers.Overrun != nil {
			overrun = *rb.Triggers.Overrun
		}
		switch {
		case o.Window > 0 && el > o.Window,
			o.Expected > 0 && float64(el) > float64(o.Expected)*overrun:
			elStyle = st.Danger
		case o.Expected > 0 && el > o.Expected:
			elStyle = st.Warn
		}
		if o.Expected > 0 && want&clockExpected != 0 {
			parts = append(parts, st.Muted.Render("expected ")+fmtObjective(o.Expected))
		}
		if o.Window > 0 {
			parts = append(parts, st.Muted.Render("window ")+fmtObjective(o.Window))
		}
		if end := h.c.projectedEnd(s); end != "" && want&clockEnd != 0 {
			parts = append(parts, end)
		}
		tail := ""
		if want&clockObjectives != 0 {
			tail = st.Muted.Render(" · RTO ") + fmtObjective(o.RTO) + st.Muted.Render(" · RPO ") + fmtObjective(o.RPO)
		}
		return st.Muted.Render("elapsed ") + elStyle.Render(fmtClock(el)) + prefixJoin(st.Muted.Render(" / "), parts) + tail
	}
	return st.Muted.Render("elapsed ") + elStyle.Render(fmtClock(el))
}

func prefixJoin(sep string, parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return sep + strings.Join(parts, sep)
}

// statusLine says in a few words where the run stands, after the count
// of failed notifications if any (the room may believe people were told).
func (h *headerPane) statusLine() string {
	st := h.c.Styles
	status := h.where()
	if h.c.opening {
		status = h.openingStatus()
	}
	if l := h.live; l != nil && h.state.Outcome == "" && !h.closed && !l.Stopped {
		sign := st.Muted.Render("last sign of life " + fmtAgo(l.ago(h.c.Now())) + " ago")
		if status == "" {
			status = sign
		} else {
			status += st.Muted.Render(" · ") + sign
		}
	}
	if n := failedNotifications(h.state); n > 0 {
		note := st.Danger.Render(fmt.Sprintf("notify: %d failed", n))
		if status == "" {
			return note
		}
		return note + st.Muted.Render(" · ") + status
	}
	return status
}

// where is the run's position: finished, rolling back, deciding, paused,
// waiting, or the step running.
func (h *headerPane) where() string {
	st, s := h.c.Styles, h.state
	switch {
	case s.Outcome == journal.OutcomeFinished:
		return st.OK.Render("✓ finished")
	case s.Outcome == journal.OutcomeRolledBack:
		return st.Warn.Render("↺ rolled back")
	case s.Outcome != "":
		return st.Danger.Render("✗ " + s.Outcome)
	case h.closed:
		return st.Muted.Render("session ended")
	case h.stopped():
		return st.Danger.Render("■ stopped — no heartbeat for " + fmtAgo(h.live.ago(h.c.Now())))
	case s.RollingBack:
		return st.Danger.Render("↺ ROLLING BACK")
	case s.Pending != nil && s.Pending.Kind == journal.AwaitTrigger:
		return st.Danger.Render("⚠ decision required")
	case s.Paused:
		return st.Attention.Render("⏸ PAUSED by " + orNobody(s.PausedBy))
	case s.Pending != nil:
		return st.Warn.Render("⏸ waiting: " + s.Pending.Kind + " " + s.Pending.StepID)
	case s.Current != "":
		return st.Accent.Render("▶ " + s.Current)
	}
	return ""
}

// replayLine: play state, speed, position, and a timeline with the playhead
// and the decision points.
func (h *headerPane) replayLine(w int) string {
	st, r := h.c.Styles, h.replay
	icon := "▶"
	switch {
	case r.Done:
		icon = "■"
	case r.Paused:
		icon = "⏸"
	}
	pos := fmt.Sprintf("%s %s  event %d/%d", icon, fmtSpeed(r.Speed), r.Index, r.Total)
	if !r.At.IsZero() {
		pos += "  " + r.At.Format("15:04:05") + " +" + fmtClock(r.At.Sub(r.Start))
	}
	if r.Done {
		pos += "  end"
	}
	if r.Gap != nil {
		pos += "  resumed after " + fmtDur(r.Gap.Length()) + " not running"
	}
	left := st.Playhead.Render(pos) + "  "
	bar := w - width(left)
	if bar < 10 {
		return truncate(left, w)
	}
	return left + h.timeline(bar)
}

// timeline draws the replay position over the run's duration, with ◆ at
// decision points.
func (h *headerPane) timeline(n int) string {
	st, r := h.c.Styles, h.replay
	cells := []rune(strings.Repeat("─", n))
	for _, g := range r.Gaps { // not running: dotted, with its length when it fits
		from, to := clampIndex(r.FractionOf(g.From), n), clampIndex(r.FractionOf(g.To), n)
		for i := from; i <= to; i++ {
			cells[i] = '┄'
		}
		if label := []rune(" " + fmtDur(g.Length()) + " "); to-from+1 >= len(label)+2 {
			copy(cells[from+(to-from+1-len(label))/2:], label)
		}
	}
	for _, m := range r.Marks {
		cells[clampIndex(m, n)] = '◆'
	}
	head := clampIndex(r.Fraction(), n)
	var b strings.Builder
	for i, c := range cells {
		switch {
		case i == head:
			b.WriteString(st.Playhead.Render("●"))
		case c == '◆':
			b.WriteString(st.Mark.Render("◆"))
		case c != '─':
			b.WriteString(st.Mark.Render(string(c))) // a gap and its length
		case i < head:
			b.WriteString(st.Playhead.Render("━"))
		default:
			b.WriteString(st.Timeline.Render("─"))
		}
	}
	return b.String()
}

func clampIndex(f float64, n int) int {
	return min(max(int(f*float64(n-1)+0.5), 0), n-1)
}

func fmtSpeed(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.1f×", s)
	}
	return fmt.Sprintf("%.0f×", s)
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	if sha == "" {
		return "(no runbook)"
	}
	return sha
}
