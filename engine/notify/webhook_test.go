package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func TestWebhookGetsMatchingEventsOnly(t *testing.T) {
	h := newHook(t, nil)
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"trigger", "failed"}, URL: h.URL + "/hook"}}, Options{
		MigrationID: "MIG-2026-042", RunbookName: "Shop to PostgreSQL", Mode: journal.ModeDrill, Record: rec.record,
	})
	d.Notify(ev(t, 1, journal.StepStarted, journal.StepStartedPayload{Kind: "copy"}))
	d.Notify(ev(t, 2, journal.Progress, journal.ProgressPayload{Table: "orders"}))
	d.Notify(ev(t, 3, journal.TriggerFired, journal.TriggerPayload{Trigger: "reject_rate", Table: "orders", Observed: 0.4, Threshold: 0.1, Message: "0.4% > 0.1%"}))
	d.Notify(ev(t, 4, journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusDone, DurationMS: 5}))
	d.Notify(ev(t, 5, journal.Log, journal.LogPayload{Stream: "stdout", Line: "hi"}))
	d.Notify(ev(t, 6, journal.StepFinished, journal.StepFinishedPayload{Status: journal.StatusFailed, Error: "exit 1", DurationMS: 7}))
	closeNow(t, d)

	reqs := h.requests()
	want := []string{
		`{"seq":3,"head_hash":"` + headHash(3) + `","at":"2026-03-14T22:05:00.123Z","actor":"alice","step_id":"copy","type":"trigger",` +
			`"payload":{"message":"0.4% > 0.1%","observed":0.4,"table":"orders","threshold":0.1,"trigger":"reject_rate"},` +
			`"migration_id":"MIG-2026-042","run":{"runbook":"Shop to PostgreSQL","mode":"drill"}}`,
		`{"seq":6,"head_hash":"` + headHash(6) + `","at":"2026-03-14T22:05:00.123Z","actor":"alice","step_id":"copy","type":"step_finished",` +
			`"payload":{"duration_ms":7,"error":"exit 1","status":"failed"},` +
			`"migration_id":"MIG-2026-042","run":{"runbook":"Shop to PostgreSQL","mode":"drill"}}`,
	}
	if len(reqs) != len(want) {
		t.Fatalf("hook got %d requests, want %d: %+v", len(reqs), len(want), reqs)
	}
	for i, r := range reqs {
		if r.method != http.MethodPost || r.contentType != "application/json" {
			t.Errorf("request %d: %s with Content-Type %q", i, r.method, r.contentType)
		}
		if r.body != want[i] {
			t.Errorf("request %d body:\n got %s\nwant %s", i, r.body, want[i])
		}
		var m Message
		if err := json.Unmarshal([]byte(r.body), &m); err != nil || m.Run.Runbook == "" {
			t.Errorf("request %d does not decode as a Message: %v", i, err)
		}
	}
	got := rec.all()
	if len(got) != 2 || !got[0].OK || !got[1].OK || got[0].Seq != 3 || got[1].Seq != 6 ||
		got[0].Event != journal.TriggerFired || got[0].Target != h.URL+"/hook" {
		t.Errorf("records = %+v", got)
	}
}

func TestWebhookRetriesOnceOn5xx(t *testing.T) {
	h := newHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	})
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, URL: h.URL}}, Options{Record: rec.record})
	d.retryDelay = 10 * time.Millisecond
	d.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "hello"}))
	closeNow(t, d)
	if n := len(h.requests()); n != 2 {
		t.Errorf("hook got %d requests, want 2 (one retry)", n)
	}
	if got := rec.all(); len(got) != 1 || !got[0].OK {
		t.Errorf("records = %+v, want one OK", got)
	}
}

func TestWebhookNon2xxFails(t *testing.T) {
	h := newHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no such hook " + strings.Repeat("x", 1000)))
	})
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, URL: h.URL}}, Options{Record: rec.record})
	d.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "hello"}))
	closeNow(t, d)
	if n := len(h.requests()); n != 1 {
		t.Errorf("hook got %d requests, want 1 (no retry on 4xx)", n)
	}
	got := rec.all()
	if len(got) != 1 || got[0].OK {
		t.Fatalf("records = %+v, want one failure", got)
	}
	e := got[0].Error
	if !strings.HasPrefix(e, "HTTP 404 Not Found: no such hook xxx") || len(e) > 600 {
		t.Errorf("error = %q (%d bytes), want the status and the first 512 bytes of the body", e, len(e))
	}
}

