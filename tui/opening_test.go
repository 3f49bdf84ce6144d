package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/runbooks"
)

// TestFirstFrameShowsTheRunbookWhileConnectionsOpen: with Options.Initial
// the very first frame (before the session sends anything) has the runbook
// and its steps, and says the connections are opening; the first snapshot
// replaces that.
func TestFirstFrameShowsTheRunbookWhileConnectionsOpen(t *testing.T) {
	t.Parallel()
	initial := baseState()
	rb := *initial.Runbook
	rb.Connections = []runbooks.Connection{{Name: "source", Driver: "postgres"}, {Name: "target", Driver: "mysql"}}
	initial.Runbook = &rb
	m := New(newFakeSession(), Options{Operator: "alice", Mode: ModeLive, Now: fixedNow, Initial: &initial})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	mustContain(t, m, "Shop database to PostgreSQL", "MIG-2026-042", "⋯ opening connections: source, target…", "Put the shop into maintenance")
	m = update(t, m, stateMsg{State: manualState()})
	mustNotContain(t, m, "opening connections")
	mustContain(t, m, "MANUAL freeze")
}
