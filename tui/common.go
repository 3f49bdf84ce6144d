package tui

import (
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/journal"
)

// Modes the console runs in (Options.Mode).
const (
	ModeLive   = "live"   // a real cutover: commands go to the conductor
	ModeDrill  = "drill"  // a practice run with an injected fault
	ModeReplay = "replay" // a journal played back; read-only
	ModeWatch  = "watch"  // following someone else's run; read-only
)

// Options configure the console.
type Options struct {
	Operator string           // who sits at the keyboard (--as); the Actor of every command
	Mode     string           // ModeLive, ModeDrill, ModeReplay or ModeWatch; empty means live
	Now      func() time.Time // clock for elapsed times and ages; nil means time.Now
	Journal  string           // the run's journal file: the rejects browser reads its rows
	// Initial is the run's state as the journal has it before the session
	// sends anything: the first frame shows it at once (opening.go).
	Initial *journal.State
}

// Common is shared by every pane: the screen size, the styles, the key map
// and the run's fixed facts. It is passed by pointer, never held in a
// package variable.
type Common struct {
	Width, Height int
	Styles        *Styles
	Keys          *KeyMap
	Operator      string
	Mode          string
	Now           func() time.Time

	journalPath string       // Options.Journal
	rejects     RejectSource // opened on first use by the rejects browser
	opening     bool         // Options.Initial is shown; the session has sent nothing yet
}

// readOnly reports whether commands are pointless in this mode, and why.
func (c *Common) readOnly() string {
	switch c.Mode {
	case ModeReplay:
		return "replay is read-only"
	case ModeWatch:
		return "watching — read-only"
	}
	return ""
}

// clockAt is the "now" of a state: the wall clock while a live run is
// going, the time of the last event otherwise (replay, finished runs), so
// that a replay shows ages as they were.
func (c *Common) clockAt(s journal.State) time.Time {
	if !s.FinishedAt.IsZero() {
		return s.FinishedAt
	}
	if c.Mode == ModeReplay || c.Now == nil {
		return s.LastAt
	}
	if now := c.Now(); now.After(s.LastAt) {
		return now
	}
	return s.LastAt
}

// elapsed is the run's elapsed time at clockAt.
func (c *Common) elapsed(s journal.State) time.Duration {
	if s.StartedAt.IsZero() {
		return 0
	}
	return max(c.clockAt(s).Sub(s.StartedAt), 0)
}

// pane is the contract of a region of the screen (STYLE 6): it sees
// messages (stateMsg above all), is given a size, renders within it, and
// says how many lines it would like at a given width so the layout can
// share the height out.
type pane interface {
	Update(msg tea.Msg) tea.Cmd
	SetSize(width, height int)
	View() string
	Want(width int) int
}

// manyLines is the budget a pane gets when asked for its natural height.
const manyLines = 1000

// frame holds a pane's size and its render function, and implements the
// size half of the pane contract. want, when set, counts the lines render
// would make at manyLines without making them (a pane whose natural
// height is long to render: steps, tail); else Want renders.
type frame struct {
	w, h   int
	render func(w, h int) []string
	want   func(w int) int
}

// stateFrame is the frame of a pane that draws the run's state and takes
// nothing else from the messages: it keeps the latest stateMsg.
type stateFrame struct {
	frame
	state journal.State
}

// Update implements pane.
func (f *stateFrame) Update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(stateMsg); ok {
		f.state = m.State
	}
	return nil
}

// SetSize implements pane.
func (f *frame) SetSize(w, h int) { f.w, f.h = w, h }

// View implements pane: exactly the given size, never more.
func (f *frame) View() string { return fit(f.render(f.w, f.h), f.w, f.h) }

// Want implements pane.
func (f *frame) Want(w int) int {
	if f.want != nil {
		return f.want(w)
	}
	return len(f.render(w, manyLines))
}

// heading is a pane's title line: "STEPS ──────── right".
func heading(st *Styles, title string, w int, right string) string {
	left := st.Section.Render(title) + " "
	if right != "" {
		right = " " + right
	}
	fill := w - width(left) - width(right)
	if fill < 1 {
		return truncate(left+right, w)
	}
	return left + st.Rule.Render(strings.Repeat("─", fill)) + right
}

// ranked is a line with its importance (lower is more important).
type ranked struct {
	line string
	rank int
}

// mostImportant keeps the n most important lines, in their order.
func mostImportant(lines []ranked, n int) []string {
	idx := make([]int, len(lines))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lines[idx[a]].rank < lines[idx[b]].rank })
	if n < len(idx) {
		idx = idx[:max(n, 0)]
	}
	sort.Ints(idx)
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = lines[j].line
	}
	return out
}