func TestWebhookHangTimesOut(t *testing.T) {
	release := make(chan struct{})
	h := newHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, URL: h.URL}}, Options{Timeout: 200 * time.Millisecond, Record: rec.record})
	d.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "hello"}))
	within(t, 3*time.Second, "a hung webhook", func() { closeNow(t, d) })
	got := rec.all()
	if len(got) != 1 || got[0].OK || got[0].Error != "timed out after 200ms" {
		t.Errorf("records = %+v, want one timeout", got)
	}
}

func TestNotifyNeverBlocks(t *testing.T) {
	first := make(chan struct{})
	release := make(chan struct{})
	var seqs []int64
	h := newHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			close(first)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, URL: h.URL}}, Options{Record: rec.record})
	d.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "first"}))
	<-first // the worker is stuck in the first notification
	within(t, time.Second, "999 Notify calls", func() {
		for i := int64(2); i <= 1000; i++ {
			d.Notify(ev(t, i, journal.Note, journal.NotePayload{Text: "more"}))
		}
	})
	close(release)
	closeNow(t, d)

	dropped, ok := 0, 0
	for _, r := range rec.all() {
		switch {
		case r.OK:
			ok++
			seqs = append(seqs, r.Seq)
		case r.Error == ErrTextDropped:
			if r.Seq < 2 || r.Seq > 1000-QueueSize {
				t.Errorf("dropped seq %d, want the oldest ones dropped", r.Seq)
			}
			dropped++
		default:
			t.Errorf("unexpected record %+v", r)
		}
	}
	if wantDropped := 999 - QueueSize; dropped != wantDropped || ok != QueueSize+1 {
		t.Errorf("%d dropped, %d delivered; want %d and %d", dropped, ok, wantDropped, QueueSize+1)
	}
	for i, s := range seqs[1:] { // delivered in order: 1, then the newest QueueSize
		if want := int64(1000 - QueueSize + 1 + i); s != want {
			t.Fatalf("delivery %d was seq %d, want %d", i+1, s, want)
		}
	}
}

func TestCloseGivesUpAtDeadline(t *testing.T) {
	h := newHook(t, func(w http.ResponseWriter, r *http.Request, n int) { <-r.Context().Done() })
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, URL: h.URL}}, Options{Timeout: time.Minute, Record: rec.record})
	for i := int64(1); i <= 3; i++ {
		d.Notify(ev(t, i, journal.Note, journal.NotePayload{Text: "x"}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var err error
	within(t, 3*time.Second, "Close past its deadline", func() { err = d.Close(ctx) })
	if err == nil {
		t.Error("Close returned nil, want the deadline error")
	}
	got := rec.all()
	if len(got) != 3 || got[0].Error != errClosed.Error() || got[1].Error != ErrTextClosed || got[2].Error != ErrTextClosed {
		t.Errorf("records = %+v", got)
	}
	n := len(got)
	d.Notify(ev(t, 4, journal.Note, journal.NotePayload{Text: "late"})) // ignored after Close
	if err := d.Close(context.Background()); err != nil || len(rec.all()) != n {
		t.Errorf("Notify/Close after Close: err %v, records %d", err, len(rec.all()))
	}
}

func TestNilAndIdleDispatchers(t *testing.T) {
	var nilD *Dispatcher
	nilD.Notify(journal.Event{Type: journal.Note})
	if err := nilD.Close(context.Background()); err != nil {
		t.Error(err)
	}
	idle := New([]runbooks.Notify{{On: []string{"progress"}, URL: "http://127.0.0.1:1"}, {On: []string{"note"}}}, Options{
		Record: func(journal.NotifiedPayload) { t.Error("nothing should be recorded") },
	})
	idle.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "x"}))
	closeNow(t, idle)
}

func TestWebhookNoRetryPastTheBudget(t *testing.T) {
	h := newHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"note"}, URL: h.URL}}, Options{Timeout: 300 * time.Millisecond, Record: rec.record})
	d.Notify(ev(t, 1, journal.Note, journal.NotePayload{Text: "hello"}))
	within(t, 200*time.Millisecond, "a 502 with no time to retry", func() { closeNow(t, d) })
	got := rec.all()
	if len(h.requests()) != 1 || len(got) != 1 || got[0].Error != "HTTP 502 Bad Gateway: down; no time left to retry" {
		t.Errorf("requests %d, records %+v", len(h.requests()), got)
	}
}
