package tui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/journal"
)

// Decider is the live run plain mode answers: the conductor.
type Decider interface {
	State() journal.State
	Send(engine.Command)
	// WaitFor returns once ok holds of the state, checked at every fold.
	WaitFor(ctx context.Context, ok func(*journal.State) bool) error
}

// NoAnswerError stops a plain run that waits for a person when no answer
// can come: standard input ended (or cannot be read), or the operator may
// not answer this question. The run is left resumable.
type NoAnswerError struct {
	Why      string // "standard input ended"
	Question string
	Journal  string
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("no answer (%s) while the run waited: %s — the run is stopped and can be resumed: tightrope resume %s",
		e.Why, e.Question, e.Journal)
}

// PlainAsker answers the run's questions in plain mode from lines read on
// standard input: it prints the question's accepted answers, reads a line,
// checks it by the console's rules and engine.Permit, and sends it, or says
// why not and asks again.
type PlainAsker struct {
	run      Decider
	p        *Plain
	operator string
	journal  string
	echo     bool        // print each line read (input that is not a terminal)
	lines    chan string // closed at the end of the input
	readErr  error       // why the input ended, read after lines is closed
	// stale is the question a previous process left pending in the
	// journal (it stopped while waiting): the resumed run asks it again
	// as a new question, so this one is never answered.
	stale journal.Pending
}

// NewPlainAsker reads answers from in for operator, printing through p;
// echo prints each line read (for input that is not a terminal, so the
// output shows what was answered). Reading starts at once, a line ahead of
// the questions (answers piped in wait for their question). It must be
// made before the run starts: a question pending then was left by a
// previous process and is not asked.
func NewPlainAsker(run Decider, in io.Reader, p *Plain, operator, journalPath string, echo bool) *PlainAsker {
	a := &PlainAsker{run: run, p: p, operator: operator, journal: journalPath, echo: echo, lines: make(chan string)}
	if s := run.State(); s.Pending != nil {
		a.stale = *s.Pending
	}
	go a.read(in)
	return a
}

// read feeds lines until the input ends. The goroutine outlives Run when
// the input is a terminal nobody types into; the process ends with the run.
func (a *PlainAsker) read(in io.Reader) {
	defer close(a.lines)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		a.lines <- sc.Text()
	}
	a.readErr = sc.Err()
}

// Run answers questions until ctx ends (the run is over) and returns nil,
// or returns a *NoAnswerError when a question can get no answer: the
// caller stops the run with it, resumably.
func (a *PlainAsker) Run(ctx context.Context) error {
	answered := a.stale // the last question a decision was sent for
	for {
		var pd journal.Pending
		err := a.run.WaitFor(ctx, func(s *journal.State) bool {
			if s.Outcome != "" {
				return true
			}
			now := current(s) // a question, or a pause nobody else can release
			if now == nil || samePending(*now, answered) {
				return false
			}
			pd = *now
			return true
		})
		if err != nil || pd.Kind == "" {
			return nil // the run ended
		}
		cmds, err := a.ask(ctx, pd)
		if err != nil || cmds == nil {
			return err
		}
		if !a.sent(ctx, pd, cmds) && cmds[0].Kind != engine.CmdCheck && pd.Kind != awaitUnpause {
			answered = pd // taken: wait for the next question (a pause released is gone by now)
		}
	}
}

// awaitUnpause is the question plain mode asks of a run paused with
// nothing else pending (a resumed run that ended paused): nobody else can
// release it.
const awaitUnpause = "unpause"

// current is the question s asks now, as the asker names it.
func current(s *journal.State) *journal.Pending {
	if s.Pending == nil && s.Paused && s.Outcome == "" {
		return &journal.Pending{AwaitingPayload: journal.AwaitingPayload{Kind: awaitUnpause,
			Question: "the run is paused by " + s.PausedBy + ": release the pause?"}}
	}
	return s.Pending
}

// samePending tells the same question apart from the next one.
func samePending(a, b journal.Pending) bool {
	return a.StepID == b.StepID && a.Kind == b.Kind && a.Since.Equal(b.Since) && a.Question == b.Question
}

