package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// at is the time of every test event.
var at = time.Date(2026, 3, 14, 22, 5, 0, 123000000, time.UTC)

// ev builds an event with payload p marshalled as the journal would.
func ev(t *testing.T, seq int64, typ journal.Type, p any) journal.Event {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return journal.Event{Seq: seq, At: at, Actor: "alice", StepID: "copy", Type: typ, Payload: b, Hash: headHash(seq)}
}

// recorder collects what the dispatcher records.
type recorder struct {
	mu  sync.Mutex
	got []journal.NotifiedPayload
}

func (r *recorder) record(p journal.NotifiedPayload) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, p)
}

func (r *recorder) all() []journal.NotifiedPayload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]journal.NotifiedPayload(nil), r.got...)
}

// closeNow closes d, failing the test if draining takes over 5 seconds.
func closeNow(t *testing.T, d *Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// request is one request a hook received.
type request struct {
	method      string
	contentType string
	body        string
}

// hook is a local webhook; respond answers the n-th request (from 1).
type hook struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newHook(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *hook {
	t.Helper()
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, request{r.Method, r.Header.Get("Content-Type"), string(body)})
		n := len(h.reqs)
		h.mu.Unlock()
		if respond != nil {
			respond(w, r, n)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) requests() []request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]request(nil), h.reqs...)
}

// within fails the test when f takes longer than limit.
func within(t *testing.T, limit time.Duration, what string, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	f()
	took := time.Since(start)
	if took > limit {
		t.Fatalf("%s took %s, want under %s", what, took, limit)
	}
	return took
}

// headHash is the chain hash ev gives the event of seq: 64 hex digits.
func headHash(seq int64) string { return fmt.Sprintf("%064x", seq) }
