package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

// RejectSource is where the rejects browser reads the run's rejected rows:
// the journal (journal.RejectReader), so live, watch and replay read the
// same rows.
type RejectSource interface {
	Groups(ctx context.Context, f journal.RejectFilter) ([]journal.RejectGroup, error)
	Page(ctx context.Context, f journal.RejectFilter, offset, limit int) ([]journal.RejectRecord, error)
}

// rejectsCache is how many rows the browser keeps around the cursor; it
// asks the journal for another page only when the window leaves them, so
// 100,000 rejects cost the same as 100.
const rejectsCache = 200

// rejectsBrowser shows the run's rejected rows over the console, grouped
// by table and reason. It lies above any dialog: closing it returns to the
// dialog as it was, typed text included.
type rejectsBrowser struct {
	c   *Common
	src RejectSource
	err string // why the rows cannot be read

	filter    journal.RejectFilter
	groups    []journal.RejectGroup
	total     int
	seen      int64 // rejects counted in the state when last read
	pos, top  int   // selected row, first row on screen (absolute)
	cache     []journal.RejectRecord
	cacheAt   int
	expanded  bool // the selected row shown whole
	filtering bool
	input     textinput.Model
	tbl       table.Model
	keys      browserKeys
}

// browserKeys are the browser's keys, for its key line and the help overlay.
type browserKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Filter, Expand, Close                   key.Binding
	Apply, CancelFilter                     key.Binding
}

func newBrowserKeys() browserKeys {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return browserKeys{
		Up:           b([]string{"up", "k"}, "↑/k", "up"),
		Down:         b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:       b([]string{"pgup", "b"}, "pgup", "page up"),
		PageDown:     b([]string{"pgdown", "f", "space"}, "pgdn", "page down"),
		Top:          b([]string{"home", "g"}, "home", "first"),
		Bottom:       b([]string{"end", "G"}, "end", "last"),
		Filter:       b([]string{"/"}, "/", "filter"),
		Expand:       b([]string{"enter"}, "enter", "whole row"),
		Close:        b([]string{"esc", "e", "q"}, "esc", "back"),
		Apply:        b([]string{"enter"}, "enter", "apply filter"),
		CancelFilter: b([]string{"esc"}, "esc", "cancel"),
	}
}

// openRejects opens the browser at the state's rejects.
func openRejects(c *Common, src RejectSource, s journal.State) *rejectsBrowser {
	b := &rejectsBrowser{c: c, src: src, keys: newBrowserKeys()}
	b.input = textinput.New()
	b.input.Prompt = "/"
	b.input.Placeholder = "text in the table, key, column, value, reason"
	b.input.CharLimit = 200
	b.tbl = table.New(table.WithStyles(table.Styles{
		Header: c.Styles.Muted.Padding(0, 1), Cell: lipgloss.NewStyle().Padding(0, 1), Selected: c.Styles.Bold,
	}))
	if src == nil {
		b.err = "no journal to read the rejected rows from"
		return b
	}
	b.follow(s)
	if pd := s.Pending; pd != nil && pd.Trigger != nil && pd.Trigger.Table != "" {
		b.pos = b.groupStart(pd.Trigger.Table) // the alarm's table first
	}
	return b
}

// groupStart is the position of the first row of a table (0 when it has
// none).
func (b *rejectsBrowser) groupStart(table string) int {
	n := 0
	for _, g := range b.groups {
		if g.Table == table {
			return n
		}
		n += int(g.Count)
	}
	return 0
}

// follow re-reads the rows when the state's rejects changed (new rejects
// in a live run, a seek in a replay).
func (b *rejectsBrowser) follow(s journal.State) {
	var n int64
	for _, t := range s.Tables {
		for _, c := range t.ByReason {
			n += c
		}
	}
	bound := s.LastSeq
	if n == b.seen && bound == b.filter.BeforeSeq && b.groups != nil {
		return
	}
	b.seen, b.filter.BeforeSeq = n, bound
	b.reload()
}

// reload reads the groups again and the page around the cursor.
func (b *rejectsBrowser) reload() {
	if b.src == nil {
		return
	}
	groups, err := b.src.Groups(context.Background(), b.filter)
	if err != nil {
		b.err = err.Error()
		return
	}
	b.err, b.groups, b.total = "", groups, 0
	if b.groups == nil {
		b.groups = []journal.RejectGroup{}
	}
	for _, g := range groups {
		b.total += int(g.Count)
	}
	b.cache, b.cacheAt = nil, 0
	b.pos = min(b.pos, max(b.total-1, 0))
	b.top = min(b.top, b.pos)
}