// ask prints the question's answers and reads lines until one is
// accepted. It returns the commands to send, nil when the run ended or
// the question went away, or a *NoAnswerError.
func (a *PlainAsker) ask(ctx context.Context, pd journal.Pending) ([]engine.Command, error) {
	s := a.run.State()
	kind := engine.CmdDecide
	switch pd.Kind {
	case journal.AwaitManual:
		kind = engine.CmdConfirm
	case awaitUnpause:
		kind = engine.CmdResume
	}
	if why := engine.MayAct(&s, a.operator, kind, pd.StepID); why != "" {
		a.say("cannot answer: %s", why)
		return nil, a.noAnswer(why, pd)
	}
	a.prompt(&s, &pd)
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil, nil
		case line, ok = <-a.lines:
		}
		if !ok {
			why := "standard input ended"
			if a.readErr != nil {
				why = "standard input cannot be read: " + a.readErr.Error()
			}
			return nil, a.noAnswer(why, pd)
		}
		s = a.run.State()
		if now := current(&s); now == nil || !samePending(*now, pd) {
			return nil, nil // answered or gone in the meantime: look again
		}
		if a.echo {
			a.say("> %s", line)
		}
		cmds, err := parseAnswer(&s, &pd, a.operator, line)
		if err == nil {
			for _, c := range cmds {
				if why := engine.Permit(&s, c); why != "" {
					err = fmt.Errorf("%s", why)
					break
				}
			}
		}
		if err == nil {
			return cmds, nil
		}
		a.say("not sent: %v", err)
		a.say("answer with one of:")
		for _, h := range answerHelp(&s, &pd) {
			a.say("    %s", h)
		}
	}
}

// prompt prints what the run waits for and the answers it takes.
func (a *PlainAsker) prompt(s *journal.State, pd *journal.Pending) {
	if pd.Kind == journal.AwaitManual {
		st, _ := s.StepOf(pd.StepID, s.RollingBack)
		items := planStep(*s, pd.StepID).Checklist
		for i, done := range st.Checked {
			mark := "[ ]"
			if done {
				mark = "[x]"
			}
			item := ""
			if i < len(items) {
				item = items[i]
			}
			a.say("    %s %d %s", mark, i+1, item)
		}
	}
	a.say("answer (one line) with one of:")
	for _, h := range answerHelp(s, pd) {
		a.say("    %s", h)
	}
}

// sent sends cmds and waits until the run has taken them (the items
// ticked, the question answered or refused), so the next line is read
// against the state they made. It reports whether the run refused them
// (the question is then asked again).
func (a *PlainAsker) sent(ctx context.Context, pd journal.Pending, cmds []engine.Command) bool {
	refused := a.p.refusals.Load()
	for _, c := range cmds {
		a.run.Send(c)
	}
	_ = a.run.WaitFor(ctx, func(s *journal.State) bool {
		if now := current(s); s.Outcome != "" || a.p.refusals.Load() != refused || now == nil || !samePending(*now, pd) {
			return true
		}
		if cmds[0].Kind != engine.CmdCheck {
			return false
		}
		st, _ := s.StepOf(pd.StepID, s.RollingBack)
		for _, c := range cmds {
			if c.Index < len(st.Checked) && !st.Checked[c.Index] {
				return false
			}
		}
		return true
	})
	return a.p.refusals.Load() != refused
}

// noAnswer says how to decide later, and stops the run with it.
func (a *PlainAsker) noAnswer(why string, pd journal.Pending) error {
	s := a.run.State()
	example := strings.Join(exampleAnswers(&s, &pd), `\n`)
	a.say("no answer: %s while the run waits for %s.", why, waitingFor(&s, &pd))
	a.say("the run stops here and can be resumed; decide with one of:")
	a.say("    tightrope resume %s                        (in a terminal: the console)", a.journal)
	a.say("    printf '%s\\n' | tightrope resume %s --plain   (answers on standard input)", example, a.journal)
	if pd.Kind != journal.AwaitRerun {
		a.say("    tightrope resume %s --auto-decide continue|rollback   (scripted, by the decision-maker)", a.journal)
	}
	return &NoAnswerError{Why: why, Question: pd.Question, Journal: a.journal}
}

// waitingFor names who the question is for.
func waitingFor(s *journal.State, pd *journal.Pending) string {
	switch pd.Kind {
	case journal.AwaitManual, journal.AwaitRerun:
		return "an answer from anyone at the run"
	case awaitUnpause:
		return "someone to release the pause"
	}
	return "a decision by " + decider(*s)
}

// exampleAnswers is a typical answer to pd, as lines.
func exampleAnswers(s *journal.State, pd *journal.Pending) []string {
	switch pd.Kind {
	case journal.AwaitManual:
		return []string{"tick all", "confirm"}
	case journal.AwaitGate:
		return []string{journal.ChoiceGo}
	case journal.AwaitRerun:
		return []string{journal.ChoiceRerun}
	case awaitUnpause:
		return []string{"resume"}
	}
	return []string{journal.ChoiceRollback + " " + migrationWord(s)}
}

// say prints one line of the conversation, unprefixed by time: it is not
// an event.
func (a *PlainAsker) say(format string, args ...any) {
	a.p.printf("%s\n", safetext.Line(fmt.Sprintf(format, args...)))
}
