package fault

import (
	"context"
	"sync"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Injector runs a drill's faults around the conductor's steps; it is the
// engine.Faults of a drill run. Each fault acts once: a fault already in
// the journal (a resumed drill) is not injected again.
type Injector struct {
	env    *Env
	faults []Fault
	down   error // notifier-down

	mu   sync.Mutex
	done map[string]bool
	now  func() time.Time
}

// NewInjector prepares faults against env; done lists the specs of faults
// the journal already records as injected.
func NewInjector(env *Env, faults []Fault, done []string) *Injector {
	in := &Injector{env: env, faults: faults, done: map[string]bool{}, now: time.Now}
	for _, s := range done {
		in.done[s] = true
	}
	for _, f := range faults {
		if nd, ok := f.(notifierDown); ok {
			in.down = nd.err()
		}
	}
	return in
}

// BeforeStep lets each fault act before the step starts.
func (in *Injector) BeforeStep(ctx context.Context, step runbooks.Step, s journal.State, record func(journal.FaultPayload)) {
	in.env.setRunning(step.ID, true)
	in.each(ctx, step, s, record, Fault.Before, true)
}

// AfterStep lets each fault act after the step's action returned.
func (in *Injector) AfterStep(ctx context.Context, step runbooks.Step, s journal.State, record func(journal.FaultPayload)) {
	in.env.setRunning(step.ID, false)
	in.env.stepOver(step.ID)
	in.each(ctx, step, s, record, Fault.After, false)
}

// Committed tells the faults waiting for rows (AFTER rows=N) how many
// rows the copy step has committed so far; those due strike now, in the
// caller, before the copy's next batch.
func (in *Injector) Committed(_ context.Context, step runbooks.Step, rows int64) {
	in.env.committed(step.ID, rows)
}

// NotifyDown is the error every notification fails with under
// notifier-down, else nil.
func (in *Injector) NotifyDown() error { return in.down }

// Close closes what the faults opened, relays included.
func (in *Injector) Close() error {
	err := in.env.Close()
	for _, r := range in.env.Relays {
		_ = r.Close()
	}
	return err
}

type phase func(Fault, context.Context, *Env, runbooks.Step, journal.State) (journal.FaultPayload, bool, error)

func (in *Injector) each(ctx context.Context, step runbooks.Step, s journal.State, record func(journal.FaultPayload), act phase, before bool) {
	for _, f := range in.faults {
		in.mu.Lock()
		done := in.done[f.Spec()]
		in.mu.Unlock()
		if done {
			continue
		}
		if a, isLater := f.(later); isLater {
			if !before {
				continue
			}
			armed, err := a.arm(ctx, in.env, step, in.filled(f, record))
			if err != nil {
				in.filled(f, record)(journal.FaultPayload{Error: err.Error()})
			}
			if armed || err != nil {
				in.mu.Lock()
				in.done[f.Spec()] = true
				in.mu.Unlock()
			}
			continue
		}
		p, ok, err := act(f, ctx, in.env, step, s)
		if err != nil {
			p = journal.FaultPayload{Error: err.Error(), At: in.now().UTC()}
			ok = true
		}
		if !ok {
			continue
		}
		p.Spec = f.Spec()
		if p.Kind == "" {
			p.Kind = kindOf(f.Spec())
		}
		if p.At.IsZero() {
			p.At = in.now().UTC()
		}
		in.mu.Lock()
		in.done[f.Spec()] = true
		in.mu.Unlock()
		record(p)
	}
}

// later is a fault that strikes a while into its step: arm starts it and
// returns at once, and it records itself when it strikes (and when it is
// over) from its own goroutine.
type later interface {
	arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error)
}

// filled completes what a fault records with its spec, kind and time.
func (in *Injector) filled(f Fault, record func(journal.FaultPayload)) func(journal.FaultPayload) {
	return func(p journal.FaultPayload) {
		p.Spec, p.Kind = f.Spec(), kindOf(f.Spec())
		if p.At.IsZero() {
			p.At = in.now().UTC()
		}
		record(p)
	}
}

// kindOf is the name part of a spec.
func kindOf(spec string) string {
	for i, r := range spec {
		if r == ':' || r == '@' {
			return spec[:i]
		}
	}
	return spec
}
