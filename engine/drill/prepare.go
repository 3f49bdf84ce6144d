package drill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/fault"
	"github.com/tightrope/tightrope/runbooks"
)

// Options say where and how a drill gets its connections.
type Options struct {
	Runbook *runbooks.Runbook // the live runbook, as loaded
	Dir     string            // the drill's own directory (created): drill runbook, SQLite clones, journal
	ID      string            // short id; NewID when empty
	Clone   bool              // throw-away copies of every connection instead of the drill: section
	Keep    bool              // keep the clones after the drill
	// Relays names the connections that go through a loopback relay
	// (network and latency faults): their drill DSN is pointed at it.
	Relays []string
}

// Prepared is a drill ready to run: its runbook names only drill
// connections.
type Prepared struct {
	ID          string
	Dir         string
	RunbookPath string            // the drill's runbook, written in Dir
	Connections map[string]string // connection → what the drill runs against, without secrets
	Live        []string          // live SQLite files, to prove them untouched
	Notes       []string          // what was done, for the operator
	Relays      map[string]*fault.Relay
	// Direct are the drill connections as they reach their servers, past
	// any relay: the drill's own clean-up after the run uses them.
	Direct []runbooks.Connection

	clones []clone
	keep   bool
}

// clone is one throw-away copy, with how to drop it.
type clone struct {
	what string
	drop func(context.Context) error
}

// NewID is a short random id naming a drill and its clones.
func NewID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Prepare gives every connection of the runbook its drill stand-in — the
// runbook's drill: section, or a clone with Clone — refusing a connection
// that would be a live one, and writes the drill's runbook into Dir.
func Prepare(ctx context.Context, o Options) (p *Prepared, err error) {
	rb := o.Runbook
	if o.ID == "" {
		o.ID = NewID()
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	prep := &Prepared{ID: o.ID, Dir: o.Dir, Connections: map[string]string{}, keep: false}
	defer func() { // a drill that does not start leaves no clone behind, --keep or not
		if err != nil {
			err = errors.Join(err, prep.Cleanup(context.WithoutCancel(ctx)))
		}
	}()
	p = prep
	base := filepath.Dir(rb.Path)
	var conns []runbooks.Connection
	for _, live := range rb.Connections {
		if live.Driver == db.SQLite && live.Path != "" {
			p.Live = append(p.Live, absPath(base, live.Path))
		}
		var c runbooks.Connection
		switch stand, ok := rb.DrillConnection(live.Name); {
		case o.Clone:
			c, err = p.cloneOf(ctx, live, base, o)
			if err != nil {
				return nil, fmt.Errorf("cloning connection %q: %w", live.Name, err)
			}
		case ok:
			if err := notLive(stand, rb, base); err != nil {
				return nil, err
			}
			c = stand
			if c.Path != "" {
				c.Path = absPath(base, c.Path)
			}
		default:
			return nil, fmt.Errorf("connection %q has no stand-in in the runbook's drill: section and --clone was not given: a drill never runs against a live connection", live.Name)
		}
		p.Direct = append(p.Direct, c)
		if slices.Contains(o.Relays, live.Name) {
			if c, err = p.relay(c, o.ID); err != nil {
				return nil, fmt.Errorf("routing connection %q through the drill's relay: %w", live.Name, err)
			}
		}
		p.Connections[live.Name] = describe(c)
		conns = append(conns, c)
	}
	text, err := rb.WithConnections(conns)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(rb.Path), filepath.Ext(rb.Path))
	p.RunbookPath = filepath.Join(o.Dir, name+".drill.yaml")
	if err := os.WriteFile(p.RunbookPath, text, 0o644); err != nil {
		return nil, err
	}
	p.keep = o.Keep
	return p, nil
}

// notLive refuses a drill connection that is also a live connection of
// the runbook: the same SQLite file, or a DSN variable holding the same DSN.
func notLive(c runbooks.Connection, rb *runbooks.Runbook, base string) error {
	for _, live := range rb.Connections {
		same := false
		switch {
		case c.Path != "" && live.Path != "":
			same = absPath(base, c.Path) == absPath(base, live.Path)
		case c.DSNEnv != "" && live.DSNEnv != "":
			same = c.DSNEnv == live.DSNEnv || (os.Getenv(c.DSNEnv) != "" && os.Getenv(c.DSNEnv) == os.Getenv(live.DSNEnv))
		}
		if same {
			return fmt.Errorf("drill connection %q is also the live connection %q of the runbook: refused (give it its own dsn_env or path in drill:, or use --clone)", c.Name, live.Name)
		}
	}
	return nil
}

func absPath(base, p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// describe names a drill connection without secrets.
func describe(c runbooks.Connection) string {
	if c.Path != "" {
		return "sqlite:" + c.Path
	}
	return db.RedactDSN(c.Driver, os.Getenv(c.DSNEnv)) + " ($" + c.DSNEnv + ")"
}

// Cleanup drops the clones, unless the drill keeps them.
func (p *Prepared) Cleanup(ctx context.Context) error {
	if p == nil || p.keep {
		return nil
	}
	var errs []error
	for i := len(p.clones) - 1; i >= 0; i-- {
		if err := p.clones[i].drop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("dropping the clone %s: %w", p.clones[i].what, err))
		}
	}
	p.clones = nil
	return errors.Join(errs...)
}

// Clones names the clones still there.
func (p *Prepared) Clones() []string {
	var out []string
	for _, c := range p.clones {
		out = append(out, c.what)
	}
	return out
}

// relay starts a loopback relay to the drill connection's server and
// points the connection at it.
func (p *Prepared) relay(c runbooks.Connection, id string) (runbooks.Connection, error) {
	if c.DSNEnv == "" {
		return c, fmt.Errorf("a %s file has no network to fault", c.Driver)
	}
	dsn := os.Getenv(c.DSNEnv)
	addr, err := db.AddressOf(c.Driver, dsn)
	if err != nil {
		return c, err
	}
	r, err := fault.NewRelay(addr)
	if err != nil {
		return c, err
	}
	p.clones = append(p.clones, clone{what: "relay " + r.Addr(), drop: func(context.Context) error { return r.Close() }})
	through, err := db.WithAddress(c.Driver, dsn, r.Addr())
	if err != nil {
		return c, err
	}
	env := cloneEnv(id, c.Name) + "_RELAY"
	if err := os.Setenv(env, through); err != nil {
		return c, err
	}
	if p.Relays == nil {
		p.Relays = map[string]*fault.Relay{}
	}
	p.Relays[c.Name] = r
	p.Notes = append(p.Notes, fmt.Sprintf("connection %s goes through the drill's relay at %s", c.Name, r.Addr()))
	c.DSNEnv = env
	return c, nil
}

// cloneOf makes the throw-away copy of one live connection.
func (p *Prepared) cloneOf(ctx context.Context, live runbooks.Connection, base string, o Options) (runbooks.Connection, error) {
	switch live.Driver {
	case db.SQLite:
		return p.cloneSQLite(ctx, live, base, o)
	case db.Postgres:
		return p.clonePostgres(ctx, live, o)
	case db.MySQL:
		return p.cloneMySQL(ctx, live, o)
	}
	return runbooks.Connection{}, fmt.Errorf("cannot clone a %s connection", live.Driver)
}