// row is the record at absolute position i, reading a page when needed.
func (b *rejectsBrowser) row(i int) (journal.RejectRecord, bool) {
	if i < 0 || i >= b.total || b.src == nil {
		return journal.RejectRecord{}, false
	}
	if i < b.cacheAt || i >= b.cacheAt+len(b.cache) {
		at := max(i-rejectsCache/2, 0)
		page, err := b.src.Page(context.Background(), b.filter, at, rejectsCache)
		if err != nil {
			b.err = err.Error()
			return journal.RejectRecord{}, false
		}
		b.cache, b.cacheAt = page, at
		if i >= at+len(page) {
			return journal.RejectRecord{}, false
		}
	}
	return b.cache[i-b.cacheAt], true
}

// Update handles a key or the mouse wheel; it reports whether the browser
// closed.
func (b *rejectsBrowser) Update(msg tea.Msg, rows int) (closed bool, cmd tea.Cmd) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			b.move(-3, rows)
		case tea.MouseWheelDown:
			b.move(3, rows)
		}
	case tea.PasteMsg:
		if b.filtering {
			b.input, cmd = b.input.Update(msg)
		}
	case tea.KeyPressMsg:
		k := b.keys
		if b.filtering {
			switch {
			case key.Matches(msg, k.Apply):
				b.filtering = false
				b.input.Blur()
				b.filter.Text = b.input.Value()
				b.pos, b.top = 0, 0
				b.reload()
			case key.Matches(msg, k.CancelFilter):
				b.filtering = false
				b.input.Blur()
				b.input.SetValue(b.filter.Text)
			default:
				b.input, cmd = b.input.Update(msg)
			}
			return false, cmd
		}
		switch {
		case key.Matches(msg, k.Close):
			if b.expanded && msg.String() == "esc" {
				b.expanded = false
				return false, nil
			}
			return true, nil
		case key.Matches(msg, k.Up):
			b.move(-1, rows)
		case key.Matches(msg, k.Down):
			b.move(1, rows)
		case key.Matches(msg, k.PageUp):
			b.move(-max(rows-1, 1), rows)
		case key.Matches(msg, k.PageDown):
			b.move(max(rows-1, 1), rows)
		case key.Matches(msg, k.Top):
			b.move(-b.total, rows)
		case key.Matches(msg, k.Bottom):
			b.move(b.total, rows)
		case key.Matches(msg, k.Expand):
			b.expanded = !b.expanded
		case key.Matches(msg, k.Filter):
			b.filtering = true
			cmd = b.input.Focus()
		}
	}
	return false, cmd
}

// move shifts the cursor by d rows and scrolls so it stays on screen.
func (b *rejectsBrowser) move(d, rows int) {
	b.pos = min(max(b.pos+d, 0), max(b.total-1, 0))
	rows = max(rows, 1)
	if b.pos < b.top {
		b.top = b.pos
	}
	if b.pos >= b.top+rows {
		b.top = b.pos - rows + 1
	}
}

// value is the rejected value as it may be shown: escaped, and marked
// when the row has no such column.
func value(r journal.RejectRecord) string {
	v, ok := r.Value()
	if !ok {
		return "—"
	}
	return safetext.Line(v)
}

// View renders the browser in w×h.
func (b *rejectsBrowser) View(w, h int) string {
	st := b.c.Styles
	right := fmt.Sprintf("%s rows", fmtInt(int64(b.total)))
	if b.total > 0 {
		right = fmt.Sprintf("row %s of %s", fmtInt(int64(b.pos+1)), fmtInt(int64(b.total)))
	}
	if b.filter.Text != "" {
		right += " · filter " + safetext.Line(b.filter.Text)
	}
	out := []string{heading(st, "REJECTED ROWS", w, st.Muted.Render(truncate(right, max(w-16, 0))))}
	foot := b.footer(w)
	if b.err != "" {
		out = append(out, st.Danger.Render(truncate("✗ "+safetext.Line(b.err), w)))
		return fit(append(out, foot...), w, h)
	}
	if b.total == 0 {
		msg := "✓ no rejected rows"
		if b.filter.Text != "" {
			msg = "no rejected row matches the filter"
		}
		out = append(out, st.OK.Render(msg))
		return fit(padTo(out, h-len(foot), foot), w, h)
	}

	detail := b.detailLines(w)
	room := h - len(out) - len(foot) - len(detail) - 1 // table header
	groupLines := b.groupLines(w, min(max(room-3, 1), 4))
	out = append(out, groupLines...)
	rows := max(room-len(groupLines), 1)
	b.move(0, rows)
	out = append(out, strings.Split(b.tableView(w, rows), "\n")...)
	out = append(out, detail...)
	return fit(padTo(out, h-len(foot), foot), w, h)
}

// padTo puts foot at the bottom of h lines.
func padTo(lines []string, h int, foot []string) []string {
	for len(lines) < h {
		lines = append(lines, "")
	}
	return append(lines, foot...)
}

