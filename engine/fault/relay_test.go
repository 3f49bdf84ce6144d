package fault

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// echo is a line echo server on loopback, standing in for the far side of
// the relay in the relay's own tests (the PostgreSQL test below uses a
// real server).
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func relay(t *testing.T, target string) *Relay {
	t.Helper()
	r, err := NewRelay(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func roundTrip(c net.Conn, deadline time.Duration) (time.Duration, error) {
	start := time.Now()
	c.SetDeadline(time.Now().Add(deadline))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && line != "ping\n" {
		err = io.ErrUnexpectedEOF
	}
	return time.Since(start), err
}

func TestRelayDropResetsAndHeals(t *testing.T) {
	r := relay(t, echo(t))
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := roundTrip(c, time.Second); err != nil {
		t.Fatalf("before the drop: %v", err)
	}
	r.Drop(400 * time.Millisecond)
	if _, err := roundTrip(c, time.Second); err == nil {
		t.Fatal("an open connection survived the drop")
	}
	if c2, err := net.Dial("tcp", r.Addr()); err == nil {
		if _, err := roundTrip(c2, time.Second); err == nil {
			t.Error("a new connection worked during the drop")
		}
		c2.Close()
	}
	time.Sleep(500 * time.Millisecond)
	c3, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if _, err := roundTrip(c3, time.Second); err != nil {
		t.Fatalf("after the drop healed: %v", err)
	}
}

func TestRelayBlackholeStallsSilently(t *testing.T) {
	r := relay(t, echo(t))
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r.Blackhole(600 * time.Millisecond)
	took, err := roundTrip(c, 3*time.Second)
	if err != nil {
		t.Fatalf("a blackhole must not break the connection: %v", err)
	}
	if took < 500*time.Millisecond {
		t.Errorf("the round trip took %s during a 600ms blackhole", took)
	}
}

func TestRelayLatency(t *testing.T) {
	r := relay(t, echo(t))
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r.SetLatency(100 * time.Millisecond)
	took, err := roundTrip(c, 3*time.Second)
	if err != nil || took < 200*time.Millisecond {
		t.Errorf("round trip %s, %v; want at least 200ms (100ms each way)", took, err)
	}
}

// A real PostgreSQL connection through the relay: a drop breaks the query
// in flight, and the pool connects again once the network is back.
func TestRelayDropOnPostgres(t *testing.T) {
	base := dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	addr, err := db.AddressOf(db.Postgres, base)
	if err != nil {
		t.Fatal(err)
	}
	r := relay(t, addr)
	through, err := db.WithAddress(db.Postgres, base, r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	d, err := sql.Open("pgx", through)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if err := d.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, err := d.ExecContext(ctx, "SELECT pg_sleep(2)"); done <- err }()
	time.Sleep(300 * time.Millisecond)
	r.Drop(500 * time.Millisecond)
	if err := <-done; err == nil {
		t.Fatal("a query survived the network drop")
	}
	time.Sleep(600 * time.Millisecond)
	if err := d.PingContext(ctx); err != nil {
		t.Fatalf("after the drop healed: %v", err)
	}
}

// A network fault strikes AFTER into its step, journals when it strikes
// and when it heals, and never strikes once the step is over.
func TestNetworkFaultStrikesOnlyWithinItsStep(t *testing.T) {
	r := relay(t, echo(t))
	f, err := Parse("network-drop:source@copy:200ms:50ms")
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Relays: map[string]*Relay{"source": r}}
	in := NewInjector(env, []Fault{f}, nil)
	got := make(chan journal.FaultPayload, 4)
	record := func(p journal.FaultPayload) { got <- p }
	copyStep := runbooks.Step{ID: "copy", Kind: runbooks.KindCopy}
	in.BeforeStep(context.Background(), copyStep, journal.State{}, record)
	struck := <-got
	if struck.Error != "" || struck.Ended || struck.Spec != f.Spec() || struck.Kind != "network-drop" {
		t.Fatalf("strike %+v", struck)
	}
	if healed := <-got; !healed.Ended || healed.At.Sub(struck.At) < 200*time.Millisecond {
		t.Errorf("heal %+v, %s after the strike", healed, healed.At.Sub(struck.At))
	}

	late, _ := Parse("network-drop:source@copy:200ms:300ms")
	in = NewInjector(env, []Fault{late}, nil)
	in.BeforeStep(context.Background(), copyStep, journal.State{}, record)
	in.AfterStep(context.Background(), copyStep, journal.State{}, record) // the copy was quicker than AFTER
	if p := <-got; p.Error == "" || !strings.Contains(p.Error, "was over before 300ms") {
		t.Errorf("a fault after its step: %+v", p)
	}
}
