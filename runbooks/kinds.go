package runbooks

import (
	"slices"
	"time"
)

// Step kinds a runbook may name; kindSpecs below says what each allows and
// requires. Which of them this build can run is the engine's to say.
const (
	KindManual     = "manual"
	KindGate       = "gate"
	KindShell      = "shell"
	KindSQL        = "sql"
	KindCopy       = "copy"
	KindVerify     = "verify"
	KindSnapshot   = "snapshot"
	KindRestore    = "restore"
	KindCDCStart   = "cdc-start"
	KindCDCCatchup = "cdc-catchup"
	KindSwitch     = "switch"
	KindWait       = "wait"
	KindAssess     = "assess"
	KindFreeze     = "freeze"
	KindUnfreeze   = "unfreeze"
	KindReplicate  = "replicate"
)

// kindSpec is one step kind as a runbook spells it. The loader decodes,
// defaults and checks every step through its kind's spec; the engine asks
// it whether a step has side effects. A new kind is its Kind constant and
// one entry here (plus the Step fields and key decoders of any new keys,
// and its action in engine/steps.go).
type kindSpec struct {
	name     string
	keys     []string      // runbook keys the kind adds to commonStepKeys
	requires []requirement // keys a step of the kind must write
	// defaults fills in what the step left out; written tells whether the
	// step wrote a key (an invalid value gets no default).
	defaults func(st *Step, written func(key string) bool)
	check    func(c stepCheck) // kind-specific checks, after the defaults
	refs     func(c refCheck)  // checks against the whole runbook (validate.go)
	// sideEffects: running the step twice may repeat what cannot be taken
	// back, so a resumed run asks before running it again (unless the step
	// says idempotent: true).
	sideEffects bool
	// writes tells whether a step of the kind may change the named
	// connection; nil: it never writes to a connection. A kind that runs
	// arbitrary commands says yes for every connection.
	writes func(rb *Runbook, st Step, conn string) bool
}

// requirement is a key a kind requires and why, for the "needs" message.
type requirement struct{ key, why string }

// kindSpecs is the step-kind registry, in the order messages list kinds.
var kindSpecs = []kindSpec{
	{name: KindManual, keys: []string{"instructions", "checklist"}},
	{name: KindGate, keys: []string{"question"},
		requires: []requirement{{"question", "what the decision-maker answers go / no-go to"}}},
	{name: KindShell, keys: []string{"run", "undo"},
		requires: []requirement{{"run", "the command to run"}}, sideEffects: true, writes: anyConnection},
	{name: KindSQL, keys: []string{"run", "on"},
		requires: []requirement{{"run", "the statements to run"}, {"on", "the connection to run them on"}},
		refs:     func(c refCheck) { c.conn("on", c.st.On) }, sideEffects: true,
		writes: func(_ *Runbook, st Step, conn string) bool { return st.On == conn }},
	{name: KindCopy, keys: []string{"tables", "from", "to", "batch", "parallel", "create", "key", "casts"},
		requires: []requirement{needTables}, defaults: copyDefaults, check: checkCopy, refs: refsFromTo, writes: writesTo},
	{name: KindVerify, keys: []string{"tables", "from", "to", "key"},
		requires: []requirement{needTables}, defaults: fromToDefaults, check: checkFromTo, refs: refsFromTo},
	{name: KindSnapshot, keys: []string{"of", "method"},
		defaults: func(st *Step, written func(string) bool) {
			if !written("of") {
				st.Of = "source"
			}
		},
		refs: func(c refCheck) { c.conn("of", c.st.Of) }},
	{name: KindRestore, keys: []string{"snapshot"},
		requires: []requirement{{"snapshot", "the id of the snapshot step to restore"}},
		refs:     func(c refCheck) { c.d.snapshotRef(c.rb, c.ref, c.label, c.st.Snapshot) },
		writes: func(rb *Runbook, st Step, conn string) bool {
			snap, ok := rb.StepByID(st.Snapshot)
			return !ok || snap.Of == conn // an unknown snapshot: assume it may write anywhere
		}},
	{name: KindCDCStart, keys: []string{"tables", "from", "to"},
		requires: []requirement{needTables}, defaults: fromToDefaults, check: checkFromTo, refs: refsCDCStart,
		// it creates a publication and a slot on the source, nothing on the target
		writes: func(_ *Runbook, st Step, conn string) bool { return st.From == conn }},
	{name: KindCDCCatchup, keys: []string{"from", "to", "lag", "timeout"},
		defaults: catchupDefaults, check: checkFromTo, refs: refsFromTo, writes: writesTo},
	// A freeze journals what it changes before it changes it and re-applies
	// that record when run again, so a resumed run runs it again unasked.
	{name: KindFreeze, keys: []string{"on", "tables"},
		requires: []requirement{{"on", "the connection whose writes to stop"}}, refs: refsFreezable},
	{name: KindUnfreeze, keys: []string{"on"},
		requires: []requirement{{"on", "the connection whose writes to give back"}}, refs: refsFreezable},
	{name: KindSwitch, keys: []string{"run", "undo", "from", "to", "tables", "replication", "timeout"},
		requires: []requirement{{"run", "the routing hook to run once every precondition holds"}},
		defaults: fromToDefaults, check: checkFromTo, refs: refsSwitch, sideEffects: true, writes: anyConnection},
	{name: KindWait, keys: []string{"duration"},
		requires: []requirement{{"duration", "how long to wait, like 5m"}}},
	{name: KindAssess, keys: []string{"sample", "measure_write"}},
	// Running a replicate step again continues the replication there is.
	{name: KindReplicate, keys: []string{"from", "to", "tables", "copy"},
		requires: []requirement{needTables}, defaults: fromToDefaults, check: checkFromTo, refs: refsReplicate,
		writes: func(_ *Runbook, st Step, conn string) bool { return st.From == conn || st.To == conn }},
}

