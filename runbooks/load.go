package runbooks

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads and parses a runbook file. A file that cannot be read gives
// the os error, wrapped; a file that can gives what Parse gives.
func Load(path string) (*Runbook, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runbook: %w", err)
	}
	return Parse(path, text)
}

// Parse parses and validates runbook text; path is used in messages and
// stored in Runbook.Path, a copy of text in Runbook.Text. Any problem,
// including a YAML syntax error, is returned as an ErrorList holding every
// error found, sorted by position.
func Parse(path string, text []byte) (*Runbook, error) {
	body := bytes.TrimPrefix(text, []byte("\ufeff")) // a byte-order mark some editors add
	if len(body) > MaxSize {
		first, _, _ := bytes.Cut(body[:4096], []byte("\n")) // the line the message shows
		d := newDecoder(path, first)
		d.errorAt(position{line: 1, col: 1}, "runbook is %d bytes, over the limit of %d (1 MiB): refused before parsing", len(text), MaxSize)
		return nil, d.errs
	}
	d := newDecoder(path, body)
	if !d.checkLimits(body) {
		return nil, d.errs
	}
	rb := d.decode(body)
	if len(d.errs) > 0 {
		d.errs.Sort()
		return nil, d.errs
	}
	rb.Path = path
	rb.Text = bytes.Clone(text)
	return rb, nil
}

// Top-level keys, in the order the design document lists them.
var topKeys = []string{"version", "name", "migration_id", "decision_maker", "objectives",
	"strategy", "connections", "triggers", "notify", "steps", "rollback", "drill", "approvals"}

