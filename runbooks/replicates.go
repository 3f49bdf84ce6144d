package runbooks

import "slices"

// ReplicatesBack tells whether a switch step, once switched, replicates
// its new side (to) back to its old side (from) through tightrope's own
// change capture: strategy cdc, or strategy blue-green with a switch that
// names no replicate step (replication:) — in both, only when a cdc-start
// step captures the same pair, whose stream the switch drains. It is the
// runbook's shape only; whether that cdc-start ran is the engine's.
func (r *Runbook) ReplicatesBack(st Step) bool {
	if st.Kind != KindSwitch {
		return false
	}
	if r.Strategy != "cdc" && (r.Strategy != "blue-green" || st.Replication != "") {
		return false
	}
	return slices.ContainsFunc(r.Steps, func(s Step) bool {
		return s.Kind == KindCDCStart && s.From == st.From && s.To == st.To
	})
}

// CaptureBlueGreen tells whether a switch is a blue-green switch carried
// by tightrope's own capture (strategy blue-green, ReplicatesBack): it
// proves the way back and asks go before writes stop, then freezes its
// old side itself, so no freeze step needs to come before it.
func (r *Runbook) CaptureBlueGreen(st Step) bool {
	return r.Strategy == "blue-green" && r.ReplicatesBack(st)
}
