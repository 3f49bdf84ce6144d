package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// runStep journals a step's start and end around its action.
func (c *Conductor) runStep(ctx context.Context, step runbooks.Step, rollback bool) error {
	c.injectFaults(ctx, step, false)
	if _, err := c.emit(c.opts.Operator, step.ID, journal.StepStarted, journal.StepStartedPayload{
		Kind: step.Kind, Title: step.DisplayTitle(), Rollback: rollback,
	}); err != nil {
		return err
	}
	start := c.opts.Now()
	err := c.action(ctx, step)
	c.injectFaults(ctx, step, true)
	if err != nil && ctx.Err() != nil && !c.aborted.Load() {
		// The run was interrupted from outside (the console closed, a
		// signal, no answer on standard input): the step did not fail. It
		// stays running in the journal, as after a crash, and a resume
		// folds it Interrupted and takes it up again.
		c.logf(step.ID, "warn", "interrupted after %s (%s): not finished; it is taken up again on resume",
			c.opts.Now().Sub(start).Round(100*time.Millisecond), interruptCause(ctx))
		return err
	}
	fin := journal.StepFinishedPayload{Status: journal.StatusDone, DurationMS: c.opts.Now().Sub(start).Milliseconds()}
	if errors.Is(err, errSkipped) {
		fin.Status, fin.Error = journal.StatusSkipped, err.Error()
	} else if err != nil {
		fin.Status, fin.Error = journal.StatusFailed, err.Error()
		if errors.Is(err, ErrRollback) {
			fin.Error = "stopped: " + err.Error()
		}
	}
	if _, jerr := c.emit(c.opts.Operator, step.ID, journal.StepFinished, fin); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

// interruptCause says why ctx ended: its cause when one was given (plain
// mode: no answer on standard input), else the console or a signal.
func interruptCause(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, ctx.Err()) {
		return cause.Error()
	}
	return "the console closed or a signal"
}

// stepAction runs one step of its kind.
type stepAction func(c *Conductor, ctx context.Context, step runbooks.Step) error

// stepActions is every step kind this build can run, with its action: a new
// kind is one entry here (and its entry in runbooks/kinds.go). Check refuses
// a runbook with a kind missing here before anything runs.
var stepActions = map[string]stepAction{
	runbooks.KindManual:     (*Conductor).manual,
	runbooks.KindGate:       (*Conductor).gate,
	runbooks.KindShell:      (*Conductor).shell,
	runbooks.KindSQL:        (*Conductor).sqlStep,
	runbooks.KindCopy:       (*Conductor).copyStep,
	runbooks.KindVerify:     (*Conductor).verifyStep,
	runbooks.KindSnapshot:   (*Conductor).snapshotStep,
	runbooks.KindRestore:    (*Conductor).restoreStep,
	runbooks.KindWait:       (*Conductor).wait,
	runbooks.KindAssess:     (*Conductor).assessStep,
	runbooks.KindFreeze:     (*Conductor).freezeStep,
	runbooks.KindUnfreeze:   (*Conductor).unfreezeStep,
	runbooks.KindSwitch:     (*Conductor).switchStep,
	runbooks.KindCDCStart:   (*Conductor).cdcStart,
	runbooks.KindCDCCatchup: (*Conductor).cdcCatchup,

	// blue-green (switch_bluegreen.go)
	runbooks.KindReplicate: (*Conductor).replicateStep,
}

// action runs what the step's kind does.
func (c *Conductor) action(ctx context.Context, step runbooks.Step) error {
	if run, ok := stepActions[step.Kind]; ok {
		return run(c, ctx, step)
	}
	return fmt.Errorf("step kind %q is not supported by this version", step.Kind)
}

