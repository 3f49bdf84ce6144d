package cdc

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/tightrope/tightrope/engine/fault"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/journal"
)

// throughRelay starts a loopback relay to the throwaway PostgreSQL and
// returns it with dsn pointed at it.
func throughRelay(t *testing.T, dsn string) (*fault.Relay, string) {
	t.Helper()
	srv := cdctest.Postgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fault.NewRelay(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if u.Port() != strconv.Itoa(srv.Port) {
		t.Fatalf("dsn %s is not on the throwaway server's port %d", u.Host, srv.Port)
	}
	u.Host = r.Addr()
	return r, u.String()
}

// cutFor is how long the connection cut test cuts the stream: the
// acceptance's 60s unless TIGHTROPE_CDC_CUT says otherwise (a duration).
func cutFor(t *testing.T) time.Duration {
	if s := os.Getenv("TIGHTROPE_CDC_CUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("TIGHTROPE_CDC_CUT=%q is not a duration", s)
		}
		return d
	}
	return 60 * time.Second
}

// background runs the writer's steps until stop, pausing pace between
// transactions; stop returns the first error.
func (wr *writer) background(t *testing.T, pace time.Duration) (stop func() error) {
	quit, done := make(chan struct{}), make(chan error, 1)
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { close(quit); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() }) // a test that failed first still stops it before its connection closes
	go func() {
		for {
			select {
			case <-quit:
				done <- nil
				return
			case <-time.After(pace):
			}
			if err := wr.stepErr(); err != nil {
				done <- err
				return
			}
		}
	}()
	return stop
}

// events records a capture's retries and resumptions.
type events struct {
	mu      sync.Mutex
	retries []Retry
	resumed []Resumed
}

func (e *events) hook(c *PGCapture) {
	c.OnRetry = func(r Retry) { e.mu.Lock(); e.retries = append(e.retries, r); e.mu.Unlock() }
	c.OnResumed = func(r Resumed) { e.mu.Lock(); e.resumed = append(e.resumed, r); e.mu.Unlock() }
}

// snapshot copies what was told so far.
func (e *events) snapshot() ([]Retry, []Resumed) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Retry(nil), e.retries...), append([]Resumed(nil), e.resumed...)
}

func (e *events) counts() (int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.retries), len(e.resumed)
}

// checkExactlyOnce: every spooled transaction of the stream has a position
// and an xid of its own, in rising source order.
func checkExactlyOnce(t *testing.T, w *pgWorld) int {
	t.Helper()
	checkStrictlyIncreasing(t, w)
	xids := map[int64]int64{}
	n := 0
	err := journal.ScanDecoded(context.Background(), w.journal.Path(), func(e journal.Event, p any, err error) error {
		if err != nil || e.Type != journal.CDCChanges {
			return err
		}
		tx := p.(journal.CDCChangesPayload)
		if seq, dup := xids[tx.XID]; dup {
			t.Errorf("xid %d spooled twice: seq %d and %d", tx.XID, seq, e.Seq)
		}
		xids[tx.XID] = e.Seq
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// slotConfirmed is the slot's confirmed_flush_lsn.
func slotConfirmed(t *testing.T, w *pgWorld) pglogrepl.LSN {
	t.Helper()
	var s string
	if err := pgConnect(t, w.source).QueryRow(context.Background(), "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", w.stream).Scan(&s); err != nil {
		t.Fatal(err)
	}
	l, err := pglogrepl.ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// relayDSN is a relay and the source's DSN through it.
type relayDSN struct {
	r   *fault.Relay
	dsn string
}
