package tui

import (
	"time"

	"github.com/tightrope/tightrope/journal"
)

// stateMsg carries a new snapshot from the session. The root keeps it and
// fans it out to every pane.
type stateMsg struct{ State journal.State }

// sessionDoneMsg says the session's Updates channel closed: the run is over
// and the last snapshot has been delivered.
type sessionDoneMsg struct{}

// livenessMsg carries a new judgement of a watched run's writer (its
// heartbeat) from a LivenessSource session.
type livenessMsg struct{ Liveness Liveness }

// tickMsg re-renders the running clock once a second while a run is live.
type tickMsg time.Time
