package tui

import (
	"time"

	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
)

// Model is the console's root. It is a router: it keeps the latest State,
// fans snapshots and sizes out to the panes, and gives keys to the top
// dialog or to the actions the situation offers (actions.go).
type Model struct {
	sess   engine.Session
	player Player // set when replaying a Player session
	c      *Common

	state  journal.State
	have   bool      // a snapshot has arrived
	closed bool      // the session's Updates closed: the run is over
	live   *Liveness // the writer's heartbeat, when the session is a LivenessSource

	header  *headerPane
	steps   *stepsPane
	detail  *detailPane
	through *throughputPane
	cdc     *cdcPane
	errs    *errorsPane
	ready   *readinessPane
	tail    *tailPane
	body    *layout

	dialogs   []*dialog               // modal stack, top last
	dismissed time.Time               // Pending.Since of a trigger whose dialog was hidden
	flash     string                  // one line of feedback, until the next key
	flashBad  bool                    // the flash is a refusal
	sent      map[string]map[int]bool // checklist ticks sent, not yet journaled

	browser *rejectsBrowser // the rejected rows, over everything but the header and banner (overlays.go)
	help    bool            // the key help overlay is open
	card    *drillCard      // the drill's scorecard, at its end (drill_scorecard.go)

	assessed   *assessBox // the assessment's summary (assessment.go)
	assessSeen int64      // the seq of the last assessment opened by itself
	rang       time.Time  // Pending.Since of the last alarm the bell rang for

	focus      int              // the pane that takes the scroll keys (focus.go)
	fkeys      focusKeys        // its keys
	expanded   *viewport.Model  // a journal line shown whole
	tailFilter *textinput.Model // the journal filter being typed
}

// New builds the console over a session. With Options.Mode ModeReplay and
// a session that is a Player, the replay keys steer it.
func New(sess engine.Session, opts Options) Model {
	if opts.Mode == "" {
		opts.Mode = ModeLive
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Common{
		Styles: DefaultStyles(DefaultTheme()), Keys: DefaultKeyMap(),
		Operator: opts.Operator, Mode: opts.Mode, Now: opts.Now, journalPath: opts.Journal,
	}
	m := Model{
		sess: sess, c: c,
		header: newHeader(c), steps: newSteps(c), detail: newDetail(c),
		through: newThroughput(c), cdc: newCDC(c), errs: newErrors(c), ready: newReadiness(c), tail: newTail(c),
		sent: map[string]map[int]bool{}, body: &layout{}, fkeys: newFocusKeys(),
	}
	m.detail.sent = m.sent
	noColorAlarm(c.Styles)
	m.start(opts.Initial)
	if p, ok := sess.(Player); ok && opts.Mode == ModeReplay {
		m.player = p
		m.refreshReplay()
	}
	return m
}

// Init starts reading snapshots (and the writer's heartbeat when
// watching), and the clock while a run is live.
func (m Model) Init() tea.Cmd {
	return tea.Batch(waitForState(m.sess.Updates()), m.waitForLiveness(), m.tick())
}

// waitForLiveness reads one judgement of the writer's heartbeat, if the
// session gives them; the root issues it again after each.
func (m Model) waitForLiveness() tea.Cmd {
	ls, ok := m.sess.(LivenessSource)
	if !ok {
		return nil
	}
	ch := ls.Liveness()
	return func() tea.Msg {
		l, ok := <-ch
		if !ok {
			return nil
		}
		return livenessMsg{Liveness: display(l)}
	}
}

// waitForState reads one snapshot; the root issues it again after each
// (STYLE 9). It captures the channel, not the model.
func waitForState(ch <-chan journal.State) tea.Cmd {
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return sessionDoneMsg{}
		}
		return stateMsg{State: displayState(s)}
	}
}

// tick re-renders the elapsed clock once a second, except in replay where
// time is the journal's.
func (m Model) tick() tea.Cmd {
	if m.c.Mode == ModeReplay || m.closed {
		return nil
	}
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// panes lists every pane, for fan-out.
func (m Model) panes() []pane {
	return []pane{m.header, m.steps, m.detail, m.through, m.cdc, m.errs, m.ready, m.tail}
}

// Update routes a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m, took := m.routeScorecard(msg)
	if took {
		m.relayout()
		return m, nil
	}
	if m, took = m.routeAssessment(msg); took {
		m.relayout()
		return m, nil
	}
	next, cmd, ok := m.routeOverlay(msg)
	if ok {
		next.relayout()
		return next, cmd
	}
	m = next
	if next, cmd, ok := m.routeFocusInput(msg); ok {
		next.relayout()
		return next, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
	case stateMsg:
		m.state, m.have = msg.State, true
		m.c.opening = false
		m.fanOut(msg)
		m.syncDialogs()
		m = m.followAssessment()
		m.pruneSent()
		m.refreshReplay()
		if m.browser != nil {
			m.browser.follow(m.state)
		}
		cmd = tea.Batch(waitForState(m.sess.Updates()), m.ring())
	case livenessMsg:
		m.live = &msg.Liveness
		m.fanOut(msg)
		cmd = m.waitForLiveness()
	case sessionDoneMsg:
		m.closed = true
		m.fanOut(msg)
		m.dropCommandDialogs()
		cmd = m.loadScorecard()
	case scorecardMsg:
		m = m.openScorecard(msg)
	case tickMsg:
		cmd = m.tick()
	case tea.KeyPressMsg:
		m, cmd = m.handleKey(msg)
	case tea.PasteMsg:
		if d := m.top(); d != nil && d.hasInput {
			d.field().Update(msg)
		}
	}
	m.relayout()
	return m, cmd
}

func (m Model) fanOut(msg tea.Msg) {
	for _, p := range m.panes() {
		p.Update(msg)
	}
}

// refreshReplay copies the player's position for the header.
func (m *Model) refreshReplay() {
	if m.player == nil {
		return
	}
	st := m.player.Status()
	m.header.replay = &st
}

// pruneSent forgets ticks the journal now shows.
func (m Model) pruneSent() {
	for id, idx := range m.sent {
		ss := stepByID(m.state, id)
		for i := range idx {
			if i < len(ss.Checked) && ss.Checked[i] {
				delete(idx, i)
			}
		}
		if len(idx) == 0 || m.state.Pending == nil || m.state.Pending.StepID != id {
			delete(m.sent, id)
		}
	}
}

// send stamps a command with the operator and hands it to the session.
// It is called from Update, in key order, so ticks and confirms arrive in
// the order they were pressed.
func (m Model) send(cmd engine.Command) {
	cmd.Actor = m.c.Operator
	m.sess.Send(cmd)
}

// View renders the screen: header, alarm or attention banner, the panes,
// the footer, and the top dialog over them.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion // the wheel scrolls
	v.WindowTitle = m.windowTitle()
	return v
}

func (m Model) windowTitle() string {
	t := "tightrope"
	if rb := m.state.Runbook; rb != nil {
		t += " · " + rb.MigrationID
	}
	if pd := m.state.Pending; pd != nil && pd.Kind == journal.AwaitTrigger {
		return "⚠ ALARM — " + t
	}
	return t
}
