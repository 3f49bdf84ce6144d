package runbooks

import "slices"

// The blue-green kinds' checks: a replicate step (kinds.go) and a switch
// with replication.

// replicateDrivers are the drivers whose native replication a replicate
// step runs between two connections of that driver (engine/bluegreen
// registers the same two).
var replicateDrivers = []string{"postgres", "mysql"}

// refsReplicate: both connections exist and are of one driver with native
// replication: PostgreSQL logical replication, or MariaDB GTID
// replication. A mixed pair is refused with the path it takes instead.
func refsReplicate(c refCheck) {
	refsFromTo(c)
	from, okFrom := c.rb.Connection(c.st.From)
	to, okTo := c.rb.Connection(c.st.To)
	for _, x := range []struct {
		key  string
		conn Connection
		ok   bool
	}{{"from", from, okFrom}, {"to", to, okTo}} {
		if x.ok && !slices.Contains(replicateDrivers, x.conn.Driver) {
			c.d.errorAt(c.ref.first(x.key), "%s: connection %q is %s; replicate runs native replication — PostgreSQL logical replication or MariaDB GTID replication — and needs two postgres or two mysql connections", c.label, x.conn.Name, x.conn.Driver)
			return
		}
	}
	if okFrom && okTo && from.Driver != to.Driver {
		c.d.errorAt(c.ref.first("to"), "%s: %s is %s and %s is %s: native replication needs one engine on both sides; for a mixed pair use strategy blue-green with a cdc-start step and a switch over the change stream (no replicate step)", c.label, from.Name, from.Driver, to.Name, to.Driver)
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