// rows visible in the table for the last View; used by Update to page.
func (b *rejectsBrowser) pageRows(w, h int) int {
	room := h - 1 - len(b.footer(w)) - len(b.detailLines(w)) - 1
	return max(room-len(b.groupLines(w, min(max(room-3, 1), 4))), 1)
}

// groupLines lists table · reason · count, as many per line as fit, at most
// n lines, saying how many more groups there are when it cuts.
func (b *rejectsBrowser) groupLines(w, n int) []string {
	st := b.c.Styles
	var lines []string
	line := ""
	for i, g := range b.groups {
		item := st.Bold.Render(safetext.Line(g.Table)) + st.Muted.Render(" · ") + st.Text.Render(safetext.Line(g.Reason)) +
			" " + st.Text.Render(fmtInt(g.Count))
		sep := st.Muted.Render("   ")
		if line != "" && width(line)+width(sep)+width(item) > w {
			lines = append(lines, line)
			line = ""
			if len(lines) == n {
				more := fmt.Sprintf("⋮ %d more groups", len(b.groups)-i)
				lines[n-1] = truncate(lines[n-1], max(w-width(more)-1, 0)) + " " + st.Muted.Render(more)
				return lines
			}
		}
		if line != "" {
			line += sep
		}
		line += item
	}
	return append(lines, truncate(line, w))
}

// tableView renders the visible window only, through bubbles' table.
func (b *rejectsBrowser) tableView(w, rows int) string {
	keyW, colW, valW, reasonW, tableW := 14, 12, 16, 16, 12
	if w >= 160 {
		keyW, colW, valW, reasonW, tableW = 24, 16, 28, 18, 16
	}
	if w < 100 {
		keyW, colW, valW, reasonW, tableW = 10, 8, 10, 14, 9
	}
	fixed := 1 + keyW + colW + valW + reasonW + tableW + 7*2 // seven cells of padding 1+1
	detailW := max(w-fixed-2, 0)
	cols := []table.Column{{Title: "", Width: 1}, {Title: "TABLE", Width: tableW}, {Title: "REASON", Width: reasonW},
		{Title: "KEY", Width: keyW}, {Title: "COLUMN", Width: colW}, {Title: "VALUE", Width: valW}, {Title: "DETAIL", Width: detailW}}
	var data []table.Row
	cursor := 0
	for i := b.top; i < b.top+rows; i++ {
		r, ok := b.row(i)
		if !ok {
			break
		}
		mark := " "
		if i == b.pos {
			mark, cursor = "›", i-b.top
		}
		data = append(data, table.Row{mark, safetext.Line(r.Table), safetext.Line(r.Reason), safetext.Line(string(r.Key)),
			safetext.Line(r.Column), value(r), safetext.Line(r.Detail)})
	}
	b.tbl.SetColumns(cols)
	b.tbl.SetRows(data)
	b.tbl.SetWidth(w)
	b.tbl.SetHeight(len(data) + 1)
	b.tbl.SetCursor(cursor)
	lines := strings.Split(b.tbl.View(), "\n")
	for i := range lines {
		lines[i] = truncate(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

// detailLines is the selected row: reason sentence, key, value; expanded,
// the whole row too.
func (b *rejectsBrowser) detailLines(w int) []string {
	st := b.c.Styles
	r, ok := b.row(b.pos)
	if !ok {
		return nil
	}
	out := []string{heading(st, "SELECTED", w, st.Muted.Render("reject #"+fmtInt(r.ID)+" · step "+safetext.Line(r.StepID)))}
	lines := []string{
		st.Danger.Render(safetext.Line(r.Reason)) + st.Text.Render(": "+safetext.Line(r.Detail)),
		st.Muted.Render("key ") + st.Text.Render(safetext.Line(string(r.Key))) +
			st.Muted.Render(" · column ") + st.Text.Render(safetext.Line(r.Column)) +
			st.Muted.Render(" · value ") + st.Bold.Render(value(r)),
	}
	if !b.expanded {
		for _, l := range lines {
			out = append(out, truncate(l, w))
		}
		return out
	}
	for _, l := range lines {
		out = append(out, wrap(l, w)...)
	}
	out = append(out, wrap(st.Muted.Render("row ")+st.Text.Render(safetext.Line(string(r.Row))), w)...)
	return out
}

// footer is the filter being typed, or the browser's keys.
func (b *rejectsBrowser) footer(w int) []string {
	st := b.c.Styles
	k := b.keys
	if b.filtering {
		b.input.SetWidth(max(w-30, 10))
		return []string{truncate(b.input.View(), w), keyHelp(st, []key.Binding{k.Apply, k.CancelFilter}, w)}
	}
	expand := k.Expand
	if b.expanded {
		expand.SetHelp("enter", "fold row")
	}
	return []string{keyHelp(st, []key.Binding{k.Close, k.Filter, expand, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, w)}
}
