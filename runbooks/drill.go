package runbooks

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// drill decodes the runbook's drill: section, which maps each live
// connection to the connection a drill uses instead (its own dsn_env or
// path; the driver is the live connection's). Every name must be a live
// connection, and a drill connection must not be the live one itself.
func (d *decoder) drill(f field, live []Connection) []Connection {
	entries, _ := d.mapping(f, "drill")
	var out []Connection
	for _, e := range entries {
		what := fmt.Sprintf("drill connection %q", e.name)
		i := slices.IndexFunc(live, func(c Connection) bool { return c.Name == e.name })
		if i < 0 {
			d.errorf(e.key, "%s: there is no live connection %q to stand in for (connections: %s)", what, e.name, liveNames(live))
			continue
		}
		c := Connection{Name: e.name, Driver: live[i].Driver}
		kv := d.fields(e, what, "dsn_env", "path")
		if kv == nil {
			continue
		}
		env, hasEnv := kv["dsn_env"]
		if hasEnv {
			c.DSNEnv = d.envName(env)
		}
		path, hasPath := kv["path"]
		if hasPath {
			c.Path = d.nonEmpty(path)
		}
		switch {
		case hasEnv && hasPath:
			d.errorAt(path.pos(), "%s: give path or dsn_env, not both", what)
		case !hasEnv && !hasPath:
			d.errorf(e.key, "%s needs dsn_env (or path for sqlite)", what)
		case hasPath && c.Driver != "sqlite":
			d.errorAt(path.pos(), "%s: path is only for sqlite; a %s connection names its DSN with dsn_env", what, c.Driver)
		case hasEnv && c.DSNEnv == live[i].DSNEnv:
			d.errorAt(env.pos(), "%s: dsn_env %s is the live connection's own: a drill never runs against production", what, c.DSNEnv)
		case hasPath && c.Path == live[i].Path:
			d.errorAt(path.pos(), "%s: path %s is the live connection's own: a drill never runs against production", what, c.Path)
		}
		out = append(out, c)
	}
	return out
}

func liveNames(cs []Connection) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// DrillConnection returns the drill: stand-in for the named connection.
func (r *Runbook) DrillConnection(name string) (Connection, bool) {
	for _, c := range r.Drill {
		if c.Name == name {
			return c, true
		}
	}
	return Connection{}, false
}

// WithConnections returns the runbook's text with its connections: section
// replaced by conns and its drill: section left out: the runbook a drill
// runs and embeds in its journal, so that a replay or a resume of the drill
// can only ever reach the drill's connections. Top-level keys must each
// start a line (they do in every runbook Parse accepted in block style).
func (r *Runbook) WithConnections(conns []Connection) ([]byte, error) {
	type section struct {
		key  string
		line int
	}
	var secs []section
	for _, k := range topKeys {
		if p, ok := r.at[k]; ok {
			secs = append(secs, section{k, p.line})
		}
	}
	slices.SortFunc(secs, func(a, b section) int { return a.line - b.line })
	lines := strings.SplitAfter(string(r.Text), "\n")
	span := func(key string) (from, to int, ok bool) { // 0-based, to exclusive
		for i, s := range secs {
			if s.key != key {
				continue
			}
			to = len(lines)
			if i+1 < len(secs) {
				to = secs[i+1].line - 1
			}
			if p := r.at[key]; p.col != 1 {
				return 0, 0, false
			}
			return s.line - 1, to, true
		}
		return 0, 0, false
	}
	from, to, ok := span("connections")
	if !ok {
		return nil, fmt.Errorf("%s: connections: must start a line to be replaced for a drill", r.Path)
	}
	var b bytes.Buffer
	b.WriteString("connections:\n")
	for _, c := range conns {
		fmt.Fprintf(&b, "  %s: { driver: %s", strconv.Quote(c.Name), c.Driver)
		if c.DSNEnv != "" {
			fmt.Fprintf(&b, ", dsn_env: %s", c.DSNEnv)
		}
		if c.Path != "" {
			fmt.Fprintf(&b, ", path: %s", strconv.Quote(c.Path))
		}
		b.WriteString(" }\n")
	}
	out := slices.Concat(lines[:from], []string{b.String()}, lines[to:])
	if dfrom, dto, ok := span("drill"); ok {
		shift := 1 - (to - from) // the connections section is now one element
		if dfrom > from {
			dfrom, dto = dfrom+shift, dto+shift
		}
		out = slices.Delete(out, dfrom, dto)
	}
	return []byte(strings.Join(out, "")), nil
}
