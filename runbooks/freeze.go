package runbooks

import "slices"

// FreezeTables are the tables a freeze step stops when it names none: the
// tables of every copy step that reads or writes its connection, in order,
// once each. all: some copy copies every table, which only the connection
// can list.
func (r *Runbook) FreezeTables(st Step) (tables []string, all bool) {
	return r.copiedTables(func(c Step) bool { return c.From == st.On || c.To == st.On })
}

// SwitchTables are the tables a switch step verifies and syncs when it
// names none: those of the copies from its from to its to.
func (r *Runbook) SwitchTables(st Step) (tables []string, all bool) {
	return r.copiedTables(func(c Step) bool { return c.From == st.From && c.To == st.To })
}

func (r *Runbook) copiedTables(match func(Step) bool) (tables []string, all bool) {
	for _, s := range r.Steps {
		if s.Kind != KindCopy || !match(s) {
			continue
		}
		all = all || s.All
		for _, t := range s.Tables {
			if !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
	}
	return tables, all
}
