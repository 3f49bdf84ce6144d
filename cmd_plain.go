package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/tui"
)

// wantPlain tells whether a command prints lines instead of the console:
// asked for (--plain), stdout not a terminal, or a terminal that cannot
// draw one (TERM=dumb).
func wantPlain(flag bool, out io.Writer) bool {
	return flag || !isTerminal(out) || os.Getenv("TERM") == "dumb"
}

// runPlain runs c in plain mode. Unless --auto-decide answers, questions
// are answered on standard input (tui.PlainAsker); when none can be — the
// input ended, or the operator may not answer — the run is stopped
// resumably and noAnswer says how to decide.
func runPlain(ctx context.Context, c *engine.Conductor, printer *tui.Plain, f runFlags, journalPath string) (outcome string, runErr, noAnswer error) {
	if f.autoDecide != "" { // it answers everything, or stops at a rerun question without --on-rerun
		outcome, runErr = c.Run(ctx)
		return outcome, runErr, nil
	}
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	askCtx, done := context.WithCancel(ctx)
	asker := tui.NewPlainAsker(c, f.in, printer, f.as, journalPath, !f.inTerminal)
	asked := make(chan error, 1)
	go func() {
		err := asker.Run(askCtx)
		var na *tui.NoAnswerError
		if errors.As(err, &na) {
			stop(fmt.Errorf("no answer: %s", na.Why)) // stop the run resumably: no run_finished
		}
		asked <- err
	}()
	outcome, runErr = c.Run(runCtx)
	done()
	var na *tui.NoAnswerError
	if err := <-asked; errors.As(err, &na) {
		noAnswer = na
	}
	return outcome, runErr, noAnswer
}
