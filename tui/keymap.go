package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap declares every key of the console once. Help is composed from
// these bindings; disabled ones are shown with the reason (see action).
type KeyMap struct {
	// Run: manual steps, gates, triggers, notes.
	Tick     key.Binding // tick the next checklist item
	Confirm  key.Binding // confirm a manual step
	Go       key.Binding // gate: go
	NoGo     key.Binding // gate: no-go
	Decide   key.Binding // reopen the trigger decision dialog
	Rollback key.Binding // trigger: roll back
	Continue key.Binding // trigger: continue with a justification
	Note     key.Binding // add a note to the timeline
	Quit     key.Binding
	Hide     key.Binding // hide the decision dialog (the alarm stays)
	Rejects  key.Binding // the rejected rows (rejects browser)
	Assess   key.Binding // the assessment's summary (assessment.go)
	// RejectsInField opens the rejects browser from a dialog whose text
	// field takes the letters.
	RejectsInField key.Binding
	Help           key.Binding // the help overlay: every key and why some are unavailable

	// Operator controls (controls.go).
	Pause     key.Binding // pause or resume the run
	Skip      key.Binding // skip the pending or failed step (rerun dialog: do not run it again)
	Retry     key.Binding // run the failed step again
	RetryStep key.Binding // step_failed trigger dialog: retry
	Abort     key.Binding // stop the run, no rollback
	NextField key.Binding // next field of a form
	PrevField key.Binding // previous field of a form

	// Dialogs.
	Yes       key.Binding
	No        key.Binding
	Submit    key.Binding
	Cancel    key.Binding
	Interrupt key.Binding // ctrl+c inside a text field

	// Replay.
	PlayPause    key.Binding
	Faster       key.Binding
	Slower       key.Binding
	NextDecision key.Binding
	PrevDecision key.Binding
	EventFwd     key.Binding
	EventBack    key.Binding
	TimeFwd      key.Binding
	TimeBack     key.Binding
	SeekStart    key.Binding
	SeekEnd      key.Binding
}

// DefaultKeyMap is the console's key map.
func DefaultKeyMap() *KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &KeyMap{
		Tick:     b([]string{"space", "x"}, "space", "tick next item"),
		Confirm:  b([]string{"enter"}, "enter", "confirm step"),
		Go:       b([]string{"g"}, "g", "go"),
		NoGo:     b([]string{"n"}, "n", "no-go"),
		Decide:   b([]string{"d"}, "d", "decide"),
		Rollback: b([]string{"r"}, "r", "roll back"),
		Continue: b([]string{"c"}, "c", "continue…"),
		Note:     b([]string{"N", "shift+n", ":"}, "N", "note"),
		Quit:     b([]string{"q", "ctrl+c"}, "q", "quit"),
		Hide:     b([]string{"esc"}, "esc", "hide"),
		Rejects:  b([]string{"e", "ctrl+r"}, "e", "rejected rows"),
		Assess:   b([]string{"a"}, "a", "assessment"),
		Help:     b([]string{"?"}, "?", "keys"),

		RejectsInField: b([]string{"ctrl+r"}, "ctrl+r", "rejected rows"),

		Pause:     b([]string{"p"}, "p", "pause"),
		Skip:      b([]string{"s"}, "s", "skip…"),
		Retry:     b([]string{"R", "shift+r"}, "R", "retry"),
		RetryStep: b([]string{"t"}, "t", "retry step"),
		Abort:     b([]string{"A", "shift+a"}, "A", "abort…"),
		NextField: b([]string{"tab", "down"}, "tab", "next field"),
		PrevField: b([]string{"shift+tab", "up"}, "shift+tab", "previous field"),

		Yes:       b([]string{"y"}, "y", "yes, send"),
		No:        b([]string{"n"}, "n", "no"),
		Submit:    b([]string{"enter"}, "enter", "send"),
		Cancel:    b([]string{"esc"}, "esc", "cancel"),
		Interrupt: b([]string{"ctrl+c"}, "ctrl+c", "quit"),

		PlayPause:    b([]string{"space"}, "space", "play/pause"),
		Faster:       b([]string{"+", "="}, "+", "faster"),
		Slower:       b([]string{"-", "_"}, "-", "slower"),
		NextDecision: b([]string{"right", "l"}, "→", "next decision"),
		PrevDecision: b([]string{"left", "h"}, "←", "prev decision"),
		EventFwd:     b([]string{"."}, ".", "next event"),
		EventBack:    b([]string{","}, ",", "prev event"),
		TimeFwd:      b([]string{"]"}, "]", "+5% time"),
		TimeBack:     b([]string{"["}, "[", "-5% time"),
		SeekStart:    b([]string{"home", "0"}, "home", "start"),
		SeekEnd:      b([]string{"end", "$"}, "end", "end"),
	}
}

// verb is what an action does when its key is pressed.
type verb int

const (
	vNone verb = iota // the zero action does nothing
	vQuit
	vNote
	vTick
	vConfirm
	vGo
	vNoGo
	vDecide
	vRollback
	vContinue
	vHide
	vYes
	vSubmit
	vCancel
	vPlayPause
	vFaster
	vSlower
	vNextDecision
	vSeekStart
	vPrevDecision
	vEventFwd
	vEventBack
	vTimeFwd
	vTimeBack
	vSeekEnd
	vPause
	vSkip
	vRetry
	vRetryStep
	vAbort
	vRerun
	vNextField
	vPrevField
	vRejects
	vAssess
	vHelp
	vFocusNext
	vFocusPrev
	vLeave
	vScrollUp
	vScrollDown
	vPageUp
	vPageDown
	vTop
	vBottom
	vExpand
	vFilter
)

// action is a binding as the current situation offers it. When Reason is
// set the binding is disabled and Reason says why; pressing its key shows
// the reason instead of acting.
type action struct {
	key.Binding
	Reason string
	do     verb
	quiet  bool // left out of the help line (a disabled one's press still says why)
}

// allow offers b, enabled.
func allow(b key.Binding, do verb) action { return action{Binding: b, do: do} }

// deny offers b disabled, with the reason shown in help and on a press.
func deny(b key.Binding, do verb, reason string) action {
	b.SetEnabled(false)
	return action{Binding: b, Reason: reason, do: do}
}

// offer is allow when reason is empty, deny otherwise.
func offer(b key.Binding, do verb, reason string) action {
	if reason != "" {
		return deny(b, do, reason)
	}
	return allow(b, do)
}

// quietly keeps a disabled action out of the help line (a press still
// shows its reason); an enabled action is listed as usual.
func quietly(a action) action {
	a.quiet = a.Reason != ""
	return a
}

// unlisted keeps an action out of the help line; its key still works.
func unlisted(a action) action {
	a.quiet = true
	return a
}

// pressed reports whether msg is one of the action's keys, enabled or not.
func (a action) pressed(msg tea.KeyPressMsg) bool {
	b := a.Binding
	b.SetEnabled(true)
	return key.Matches(msg, b)
}

// pressedAction finds the first action whose key msg is.
func pressedAction(msg tea.KeyPressMsg, actions []action) (action, bool) {
	for _, a := range actions {
		if a.pressed(msg) {
			return a, true
		}
	}
	return action{}, false
}
