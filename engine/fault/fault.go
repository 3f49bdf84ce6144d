// Package fault injects the faults of a drill: tightrope itself damages
// its drill copies (bad rows in the source, drift on the target, a damaged
// snapshot artefact, a notifier that fails) at a step boundary and reports
// each fault the moment it took effect, for the conductor to journal.
//
// Every fault is one registration (a Kind) with its spec syntax, its
// description for `tightrope drill --list` and its parser; the Injector
// only ever walks the parsed faults.
package fault

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Kind is one registered fault.
type Kind struct {
	Name    string   // the spec's first word: bad-rows
	Syntax  string   // bad-rows:TABLE.COLUMN:N:KIND
	Doc     string   // what it does, one or two sentences
	Engines []string // the drivers it applies to
	// Parse reads the spec's arguments (the text after "name:", "" when
	// there is none).
	Parse func(args string) (Fault, error)
}

// Fault is one parsed fault of a drill.
type Fault interface {
	// Spec is the fault as given.
	Spec() string
	// Before and After are called around every step (After when the
	// step's action returned); a fault acts at its moment and returns the
	// payload of what it did, with ok, or nothing when it is not its
	// moment. An error stops the drill's fault (it is logged) but never
	// the run.
	Before(ctx context.Context, env *Env, step runbooks.Step, s journal.State) (p journal.FaultPayload, ok bool, err error)
	After(ctx context.Context, env *Env, step runbooks.Step, s journal.State) (p journal.FaultPayload, ok bool, err error)
}

var kinds = map[string]Kind{}

// register adds a kind; a duplicate name is a programming error.
func register(k Kind) {
	if _, dup := kinds[k.Name]; dup {
		panic("fault: kind registered twice: " + k.Name)
	}
	kinds[k.Name] = k
}

// Kinds lists the registered faults, by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Parse reads one fault spec ("name:args" or "name@args").
func Parse(spec string) (Fault, error) {
	spec = strings.TrimSpace(spec)
	i := strings.IndexAny(spec, ":@")
	name, args := spec, ""
	if i >= 0 {
		name, args = spec[:i], spec[i+1:]
		if spec[i] == '@' {
			args = "@" + args
		}
	}
	k, ok := kinds[name]
	if !ok {
		var names []string
		for _, k := range Kinds() {
			names = append(names, k.Name)
		}
		return nil, fmt.Errorf("unknown fault %q (known: %s; see tightrope drill --list)", name, strings.Join(names, ", "))
	}
	f, err := k.Parse(args)
	if err != nil {
		return nil, fmt.Errorf("fault %q: %w (syntax: %s)", spec, err, k.Syntax)
	}
	return f, nil
}

// base gives a fault its Spec and a Before/After that do nothing.
type base struct{ spec string }

func (b base) Spec() string { return b.spec }

func (base) Before(context.Context, *Env, runbooks.Step, journal.State) (journal.FaultPayload, bool, error) {
	return journal.FaultPayload{}, false, nil
}

func (base) After(context.Context, *Env, runbooks.Step, journal.State) (journal.FaultPayload, bool, error) {
	return journal.FaultPayload{}, false, nil
}

// copies says whether a copy step copies table.
func copies(step runbooks.Step, table string) bool {
	return step.Kind == runbooks.KindCopy && (step.All || slices.Contains(step.Tables, table))
}

// orDefault is the step's connection name, or its default.
func orDefault(name, def string) string {
	if name == "" {
		return def
	}
	return name
}
