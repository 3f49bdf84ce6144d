package fault

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func init() {
	register(Kind{
		Name: "kill", Syntax: "kill@STEP[:AFTER]",
		Doc: "AFTER (default 1s) into step STEP the drill's run process — a child process of the drill — is killed with SIGKILL, " +
			"right after the fault is journaled; the drill driver then resumes the journal as an operator would with tightrope resume.",
		Engines: []string{"sqlite", "postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			rest, ok := strings.CutPrefix(args, "@")
			step, after, hasAfter := strings.Cut(rest, ":")
			if !ok || step == "" {
				return nil, fmt.Errorf("want @STEP[:AFTER]")
			}
			k := &Kill{base: base{"kill" + args}, step: step, after: DefaultAfter}
			if hasAfter {
				d, err := time.ParseDuration(after)
				if err != nil || d < 0 {
					return nil, fmt.Errorf("AFTER %q is not a duration such as 2s", after)
				}
				k.after = d
			}
			return k, nil
		},
	})
}

// Kill is kill@STEP[:AFTER]: it kills the process it runs in, so only a
// drill's child run process may carry it (Env.Child).
type Kill struct {
	base
	step  string
	after time.Duration
}

func (k *Kill) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	if step.ID != k.step {
		return false, nil
	}
	if !env.Child {
		return false, fmt.Errorf("kill needs the drill's run in a child process")
	}
	go func() {
		select {
		case <-time.After(k.after):
		case <-ctx.Done():
			return
		}
		if !env.stillRunning(k.step) {
			record(journal.FaultPayload{Error: fmt.Sprintf("step %s was over before %s: the process was not killed (give a shorter AFTER)", k.step, k.after)})
			return
		}
		record(journal.FaultPayload{Target: "the run process", Detail: fmt.Sprintf("run process killed (SIGKILL) %s into step %s", k.after, k.step)})
		killSelf() // after the event is durable: the resumed run sees it and does not kill again
	}()
	return true, nil
}
