package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Theme is the semantic palette: the few colours that carry meaning. Panes
// never pick colours; they use Styles built from a Theme.
type Theme struct {
	OK     color.Color // done, within limits
	Warn   color.Color // waiting for a person, approaching a limit
	Danger color.Color // failed, over a threshold, alarm
	Muted  color.Color // pending, secondary text
	Live   color.Color // LIVE badge: this touches production
	Drill  color.Color // DRILL badge: practice
	Replay color.Color // REPLAY badge: reading a journal
	Watch  color.Color // WATCH badge: following someone else's run
	Text   color.Color // ordinary text
	Accent color.Color // the running step, notes
	Ink    color.Color // text on a coloured badge or banner
}

// DefaultTheme is a calm palette for dark terminals.
func DefaultTheme() Theme {
	return Theme{
		OK:     lipgloss.Color("#73C991"),
		Warn:   lipgloss.Color("#E5C07B"),
		Danger: lipgloss.Color("#FF5F5F"),
		Muted:  lipgloss.Color("#7F848E"),
		Live:   lipgloss.Color("#FF8700"),
		Drill:  lipgloss.Color("#AF87FF"),
		Replay: lipgloss.Color("#5FAFFF"),
		Watch:  lipgloss.Color("#5FD7D7"),
		Text:   lipgloss.Color("#D0D0D0"),
		Accent: lipgloss.Color("#87D7FF"),
		Ink:    lipgloss.Color("#101010"),
	}
}

// Styles are the named styles of the console, built once by DefaultStyles
// and shared through Common.
type Styles struct {
	Text, Muted, Bold  lipgloss.Style
	OK, Warn, Danger   lipgloss.Style
	Accent             lipgloss.Style
	Title              lipgloss.Style // runbook name in the header
	Section            lipgloss.Style // pane heading
	Rule               lipgloss.Style // the line after a heading, gutters
	BadgeLive          lipgloss.Style
	BadgeDrill         lipgloss.Style
	BadgeReplay        lipgloss.Style
	BadgeWatch         lipgloss.Style
	BadgeFinished      lipgloss.Style // the run ended: finished
	BadgeRolledBack    lipgloss.Style // rolled back, or stopped resumably
	BadgeFailed        lipgloss.Style // failed or aborted
	Alarm              lipgloss.Style // the trigger banner's first line
	AlarmText          lipgloss.Style // the banner's evidence lines
	Attention          lipgloss.Style // "waiting for you" bar
	Dialog             lipgloss.Style // ordinary dialog box
	DialogDanger       lipgloss.Style // destructive dialog box
	DialogTitle        lipgloss.Style
	DialogDangerTitle  lipgloss.Style
	Key, KeyDesc       lipgloss.Style // enabled key help
	KeyDisabled        lipgloss.Style // disabled key help
	Reason             lipgloss.Style // why keys are disabled
	Input              lipgloss.Style // a text field's text
	Cursor             lipgloss.Style // the cell under the cursor
	Placeholder        lipgloss.Style
	BarDone, BarTodo   lipgloss.Style // progress bars
	BarOver            lipgloss.Style // progress bar of a table over its reject threshold
	Timeline, Playhead lipgloss.Style // replay timeline
	Mark               lipgloss.Style // decision marks on the timeline
}

// DefaultStyles builds the console's styles from a theme.
func DefaultStyles(t Theme) *Styles {
	base := lipgloss.NewStyle()
	fg := func(c color.Color) lipgloss.Style { return base.Foreground(c) }
	badge := func(c color.Color) lipgloss.Style {
		return base.Foreground(t.Ink).Background(c).Bold(true).Padding(0, 1)
	}
	box := func(c color.Color) lipgloss.Style {
		return base.Border(lipgloss.RoundedBorder()).BorderForeground(c).Padding(0, 1)
	}
	return &Styles{
		Text:              fg(t.Text),
		Muted:             fg(t.Muted),
		Bold:              fg(t.Text).Bold(true),
		OK:                fg(t.OK),
		Warn:              fg(t.Warn),
		Danger:            fg(t.Danger).Bold(true),
		Accent:            fg(t.Accent),
		Title:             fg(t.Text).Bold(true),
		Section:           fg(t.Muted).Bold(true),
		Rule:              fg(t.Muted).Faint(true),
		BadgeLive:         badge(t.Live),
		BadgeDrill:        badge(t.Drill),
		BadgeReplay:       badge(t.Replay),
		BadgeWatch:        badge(t.Watch),
		BadgeFinished:     badge(t.OK),
		BadgeRolledBack:   badge(t.Warn),
		BadgeFailed:       badge(t.Danger),
		Alarm:             base.Foreground(t.Ink).Background(t.Danger).Bold(true),
		AlarmText:         fg(t.Danger),
		Attention:         fg(t.Warn).Bold(true),
		Dialog:            box(t.Accent),
		DialogDanger:      box(t.Danger),
		DialogTitle:       fg(t.Accent).Bold(true),
		DialogDangerTitle: fg(t.Danger).Bold(true),
		Key:               fg(t.Text).Bold(true),
		KeyDesc:           fg(t.Muted),
		KeyDisabled:       fg(t.Muted).Faint(true).Strikethrough(true),
		Reason:            fg(t.Warn),
		Input:             fg(t.Text),
		Cursor:            base.Reverse(true),
		Placeholder:       fg(t.Muted).Faint(true),
		BarDone:           fg(t.OK),
		BarTodo:           fg(t.Muted).Faint(true),
		BarOver:           fg(t.Danger),
		Timeline:          fg(t.Muted),
		Playhead:          fg(t.Replay).Bold(true),
		Mark:              fg(t.Warn),
	}
}

// ModeBadge renders the mode as a badge: LIVE, DRILL, REPLAY or WATCH.
func (s *Styles) ModeBadge(mode string) string {
	switch mode {
	case ModeDrill:
		return s.BadgeDrill.Render("DRILL")
	case ModeReplay:
		return s.BadgeReplay.Render("REPLAY")
	case ModeWatch:
		return s.BadgeWatch.Render("WATCH")
	default:
		return s.BadgeLive.Render("LIVE")
	}
}
