package runbooks

import (
	"fmt"
	"strings"
)

// validate runs the checks that span steps: unique ids across steps and
// rollback, and each kind's refs (connections that exist, restores that
// name a snapshot step).
func (d *decoder) validate(rb *Runbook) {
	all := make([]Step, 0, len(rb.Steps)+len(rb.Rollback))
	all = append(append(all, rb.Steps...), rb.Rollback...)
	if len(all) != len(d.refs) {
		return // cannot happen: step appends one ref per step returned
	}
	first := map[string]position{}
	for i, st := range all {
		ref := d.refs[i]
		if st.ID != "" {
			p := ref.first("id")
			if f, dup := first[st.ID]; dup {
				d.errorAt(p, "duplicate step id %q (first defined at line %d)", st.ID, f.line)
			} else {
				first[st.ID] = p
			}
		}
		if k, _ := kindByName(st.Kind); k.refs != nil {
			k.refs(refCheck{d: d, rb: rb, st: st, ref: ref, label: fmt.Sprintf("%s step %q", st.Kind, st.ID)})
		}
	}
}

// connRef checks that the connection a step names under key exists. A name
// the step did not write is a default, and the message says so.
func (d *decoder) connRef(rb *Runbook, ref stepRef, label, key, name string) {
	if name == "" {
		return // missing or invalid, already reported
	}
	if _, ok := rb.Connection(name); ok {
		return
	}
	if p, written := ref.at[key]; written {
		d.errorAt(p, "%s: no connection named %q (%s)", label, name, connectionNames(rb))
		return
	}
	d.errorAt(ref.pos, "%s uses connection %q by default, but there is no connection %q (%s); add it or set %s",
		label, name, name, connectionNames(rb), key)
}

// connectionNames lists the declared connections for messages.
func connectionNames(rb *Runbook) string {
	if len(rb.Connections) == 0 {
		return "no connections are declared"
	}
	names := make([]string, len(rb.Connections))
	for i, c := range rb.Connections {
		names[i] = c.Name
	}
	return "connections: " + strings.Join(names, ", ")
}

// snapshotRef checks that a restore names a snapshot step.
func (d *decoder) snapshotRef(rb *Runbook, ref stepRef, label, id string) {
	if id == "" {
		return
	}
	p := ref.first("snapshot")
	target, ok := rb.StepByID(id)
	switch {
	case !ok:
		d.errorAt(p, "%s: no step has id %q; snapshot must name a snapshot step", label, id)
	case target.Kind != KindSnapshot && target.Kind != "":
		d.errorAt(p, "%s: step %q is a %s step, not a snapshot", label, id, target.Kind)
	}
}