// wait waits for the step's duration; a change stream's trigger that
// decided a rollback ends it at once.
func (c *Conductor) wait(ctx context.Context, step runbooks.Step) error {
	select {
	case <-time.After(step.Duration):
		return nil
	case <-c.cdcFailedCh():
		return c.cdcFailed()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Conductor) manual(ctx context.Context, step runbooks.Step) error {
	q := step.Instructions
	if q == "" {
		q = step.DisplayTitle()
	}
	who := step.Owner
	if who == "" {
		who = "the operator"
	}
	cmd, err := c.await(ctx, step.ID, journal.AwaitingPayload{
		Kind: journal.AwaitManual, Question: q, Choices: []string{journal.ChoiceConfirm}, Who: who,
	}, nil)
	if err == nil && cmd.Choice == journal.ChoiceSkip {
		return fmt.Errorf("%w by %s: %s", errSkipped, cmd.Actor, cmd.Text)
	}
	return err
}

func (c *Conductor) gate(ctx context.Context, step runbooks.Step) error {
	cmd, err := c.await(ctx, step.ID, journal.AwaitingPayload{
		Kind: journal.AwaitGate, Question: step.Question, Choices: []string{journal.ChoiceGo, journal.ChoiceNoGo},
		Who: c.opts.Runbook.DecisionMaker,
	}, nil)
	if err != nil {
		return err
	}
	if cmd.Choice == journal.ChoiceSkip {
		return fmt.Errorf("%w by %s: %s", errSkipped, cmd.Actor, cmd.Text)
	}
	if cmd.Choice == journal.ChoiceNoGo {
		return fmt.Errorf("gate %s: no-go by %s: %w", step.ID, cmd.Actor, ErrRollback)
	}
	return nil
}

// shell runs a command through sh, streaming its output into the journal.
func (c *Conductor) shell(ctx context.Context, step runbooks.Step) error {
	return c.runCommand(ctx, step.ID, step.Run)
}

// runCommand runs text through sh in the runbook's directory, streaming its
// output into the journal as the step's log: a shell step's command, a
// switch's routing hook.
func (c *Conductor) runCommand(ctx context.Context, stepID, text string) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", text)
	cmd.Dir = c.opts.BaseDir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	c.logf(stepID, "info", "$ %s", text)
	if err := cmd.Start(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	stream := func(name string, r io.Reader) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			c.logf(stepID, name, "%s", sc.Text())
		}
	}
	wg.Add(2)
	go stream("stdout", stdout)
	go stream("stderr", stderr)
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("command %q: %w", text, err)
	}
	return nil
}

// sqlStep runs the step's statements on the named connection, one by one.
func (c *Conductor) sqlStep(ctx context.Context, step runbooks.Step) error {
	d, err := c.database(ctx, step.On)
	if err != nil {
		return err
	}
	// A stalled statement is reported, never run again unasked: it may
	// have landed.
	return c.guard(ctx, step.ID, "sql on "+step.On, []db.DB{d}, func(ctx context.Context) error {
		for _, stmt := range splitStatements(step.Run) {
			res, err := d.SQL().ExecContext(ctx, stmt)
			if err != nil {
				return fmt.Errorf("on %s: %s: %w", step.On, firstLine(stmt), err)
			}
			n, _ := res.RowsAffected()
			c.logf(step.ID, "info", "%s — %d rows affected", firstLine(stmt), n)
		}
		return nil
	})
}

// SplitStatements is how a sql step splits its text into the statements
// it runs, one by one (dry runs print them).
func SplitStatements(text string) []string { return splitStatements(text) }

// splitStatements splits SQL text on semicolons outside quotes and
// comments, dropping empty statements.
func splitStatements(text string) []string {
	var out []string
	var b strings.Builder
	var quote rune
	lineComment := false
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case lineComment:
			if r == '\n' {
				lineComment = false
			}
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"' || r == '`':
			quote = r
		case r == '-' && i+1 < len(rs) && rs[i+1] == '-':
			lineComment = true
		case r == ';':
			if s := strings.TrimSpace(b.String()); s != "" {
				out = append(out, s)
			}
			b.Reset()
			continue
		}
		b.WriteRune(r)
	}
	if s := strings.TrimSpace(b.String()); s != "" && !onlyComments(s) {
		out = append(out, s)
	}
	return out
}

func onlyComments(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return false
		}
	}
	return true
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
