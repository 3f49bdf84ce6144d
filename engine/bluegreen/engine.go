package bluegreen

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Pair is an open blue-green pair, whatever the engine: what the conductor
// (engine/bluegreen_pair.go and its users) asks of one. Its methods are not
// safe for concurrent use.
type Pair interface {
	// Name is the pair's name (its replication objects are tr_<Name>…).
	Name() string
	// Tables are the replicated tables, qualified.
	Tables() []string
	// Prepare starts blue → green with green frozen as a replica; run
	// again, it continues what is there.
	Prepare(ctx context.Context) (Prepared, error)
	// CheckReverse proves green → blue can start the moment it is needed.
	CheckReverse(ctx context.Context) (ReverseEvidence, error)
	// Lag measures the running direction.
	Lag(ctx context.Context) (Lag, error)
	// WaitCaughtUp waits until the running direction's replica has what
	// its source had at the call.
	WaitCaughtUp(ctx context.Context, timeout time.Duration) (Lag, error)
	// SwitchWith makes green live; ResumeSwitch finishes one interrupted
	// with blue frozen.
	SwitchWith(ctx context.Context, h Hooks) (Switched, error)
	ResumeSwitch(ctx context.Context, h Hooks) (Switched, error)
	// SwitchBackWith makes blue live again; ResumeSwitchBack finishes one
	// interrupted with green frozen.
	SwitchBackWith(ctx context.Context, restartForward bool, h Hooks) (Switched, error)
	ResumeSwitchBack(ctx context.Context, restartForward bool, h Hooks) (Switched, error)
	// Teardown removes every replication object of the pair on both sides.
	Teardown(ctx context.Context) error
	// Close closes tightrope's connections.
	Close(ctx context.Context)
}

// Engine is one engine's blue-green implementation, registered once under
// the runbook driver name its two sides use.
type Engine struct {
	// Open connects to both sides of cfg (names and driver set, cfg
	// checked) and resolves the tables on blue.
	Open func(ctx context.Context, cfg Config) (Pair, error)
	// Leftovers lists, for tightrope cleanup, which replication objects of
	// the pair named name are on the server d connects to (d is that
	// engine's pool): "subscription tr_x_fwd", "replica connection …".
	Leftovers func(ctx context.Context, d *sql.DB, name string) ([]string, error)
}

var engines = map[string]Engine{}

// Register makes an engine's blue-green available under a runbook driver
// name; each implementation calls it from init.
func Register(driver string, e Engine) { engines[driver] = e }

// Drivers are the drivers with a blue-green implementation, sorted.
func Drivers() []string {
	out := make([]string, 0, len(engines))
	for d := range engines {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// Open opens the pair with the implementation of its sides' driver (""
// is postgres). Both sides must have the same driver: native replication
// runs between two servers of one engine.
func Open(ctx context.Context, cfg Config) (Pair, error) {
	if cfg.Blue.Name == "" {
		cfg.Blue.Name = "blue"
	}
	if cfg.Green.Name == "" {
		cfg.Green.Name = "green"
	}
	for _, s := range []*Side{&cfg.Blue, &cfg.Green} {
		if s.Driver == "" {
			s.Driver = "postgres"
		}
	}
	if cfg.Blue.Driver != cfg.Green.Driver {
		return nil, fmt.Errorf("%s is %s and %s is %s: native replication needs one engine on both sides; a mixed pair uses strategy blue-green with cdc-start and a switch over the change stream",
			cfg.Blue.Name, cfg.Blue.Driver, cfg.Green.Name, cfg.Green.Driver)
	}
	e, ok := engines[cfg.Blue.Driver]
	if !ok {
		return nil, fmt.Errorf("blue-green replication has no %s implementation (known: %s)", cfg.Blue.Driver, strings.Join(Drivers(), ", "))
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return e.Open(ctx, cfg)
}

// Leftovers lists the replication objects of pair name on the server d
// (of driver) connects to; a driver without blue-green has none.
func Leftovers(ctx context.Context, driver string, d *sql.DB, name string) ([]string, error) {
	e, ok := engines[driver]
	if !ok || e.Leftovers == nil {
		return nil, nil
	}
	return e.Leftovers(ctx, d, name)
}
