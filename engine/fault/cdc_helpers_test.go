package fault

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/tightrope/tightrope/engine/cdc"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// cdcWorld is a database on a throwaway change-capture server reached as
// drill connection "source" through a relay, as a drill sets it up.
type cdcWorld struct {
	direct, through string // DSNs
	relay           *Relay
	env             *Env
}

// pgCDCWorld creates a database with table items on the throwaway
// PostgreSQL.
func pgCDCWorld(t *testing.T) *cdcWorld {
	t.Helper()
	srv := cdctest.Postgres(t)
	w := &cdcWorld{direct: srv.CreateDatabase(t, dbtest.UniqueName(t, "f"))}
	u, _ := url.Parse(w.direct)
	w.relay = relay(t, u.Host)
	u.Host = w.relay.Addr()
	w.through = u.String()
	w.exec(t, "CREATE TABLE items (id int PRIMARY KEY, qty int, note text)",
		"INSERT INTO items SELECT g, g, 'n' || g FROM generate_series(1, 10) g")
	w.envFor(t, db.Postgres)
	return w
}

// myCDCWorld creates a database with table items on the throwaway MariaDB.
func myCDCWorld(t *testing.T) *cdcWorld {
	t.Helper()
	srv := cdctest.MariaDB(t)
	w := &cdcWorld{direct: srv.CreateDatabase(t, dbtest.UniqueName(t, "f"))}
	cfg, err := mysql.ParseDSN(w.direct)
	if err != nil {
		t.Fatal(err)
	}
	w.relay = relay(t, cfg.Addr)
	cfg.Addr = w.relay.Addr()
	w.through = cfg.FormatDSN()
	w.exec(t, "CREATE TABLE items (id int PRIMARY KEY, qty int, note text)",
		"INSERT INTO items VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c')")
	w.envFor(t, db.MySQL)
	return w
}

func (w *cdcWorld) envFor(t *testing.T, driver string) {
	env := "TIGHTROPE_FAULT_TEST_" + strings.ToUpper(driver) + "_RELAY"
	t.Setenv(env, w.through)
	rb := &runbooks.Runbook{Connections: []runbooks.Connection{{Name: "source", Driver: driver, DSNEnv: env}}}
	w.env = &Env{Runbook: rb, BaseDir: t.TempDir(), Relays: map[string]*Relay{"source": w.relay}}
	t.Cleanup(func() { w.env.Close() })
}

func (w *cdcWorld) sql(t *testing.T) *sql.DB {
	t.Helper()
	driver := "pgx"
	if !strings.HasPrefix(w.direct, "postgres") {
		driver = "mysql"
	}
	d, err := sql.Open(driver, w.direct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func (w *cdcWorld) exec(t *testing.T, stmts ...string) {
	t.Helper()
	d := w.sql(t)
	for _, s := range stmts {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// strike injects spec into a step named after it and returns the
// payloads it records: wait blocks until n have come (or fails the test).
func (w *cdcWorld) strike(t *testing.T, spec, step string) (wait func(n int) []journal.FaultPayload) {
	t.Helper()
	f, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	in := NewInjector(w.env, []Fault{f}, nil)
	var mu sync.Mutex
	var got []journal.FaultPayload
	in.BeforeStep(context.Background(), runbooks.Step{ID: step, Kind: "cdc-catchup"}, journal.State{}, func(p journal.FaultPayload) {
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	})
	return func(n int) []journal.FaultPayload {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			mu.Lock()
			out := append([]journal.FaultPayload(nil), got...)
			mu.Unlock()
			for _, p := range out {
				if p.Error != "" {
					t.Fatalf("%s: %s", spec, p.Error)
				}
			}
			if len(out) >= n {
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d records after 2 minutes: %+v", spec, len(out), n, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// pgStream starts a change stream of items and a capture through the
// relay; done receives Run's error.
type pgStream struct {
	journal *journal.Store
	name    string
	done    chan error
	cancel  context.CancelFunc
	resumed chan cdc.Resumed
}

func (w *cdcWorld) startStream(t *testing.T) *pgStream {
	t.Helper()
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	name := strings.ReplaceAll(dbtest.UniqueName(t, "s"), "-", "_")
	if len(name) > 60 {
		name = "s" + name[len(name)-59:]
	}
	def := cdc.PGStream{Source: "source", DSN: w.direct, Stream: name, Tables: []string{"items"}}
	snap, _, err := def.Create(context.Background(), j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		def.Drop(ctx)
	})
	ctx, cancel := context.WithCancel(context.Background())
	s := &pgStream{journal: j, name: name, done: make(chan error, 1), cancel: cancel, resumed: make(chan cdc.Resumed, 10)}
	c := &cdc.PGCapture{DSN: w.through, Stream: name, Journal: j, Actor: "cdc", StepID: "capture",
		StatusEvery: 300 * time.Millisecond, RetryMax: 500 * time.Millisecond,
		OnResumed: func(r cdc.Resumed) { s.resumed <- r }}
	go func() { s.done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-s.done })
	return s
}

// spooled waits until the stream's journal holds n transactions.
func (s *pgStream) spooled(t *testing.T, n int64) cdc.Spooled {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		sp, _, err := cdc.ReadSpooled(context.Background(), s.journal.Path(), s.name)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Count >= n {
			return sp
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal holds %d transactions, want %d", sp.Count, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// result waits for the capture to stop by itself.
func (s *pgStream) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(90 * time.Second):
		t.Fatal("the capture did not stop")
		return nil
	}
}

func runbookStep(id string) runbooks.Step { return runbooks.Step{ID: id, Kind: "cdc-catchup"} }
