package runbooks

import "slices"

// The blue-green kinds' checks: a replicate step (kinds.go) and a switch
// with replication.

// refsReplicate: both connections exist and are PostgreSQL (logical
// replication).
func refsReplicate(c refCheck) {
	refsFromTo(c)
	for _, key := range []string{"from", "to"} {
		name := c.st.From
		if key == "to" {
			name = c.st.To
		}
		if conn, ok := c.rb.Connection(name); ok && conn.Driver != "postgres" {
			c.d.errorAt(c.ref.first(key), "%s: connection %q is %s; replicate runs PostgreSQL logical replication and needs postgres on both sides", c.label, name, conn.Driver)
		}
	}
}

// refsSwitch adds, for a blue-green switch, that replication names a
// replicate step among the steps, before the switch, between the same two
// connections.
func refsSwitch(c refCheck) {
	refsFromTo(c)
	id := c.st.Replication
	if id == "" {
		return
	}
	p := c.ref.first("replication")
	i := slices.IndexFunc(c.rb.Steps, func(s Step) bool { return s.ID == id })
	rep, ok := c.rb.StepByID(id)
	switch {
	case !ok:
		c.d.errorAt(p, "%s: no step has id %q; replication must name a replicate step", c.label, id)
	case rep.Kind != KindReplicate && rep.Kind != "":
		c.d.errorAt(p, "%s: step %q is a %s step, not a replicate step", c.label, id, rep.Kind)
	case i < 0 || i > slices.IndexFunc(c.rb.Steps, func(s Step) bool { return s.ID == c.st.ID }):
		c.d.errorAt(p, "%s: replicate step %q must come before the switch, among the steps", c.label, id)
	case rep.From != c.st.From || rep.To != c.st.To:
		c.d.errorAt(p, "%s switches %s → %s but replicate step %q replicates %s → %s", c.label, c.st.From, c.st.To, id, rep.From, rep.To)
	}
}
