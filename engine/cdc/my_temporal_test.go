package cdc

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// TestMariaDBTemporalCapture: DATETIME, DATE, TIME and YEAR columns are
// spooled as the server's text of the stored value, and a TIMESTAMP as
// its UTC text whatever the writing session's time zone.
func TestMariaDBTemporalCapture(t *testing.T) {
	my := cdctest.MariaDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := my.CreateDatabase(t, dbtest.UniqueName(t, "tm"))
	src, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1) // the session's time zone holds for the insert
	if _, err := src.Exec(`CREATE TABLE tm (id INT PRIMARY KEY, dt DATETIME(3), d DATE, tt TIME, y YEAR, ts TIMESTAMP NULL)`); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Create(filepath.Join(t.TempDir(), "run.journal"), journal.RunStartedPayload{Operator: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	stream := "s_" + dbtest.UniqueName(t, "tm")
	if len(stream) > 63 {
		stream = stream[:63]
	}
	snap, _, err := MyStream{DSN: dsn, Stream: stream, Tables: []string{"tm"}}.Create(ctx, j, "cdc", "start")
	if err != nil {
		t.Fatal(err)
	}
	snap.Release(ctx)
	c := myNewCapture(CaptureSpec{DSN: dsn, Stream: stream, Journal: j, Actor: "cdc", StepID: "capture"})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if _, err := src.Exec("SET time_zone = '+02:00'"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exec(`INSERT INTO tm VALUES (1, '2026-01-02 03:04:05.678', '2026-02-03', '12:34:56', 2026, '2026-01-02 05:00:00')`); err != nil {
		t.Fatal(err)
	}
	var tx journal.CDCChangesPayload
	deadline := time.Now().Add(30 * time.Second)
	for tx.Stream == "" {
		if time.Now().After(deadline) {
			t.Fatal("the insert was never spooled")
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("capture: %v", err)
		default:
		}
		time.Sleep(50 * time.Millisecond)
		journal.ScanDecoded(ctx, j.Path(), func(e journal.Event, p any, err error) error {
			if x, ok := p.(journal.CDCChangesPayload); ok && x.Stream == stream {
				tx = x
			}
			return nil
		})
	}
	got := map[string]string{}
	ch := tx.Changes[0]
	for i, col := range ch.Columns {
		if ch.New[i] != nil {
			got[col] = *ch.New[i]
		}
	}
	want := map[string]string{"id": "1", "dt": "2026-01-02 03:04:05.678", "d": "2026-02-03", "tt": "12:34:56", "y": "2026", "ts": "2026-01-02 03:00:00"}
	for col, v := range want {
		if got[col] != v {
			t.Errorf("%s spooled as %q, want %q", col, got[col], v)
		}
	}
}
