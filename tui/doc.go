// Package tui is the face of tightrope: a Bubble Tea console that renders a
// run's journal.State for the migration lead, sends operator commands to the
// engine, replays journals, follows a run from a second terminal (Watch),
// and prints plain lines for scripts and CI.
//
// The root Model is a router (model.go): it keeps the latest State, re-arms a
// command that reads the next snapshot from the Session, fans window sizes
// and snapshots out to the panes, and gives keys to the top dialog or to the
// actions the current situation offers (actions.go). Panes render one part of
// the State each and never call lipgloss.NewStyle themselves: they use the
// Styles in Common.
//
// # Decisions and operator controls
//
// A chain of dialogs builds one engine.Command and sends it only at its last
// step; esc goes back one dialog and sends nothing (dialog.go, submit.go).
// Whatever cannot be taken back ends by typing the migration id.
//
//	key  where                 what                               who
//	d    alarm / rerun banner  reopen the decision or the question
//	r    trigger dialog        roll back (type the id)            decision-maker
//	c    trigger dialog        continue: a justification of ≥ 10  decision-maker
//	                           characters and the new limit, in
//	                           the trigger's unit ("8%", "12",
//	                           "200%", "45s"; prefilled, ≥ the
//	                           observed value; empty: acknowledge
//	                           at the observed value); past a
//	                           failed step: continue without it
//	                           (justification, then type the id)
//	t    step_failed dialog    retry the failed step (y confirms) decision-maker
//	y/s  rerun dialog          run the step again / skip it       anyone
//	                           (skip asks a reason)
//	p    run                   pause / resume                     anyone
//	s    run                   skip the waiting manual step, the  decision-maker
//	                           failed step the run holds on, or
//	                           the next step not started (reason,
//	                           then type the id)
//	R    run                   retry the failed step the run      decision-maker
//	                           holds on (y confirms)
//	A    run                   abort, no rollback (reason, then   decision-maker
//	                           type the id); not during a rollback
//	N    anywhere              note on the timeline               anyone
//	e    anywhere (ctrl+r in   the rejected rows (browser)        anyone
//	     a text field)
//	a    anywhere but a text   the assessment's summary, when the anyone
//	     field                 run has one (assessment.go)
//	?    anywhere but a text   every key here, and why the        anyone
//	     field                 unavailable ones are
//	tab  run                   focus the rejects pane, then the   anyone
//	                           journal (shift+tab back, esc out)
//
// # Looking, not deciding
//
// Two layers lie above the dialogs and never touch the dialog stack, so
// closing them returns to a decision exactly as it was left, typed text
// included (overlays.go): the rejects browser and the help overlay. The
// browser (rejects_browser.go) reads the journal's rejects through
// journal.RejectReader a page of 200 rows at a time, grouped by table and
// reason, bounded by the State's LastSeq so a replay shows the rows its
// cursor has reached; bubbles' table draws only the visible window. With
// a pane focused (focus.go) enter acts on that pane (the rejects: the
// browser; the journal: the whole line in a viewport), so the keys it
// takes are offered disabled elsewhere with the reason. The key line
// (keyhelp.go) never cuts a key's name: it drops reasons, then
// descriptions from the last key back, then the last keys, and ends with
// "? more".
//
// In replay (replay_timeline.go) every seek pauses; going back folds the
// journal again from its first event:
//
//	space        play / pause       + -          faster / slower
//	→ l / ← h    next / previous decision point (trigger, question, decision)
//	. / ,        next / previous event
//	] / [        forward / back a twentieth of the run's time (≥ 1 s)
//	home 0 / end $  the first / the last event
//
// The header shows the playhead's wall-clock time and offset from the
// start; the timeline marks decisions (◆) and the gaps when no process
// ran the run (┄, with their length), and says "resumed after … not
// running" when the playhead has just come through one.
//
// Pause, resume and notes are anyone's: they hold or annotate the run and
// are undone by the next press. Skip, retry and abort change what the run
// does, so they are the decision-maker's, like gates and triggers; others
// see the key disabled with the reason ("Only alice may skip — you are
// bob"). The rerun question after a crash is anyone's: whoever is at the
// console can check whether the step had finished. The engine enforces
// the same rules and journals refusals; every command carries the
// operator (--as) as its actor.
//
// A trigger's alarm stays under the header until someone decides, whether
// its dialog is shown or hidden, and names who decides. Early warnings
// (window, RTO, notifier) share one quieter line; failed notifications are
// counted in the header and the journal pane.
package tui
