package tui

import (
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// Layout thresholds: two columns from wideWidth; in one column the steps
// and the step detail sit side by side from splitWidth.
const (
	wideWidth  = 110
	splitWidth = 70
)

// layout is where the panes go at the current size. It is computed in
// Update (relayout), so View only draws.
type layout struct {
	w, h           int
	header, banner int // heights
	footer         int
	cols           [][]slot // one or two columns of stacked panes
	colW           []int
}

// slot is a pane with the height it was given.
type slot struct {
	p pane
	h int
}

// section is a candidate for a column. The layout gives each its minimum
// in order of priority (lower first), dropping those that do not fit; then
// shares the rest out up to what each wants, then up to its full natural
// height, and the leftover to the flex section.
type section struct {
	p               pane
	min, want, full int
	prio            int
	flex            bool
}

// sec is a section whose natural height at width w is capped at limit for
// the first sharing round (0: no cap).
func sec(p pane, w, minH, limit, prio int) section {
	full := p.Want(w)
	want := full
	if limit > 0 {
		want = min(full, limit)
	}
	return section{p: p, min: minH, want: want, full: full, prio: prio}
}

// relayout sizes every pane for the current screen and state.
func (m *Model) relayout() {
	W, H := m.c.Width, m.c.Height
	L := m.body
	*L = layout{w: W, h: H}
	if W <= 0 || H <= 0 {
		return
	}
	L.header = min(m.header.Want(W), H)
	L.banner = len(m.bannerLines(W))
	L.footer = len(m.footerLines(W))
	// On a tiny screen the banner and footer shrink before the header.
	for L.header+L.banner+L.footer > H && L.banner > 1 {
		L.banner--
	}
	for L.header+L.banner+L.footer > H && L.footer > 1 {
		L.footer--
	}
	L.header = min(L.header, max(H-L.banner-L.footer, 0))
	m.header.SetSize(W, L.header)
	bodyH := max(H-L.header-L.banner-L.footer, 0)
	if bodyH == 0 {
		return
	}

	if W >= wideWidth {
		lw := min(max(W*2/5, 44), 84)
		rw := W - lw - 3
		tail := sec(m.tail, rw, 2, 0, 2)
		tail.flex = true
		L.colW = []int{lw, rw}
		right := []section{sec(m.through, rw, 2, max(6, bodyH/3), 0)}
		if m.cdc.active() {
			right = append(right, sec(m.cdc, rw, m.cdc.minLines(rw), max(5, bodyH/4), 1))
		}
		L.cols = [][]slot{
			place([]section{
				sec(m.steps, lw, 4, max(10, bodyH*55/100), 0),
				sec(m.detail, lw, 3, max(6, bodyH/3), 1),
				sec(m.ready, lw, 2, 0, 2),
			}, lw, bodyH),
			place(append(right,
				sec(m.errs, rw, 2, max(6, bodyH/3), 1),
				tail,
			), rw, bodyH),
		}
		return
	}

	var top []section
	if W >= splitWidth {
		sp := &splitPane{l: m.steps, r: m.detail, gutter: m.gutter()}
		top = []section{sec(sp, W, 4, max(6, bodyH*45/100), 0)}
	} else {
		top = []section{sec(m.steps, W, 4, max(5, bodyH/3), 0), sec(m.detail, W, 3, max(4, bodyH/4), 1)}
	}
	tail := sec(m.tail, W, 2, 0, 5)
	tail.flex = true
	top = append(top, sec(m.through, W, 2, max(4, bodyH/4), 2))
	if m.cdc.active() {
		top = append(top, sec(m.cdc, W, m.cdc.minLines(W), max(3, bodyH/5), 2))
	}
	L.colW = []int{W}
	L.cols = [][]slot{place(append(top,
		sec(m.errs, W, 2, max(4, bodyH/4), 3),
		sec(m.ready, W, 2, 0, 4),
		tail,
	), W, bodyH)}
}

// place allocates heights to sections and sizes their panes; sections that
// got nothing are dropped.
func place(secs []section, w, h int) []slot {
	order := make([]int, len(secs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return secs[order[a]].prio < secs[order[b]].prio })
	alloc := make([]int, len(secs))
	left := h
	for _, i := range order {
		if secs[i].min <= left {
			alloc[i] = secs[i].min
			left -= secs[i].min
		}
	}
	for _, target := range []func(section) int{
		func(s section) int { return s.want },
		func(s section) int { return s.full },
	} {
		for _, i := range order {
			if alloc[i] > 0 {
				add := min(max(target(secs[i])-alloc[i], 0), left)
				alloc[i] += add
				left -= add
			}
		}
	}
	for _, i := range order {
		if alloc[i] > 0 && secs[i].flex {
			alloc[i] += left
			left = 0
		}
	}
	var out []slot
	for i, s := range secs {
		if alloc[i] > 0 {
			s.p.SetSize(w, alloc[i])
			out = append(out, slot{p: s.p, h: alloc[i]})
		}
	}
	return out
}

// gutter separates columns.
func (m Model) gutter() string { return m.c.Styles.Rule.Render(" │ ") }

// bodyView draws the columns.
func (m Model) bodyView() string {
	L := m.body
	bodyH := L.h - L.header - L.banner - L.footer
	if bodyH <= 0 || len(L.cols) == 0 {
		return ""
	}
	views := make([]string, len(L.cols))
	for i, col := range L.cols {
		var parts []string
		for _, s := range col {
			parts = append(parts, s.p.View())
		}
		views[i] = fit(strings.Split(strings.Join(parts, "\n"), "\n"), L.colW[i], bodyH)
	}
	if len(views) == 1 {
		return views[0]
	}
	return joinColumns(views[0], views[1], L.colW[0], L.colW[1], m.gutter())
}

// render draws the whole screen, exactly the terminal's size.
func (m Model) render() string {
	L := m.body
	if L.w <= 0 || L.h <= 0 {
		return ""
	}
	var parts []string
	if L.header > 0 {
		parts = append(parts, m.header.View())
	}
	if L.banner > 0 {
		parts = append(parts, fit(m.bannerLines(L.w), L.w, L.banner))
	}
	if b := m.bodyView(); b != "" {
		parts = append(parts, b)
	}
	if L.footer > 0 {
		fl := m.footerLines(L.w)
		parts = append(parts, fit(fl[len(fl)-L.footer:], L.w, L.footer))
	}
	screen := fit(strings.Split(strings.Join(parts, "\n"), "\n"), L.w, L.h)
	if d := m.top(); d != nil {
		screen = m.overlay(screen, d)
	}
	return m.overlaysView(screen)
}

// splitPane puts two panes side by side (steps and detail on a narrow
// screen); its children get messages from the root directly.
type splitPane struct {
	l, r   pane
	w, h   int
	gutter string
}

func splitLeft(w int) int { return min(max(w*2/5, 28), 46) }

// Update implements pane.
func (s *splitPane) Update(tea.Msg) tea.Cmd { return nil }

// SetSize implements pane.
func (s *splitPane) SetSize(w, h int) {
	s.w, s.h = w, h
	lw := splitLeft(w)
	s.l.SetSize(lw, h)
	s.r.SetSize(w-lw-width(s.gutter), h)
}

// Want implements pane.
func (s *splitPane) Want(w int) int {
	lw := splitLeft(w)
	return max(s.l.Want(lw), s.r.Want(w-lw-width(s.gutter)))
}

// View implements pane.
func (s *splitPane) View() string {
	lw := splitLeft(s.w)
	return joinColumns(s.l.View(), s.r.View(), lw, s.w-lw-width(s.gutter), s.gutter)
}
