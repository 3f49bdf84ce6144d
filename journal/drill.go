package journal

import "time"

// FaultInjected records a drill fault the moment tightrope injected it.
const FaultInjected Type = "fault_injected" // FaultPayload

// FaultPayload is one injected drill fault. At is the moment it took
// effect (the event may be appended a moment later, never earlier).
type FaultPayload struct {
	Spec   string    `json:"spec"`             // as given: bad-rows:products.rating:8000:not-integer
	Kind   string    `json:"kind"`             // the fault's registered name: bad-rows
	At     time.Time `json:"at"`               // when it took effect
	Target string    `json:"target,omitempty"` // what it hit: a connection, a table, a snapshot
	Rows   int64     `json:"rows,omitempty"`   // rows changed, for faults that change rows
	Detail string    `json:"detail,omitempty"` // one sentence: what was done, and any adjustment
	Ended  bool      `json:"ended,omitempty"`  // a fault with a duration is over (network-drop healed)
	Error  string    `json:"error,omitempty"`  // the fault could not be injected: why (the drill fails)
}

// DrillPlan is what a drill set out to do, bound to the run in its first
// event: the scorecard is judged against it.
type DrillPlan struct {
	ID       string   `json:"id"`                 // short id, also in clone names
	Scenario string   `json:"scenario,omitempty"` // named bundle of faults, if any
	Faults   []string `json:"faults"`             // fault specs, as given
	Expect   string   `json:"expect,omitempty"`   // continue | rollback: the outcome the drill expects
	Clone    bool     `json:"clone,omitempty"`    // the connections are throw-away copies
	Demo     bool     `json:"demo,omitempty"`     // the drill runs on the demo's world
	// Connections describes each drill connection (never a secret): what
	// the drill ran against, in place of the runbook's live connections.
	Connections map[string]string `json:"connections,omitempty"`
	// LiveDir is the live runbook's directory: the drill's shell steps and
	// notify commands run there, as a live run's would (the drill's own
	// runbook is written elsewhere), a resume's too.
	LiveDir string `json:"live_dir,omitempty"`
}
