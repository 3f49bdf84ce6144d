// Package tui is the face of tightrope: a Bubble Tea console that renders a
// run's journal.State for the migration lead, sends operator commands to the
// engine, replays journals, and prints plain lines for scripts and CI.
//
// The root Model is a router (model.go): it keeps the latest State, re-arms a
// command that reads the next snapshot from the Session, fans window sizes
// and snapshots out to the panes, and gives keys to the top dialog or to the
// actions the current situation offers (actions.go). Panes render one part of
// the State each and never call lipgloss.NewStyle themselves: they use the
// Styles in Common.
package tui