// migrationIDRE is the shape of a migration id: it becomes part of file
// names (journals, snapshots) and checkpoint names, so it is never a path.
var migrationIDRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$`)

// migrationIDShape is migrationIDRE as errors show it.
const migrationIDShape = "[A-Za-z0-9_-][A-Za-z0-9._-]*"

// The keys of the runbook's smaller mappings (the JSON Schema and the
// reference are generated from these, as the loader checks them).
var (
	objectiveKeys  = []string{"rto", "rpo", "expected", "window", "stall_timeout"}
	connectionKeys = []string{"driver", "dsn_env", "path", "replication_dsn_env"}
	notifyKeys     = []string{"on", "exec", "url"}
)

// Strategies a runbook may declare; the first is the default.
var strategies = []string{"snapshot", "cdc", "blue-green"}

// Drivers a connection may name.
var drivers = []string{"sqlite", "postgres", "mysql"}

// decode parses the YAML and decodes the single document in it.
func (d *decoder) decode(text []byte) *Runbook {
	file, err := parseYAML(text)
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			d.errorf(doc.Body, "a runbook is one YAML document; a second one starts here")
			break
		}
		body = doc.Body
	}
	if body == nil {
		d.errorAt(position{line: 1, col: 1}, "empty runbook: expected version, name, migration_id, decision_maker and steps")
		return nil
	}
	rb := d.runbook(field{name: "runbook", key: body, value: d.unwrap(body)})
	d.validate(rb)
	return rb
}

// parseYAML runs the YAML parser, turning a panic inside it into an error
// so that no input can crash the console.
func parseYAML(text []byte) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	return parser.ParseBytes(text, 0, parser.AllowDuplicateMapKey())
}

// syntaxError records a YAML parser error at its token.
func (d *decoder) syntaxError(err error) {
	var p position
	msg := err.Error()
	if ye, ok := err.(yaml.Error); ok {
		msg = ye.GetMessage()
		p = tokenPos(ye.GetToken())
	}
	d.errorAt(p, "YAML syntax error: %s", strings.ReplaceAll(msg, "\t", `\t`))
}

// runbook decodes the top-level mapping.
func (d *decoder) runbook(root field) *Runbook {
	rb := &Runbook{Strategy: strategies[0], at: map[string]position{}}
	kv := d.fields(root, "the runbook", topKeys...)
	if kv == nil {
		return rb
	}
	for name, f := range kv {
		rb.at[name] = posOf(f.key)
	}
	rootPos := root.start()
	if f, ok := kv["version"]; !ok {
		d.errorAt(rootPos, "missing version: add \"version: 1\"")
	} else if v, ok := d.integer(f); ok {
		rb.Version = int(v)
		if v != 1 {
			d.errorAt(f.pos(), "unsupported version %d: this tightrope reads version 1", v)
		}
	}
	for _, r := range []struct {
		key string
		dst *string
	}{{"name", &rb.Name}, {"migration_id", &rb.MigrationID}, {"decision_maker", &rb.DecisionMaker}} {
		if f, ok := kv[r.key]; ok {
			*r.dst = d.nonEmpty(f)
			if r.key == "migration_id" && *r.dst != "" && !migrationIDRE.MatchString(*r.dst) {
				d.errorAt(f.pos(), "migration_id %q must match %s (letters, digits, '.', '-' and '_', no leading dot, at most 100 characters): it names the journal, checkpoints and snapshots, so it must not be a path", *r.dst, migrationIDShape)
			}
		} else {
			d.errorAt(rootPos, "missing %s", r.key)
		}
	}
	if f, ok := kv["objectives"]; ok {
		rb.Objectives = d.objectives(f)
	}
	if f, ok := kv["strategy"]; ok {
		rb.Strategy = d.oneOf(f, strategies...)
	}
	if f, ok := kv["connections"]; ok {
		rb.Connections = d.connections(f)
	}
	if f, ok := kv["drill"]; ok {
		rb.Drill = d.drill(f, rb.Connections)
	}
	if f, ok := kv["triggers"]; ok {
		rb.Triggers = d.triggers(f, rb.at)
	}
	if f, ok := kv["notify"]; ok {
		rb.Notify = d.notify(f)
	}
	if f, ok := kv["approvals"]; ok {
		rb.Approvals = d.approvals(f)
	}
	if f, ok := kv["steps"]; ok {
		rb.Steps = d.steps(f)
		if seq, ok := f.value.(*ast.SequenceNode); ok && len(seq.Values) == 0 {
			d.errorAt(f.pos(), "steps is empty: a runbook needs at least one step")
		}
	} else {
		d.errorAt(rootPos, "missing steps")
	}
	if f, ok := kv["rollback"]; ok {
		rb.Rollback = d.steps(f)
	}
	return rb
}

// objectives decodes the agreed numbers, all optional durations.
func (d *decoder) objectives(f field) Objectives {
	var o Objectives
	kv := d.fields(f, "objectives", objectiveKeys...)
	for key, dst := range map[string]*time.Duration{"rto": &o.RTO, "rpo": &o.RPO, "expected": &o.Expected, "window": &o.Window} {
		if v, ok := kv[key]; ok {
			*dst = d.duration(v)
		}
	}
	if v, ok := kv["stall_timeout"]; ok {
		n := len(d.errs)
		o.StallTimeout = d.duration(v)
		if len(d.errs) == n && (o.StallTimeout < time.Second || o.StallTimeout > time.Hour) {
			d.errorAt(v.pos(), "stall_timeout: %s is out of range (from 1s to 1h; default %s)", o.StallTimeout, DefaultStallTimeout)
		}
	}
	return o
}

// connections decodes the name → connection mapping, in file order.
func (d *decoder) connections(f field) []Connection {
	entries, _ := d.mapping(f, "connections")
	var out []Connection
	for _, e := range entries {
		c := Connection{Name: e.name}
		what := fmt.Sprintf("connection %q", e.name)
		if strings.TrimSpace(e.name) == "" {
			d.errorf(e.key, "a connection needs a name")
		}
		kv := d.fields(e, what, connectionKeys...)
		if kv == nil {
			out = append(out, c)
			continue
		}
		if v, ok := kv["driver"]; ok {
			c.Driver = d.oneOf(v, drivers...)
		} else {
			d.errorf(e.key, "%s needs a driver (%s)", what, strings.Join(drivers, " | "))
		}
		env, hasEnv := kv["dsn_env"]
		if hasEnv {
			c.DSNEnv = d.envName(env)
		}
		path, hasPath := kv["path"]
		if hasPath {
			c.Path = d.nonEmpty(path)
		}
		if v, ok := kv["replication_dsn_env"]; ok {
			c.ReplicationDSNEnv = d.envName(v)
			if c.Driver != "" && c.Driver != "postgres" && c.Driver != "mysql" {
				d.errorAt(v.pos(), "%s: replication_dsn_env is for postgres and mysql connections (blue-green replication)", what)
			}
		}
		switch c.Driver {
		case "sqlite":
			if hasEnv && hasPath {
				d.errorAt(path.pos(), "%s: give path or dsn_env, not both", what)
			} else if !hasEnv && !hasPath {
				d.errorf(e.key, "%s: a sqlite connection needs path (or dsn_env)", what)
			}
		case "postgres", "mysql":
			if hasPath {
				d.errorAt(path.pos(), "%s: path is only for sqlite; a %s connection names its DSN with dsn_env", what, c.Driver)
			}
			if !hasEnv {
				d.errorf(e.key, "%s: a %s connection needs dsn_env, the environment variable holding its DSN", what, c.Driver)
			}
		}
		out = append(out, c)
	}
	return out
}

// envName reads dsn_env, which names an environment variable.
func (d *decoder) envName(f field) string {
	s, ok := scalarText(f.value)
	if !ok || !envNameRE.MatchString(s) {
		d.errorAt(f.pos(), "dsn_env must name an environment variable like SHOP_PG_DSN, got %s; secrets never live in a runbook", describe(f.value))
	}
	return s
}

// triggers decodes the rollback triggers and records where each is, as
// "triggers.<name>" in at; the keys allowed are the names in the trigger
// registry (triggers.go).
func (d *decoder) triggers(f field, at map[string]position) Triggers {
	var t Triggers
	kv := d.fields(f, "triggers", triggerNames()...)
	for name, v := range kv {
		at["triggers."+name] = posOf(v.key)
	}
	if v, ok := kv[TriggerRejectRate]; ok {
		p := d.percent(v)
		t.RejectRate = &p
	}
	if v, ok := kv[TriggerOverrun]; ok {
		p := d.percent(v)
		t.Overrun = &p
	}
	if v, ok := kv[TriggerVerifyMismatch]; ok {
		n, ok := d.integer(v)
		if ok && n < 0 {
			d.errorAt(v.pos(), "%s must not be negative", TriggerVerifyMismatch)
		}
		t.VerifyMismatch = &n
	}
	if v, ok := kv[TriggerCDCLag]; ok {
		lag := d.duration(v)
		t.CDCLag = &lag
	}
	if v, ok := kv[TriggerStepFailed]; ok {
		t.StepFailed = d.boolean(v)
	}
	if v, ok := kv[TriggerAssessment]; ok {
		b := d.boolean(v)
		t.Assessment = &b
	}
	for name, dst := range map[string]**bool{TriggerCDCPositionLost: &t.CDCPositionLost, TriggerCDCSchemaChange: &t.CDCSchemaChange} {
		v, ok := kv[name]
		if !ok {
			continue
		}
		n := len(d.errs)
		b := d.boolean(v)
		if len(d.errs) == n && !b {
			d.errorAt(v.pos(), "%s is always watched and cannot be turned off: a change stream that lost its position or met a new table shape must stop for a decision", name)
		}
		*dst = &b
	}
	return t
}

// triggerNames are the registry's trigger names, in its order.
func triggerNames() []string {
	names := make([]string, len(triggerSpecs))
	for i, t := range triggerSpecs {
		names[i] = t.Name
	}
	return names
}

// notify decodes the communication plan.
func (d *decoder) notify(f field) []Notify {
	var out []Notify
	for _, e := range d.list(f, "notify") {
		var n Notify
		kv := d.fields(e, "notify entry", notifyKeys...)
		if kv == nil {
			continue
		}
		if v, ok := kv["on"]; ok {
			n.On = d.strList(v)
			if len(n.On) == 0 && v.value != nil {
				if _, isList := v.value.(*ast.SequenceNode); isList {
					d.errorAt(v.pos(), "on is empty: name the events to notify on")
				}
			}
		} else {
			d.errorAt(e.start(), "notify entry needs on: the list of events that trigger it")
		}
		exec, hasExec := kv["exec"]
		url, hasURL := kv["url"]
		switch {
		case hasExec && hasURL:
			d.errorAt(url.pos(), "notify entry has both exec and url; give exactly one")
		case !hasExec && !hasURL:
			d.errorAt(e.start(), "notify entry needs exec (a command) or url (a webhook)")
		}
		if hasExec {
			n.Exec = d.nonEmpty(exec)
		}
		if hasURL {
			n.URL = d.nonEmpty(url)
			if n.URL != "" && !strings.HasPrefix(n.URL, "http://") && !strings.HasPrefix(n.URL, "https://") {
				d.errorAt(url.pos(), "url must start with http:// or https://, got %q", n.URL)
			}
		}
		out = append(out, n)
	}
	return out
}

// approvals reads the names that must approve the runbook (tightrope plan
// --approve --as NAME) before run starts: non-empty, each once.
func (d *decoder) approvals(f field) []string {
	names := d.strList(f)
	seen := map[string]bool{}
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			d.errorAt(f.pos(), "approvals lists an empty name")
		} else if seen[n] {
			d.errorAt(f.pos(), "approvals lists %q twice", n)
		}
		seen[n] = true
	}
	return names
}
