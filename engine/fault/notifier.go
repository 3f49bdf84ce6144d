package fault

import (
	"context"
	"errors"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func init() {
	register(Kind{
		Name: "notifier-down", Syntax: "notifier-down",
		Doc:     "Every notification of the communication plan fails from the start of the run (nothing is sent), so the room must notice the notifier warning.",
		Engines: []string{"sqlite", "postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			if args != "" {
				return nil, errors.New("takes no arguments")
			}
			return notifierDown{base{"notifier-down"}}, nil
		},
	})
}

// errNotifierDown is what every notification fails with.
var errNotifierDown = errors.New("notifier down: drill fault notifier-down")

// notifierDown fails every notification; it is journaled before the first
// step, from when it is in force.
type notifierDown struct{ base }

func (notifierDown) err() error { return errNotifierDown }

func (n notifierDown) Before(context.Context, *Env, runbooks.Step, journal.State) (journal.FaultPayload, bool, error) {
	return journal.FaultPayload{Target: "notify", Detail: "every notification fails from now on; nothing is sent"}, true, nil
}
