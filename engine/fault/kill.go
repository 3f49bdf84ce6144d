package fault

import (
	"context"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func init() {
	register(Kind{
		Name: "kill", Syntax: "kill@STEP[:AFTER]",
		Doc: "AFTER (default 1s) into step STEP the drill's run process — a child process of the drill — is killed with SIGKILL, " +
			"right after the fault is journaled; the drill driver then resumes the journal as an operator would with tightrope resume. " +
			"AFTER rows=N (a copy step) is deterministic: the kill comes right after the batch that brings the rows the step committed to N; " +
			"a duration races the step, which on a fast copy may be over first.",
		Engines: []string{"sqlite", "postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			rest, ok := strings.CutPrefix(args, "@")
			step, after, hasAfter := strings.Cut(rest, ":")
			if !ok || step == "" {
				return nil, fmt.Errorf("want @STEP[:AFTER]")
			}
			k := &Kill{base: base{"kill" + args}, step: step, when: trigger{after: DefaultAfter}}
			if hasAfter {
				t, err := parseTrigger(after)
				if err != nil {
					return nil, err
				}
				k.when = t
			}
			return k, nil
		},
	})
}

// Kill is kill@STEP[:AFTER]: it kills the process it runs in, so only a
// drill's child run process may carry it (Env.Child).
type Kill struct {
	base
	step string
	when trigger
}

func (k *Kill) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	if step.ID != k.step {
		return false, nil
	}
	if !env.Child {
		return false, fmt.Errorf("kill needs the drill's run in a child process")
	}
	env.strikeInto(ctx, k.step, k.when, "the process was not killed", func(rows int64) {
		detail := fmt.Sprintf("run process killed (SIGKILL) %s step %s", k.when, k.step)
		if rows > 0 {
			detail = fmt.Sprintf("run process killed (SIGKILL) once step %s had committed %d rows (rows=%d)", k.step, rows, k.when.rows)
		}
		record(journal.FaultPayload{Target: "the run process", Detail: detail})
		killSelf() // after the event is durable: the resumed run sees it and does not kill again
	}, func(why string) { record(journal.FaultPayload{Error: why}) })
	return true, nil
}