// refsFreezable checks that the step's connection exists and is one a
// freeze can stop: a SQLite file has no privileges nor read_only switch.
func refsFreezable(c refCheck) {
	c.conn("on", c.st.On)
	if conn, ok := c.rb.Connection(c.st.On); ok && conn.Driver == "sqlite" {
		c.d.errorAt(c.ref.first("on"), "%s: connection %q is SQLite, which has no way to stop other writers: freeze needs postgres or mysql", c.label, c.st.On)
	}
}

// writesTo: the kind writes to its target connection (to:).
func writesTo(_ *Runbook, st Step, conn string) bool { return st.To == conn }

// anyConnection: the kind runs a command nobody can see into, so it may
// have written to any connection.
func anyConnection(*Runbook, Step, string) bool { return true }

// MayWrite tells whether running st may have changed the named
// connection, erring on yes: a shell or switch step may write anywhere, a
// step of an unknown kind too.
func (r *Runbook) MayWrite(st Step, conn string) bool {
	k, ok := kindByName(st.Kind)
	if !ok {
		return true
	}
	return k.writes != nil && k.writes(r, st, conn)
}

var needTables = requirement{"tables", "a list of tables or the word all"}

// Kinds lists every step kind a runbook may use, in the order messages
// list them. Whether this build can run a kind is the engine's to say.
func Kinds() []string {
	out := make([]string, len(kindSpecs))
	for i, k := range kindSpecs {
		out[i] = k.name
	}
	return out
}

// kindByName returns the spec of a kind; the zero spec for an unknown one.
func kindByName(name string) (kindSpec, bool) {
	i := slices.IndexFunc(kindSpecs, func(k kindSpec) bool { return k.name == name })
	if i < 0 {
		return kindSpec{}, false
	}
	return kindSpecs[i], true
}

// HasSideEffects reports whether running the step again after a crash may
// repeat effects nobody can take back, so a resumed run asks first: its
// kind has side effects (shell, sql, switch) and it is not declared
// idempotent. Copy resumes from its checkpoint; verify and snapshot simply
// run again.
func (s Step) HasSideEffects() bool {
	k, _ := kindByName(s.Kind)
	return k.sideEffects && !s.Idempotent
}

// stepCheck is one decoded step as a kind's check sees it.
type stepCheck struct {
	d     *decoder
	st    *Step
	ref   stepRef
	label string // step "id"
}

// refCheck is one step of a decoded runbook as a kind's refs check sees it.
type refCheck struct {
	d     *decoder
	rb    *Runbook
	st    Step
	ref   stepRef
	label string // kind step "id"
}

// conn checks that the connection the step names under key exists.
func (c refCheck) conn(key, name string) { c.d.connRef(c.rb, c.ref, c.label, key, name) }

// fromToDefaults reads from the connection named source into the one
// named target unless the step says otherwise.
func fromToDefaults(st *Step, written func(string) bool) {
	if !written("from") {
		st.From = "source"
	}
	if !written("to") {
		st.To = "target"
	}
}

// copyDefaults adds a copy's connections. A batch size or parallelism
// the runbook does not name stays 0: the engine chooses it (and adapts the
// batch size while the copy runs).
func copyDefaults(st *Step, written func(string) bool) {
	fromToDefaults(st, written)
}

// checkFromTo refuses a step that reads and writes the same connection.
func checkFromTo(c stepCheck) {
	if c.st.From != "" && c.st.From == c.st.To {
		c.d.errorAt(c.ref.first("to", "from"), "%s: from and to both name connection %q", c.label, c.st.From)
	}
}

// checkCopy adds, to checkFromTo, that every cast names a copied table.
func checkCopy(c stepCheck) {
	checkFromTo(c)
	st := c.st
	for i, cast := range st.Casts {
		if !st.All && cast.Table != "" && len(st.Tables) > 0 && !slices.Contains(st.Tables, cast.Table) {
			c.d.errorAt(c.ref.castAt[i], "cast for table %q, which %s does not copy", cast.Table, c.label)
		}
	}
}

// DefaultCatchupLag is a cdc-catchup's lag threshold when it names none.
const DefaultCatchupLag = 5 * time.Second

// catchupDefaults adds a catch-up's connections and lag threshold.
func catchupDefaults(st *Step, written func(string) bool) {
	fromToDefaults(st, written)
	if !written("lag") {
		st.Lag = DefaultCatchupLag
	}
}

// refsCDCStart checks the connections and refuses a source that has no
// change log to capture.
func refsCDCStart(c refCheck) {
	refsFromTo(c)
	if conn, ok := c.rb.Connection(c.st.From); ok && conn.Driver == "sqlite" {
		p, written := c.ref.at["from"]
		if !written {
			p = c.ref.pos
		}
		c.d.errorAt(p, "%s captures changes of connection %q, a SQLite database: SQLite keeps no change log to capture; use strategy snapshot (snapshot, copy, verify) for a SQLite source",
			c.label, c.st.From)
	}
}

// refsFromTo checks the connections a step reads from and writes to.
func refsFromTo(c refCheck) {
	c.conn("from", c.st.From)
	c.conn("to", c.st.To)
}
