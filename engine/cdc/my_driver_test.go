package cdc

import (
	"context"
	"testing"
	"time"
)

// TestMyServerID: a stream's replica id is stable (a resumed capture keeps
// it), differs between streams (two migrations, or a migration's forward
// and reverse streams, never share one) and stays above the small ids
// servers are given.
func TestMyServerID(t *testing.T) {
	a, b := MyServerID("tr_mig_1_capture"), MyServerID("tr_mig_2_capture")
	if a != MyServerID("tr_mig_1_capture") {
		t.Fatal("the id of a stream changes")
	}
	if a == b || a == MyServerID("tr_mig_1_flip_back") {
		t.Fatalf("two streams share replica id %d", a)
	}
	for _, id := range []uint32{a, b} {
		if id < 1<<20 || id >= 1<<20+1<<30 {
			t.Fatalf("replica id %d outside [2^20, 2^20+2^30)", id)
		}
	}
}

// TestMariaDBRegistered: this build captures from, applies to and
// replicates back from MariaDB (driver name mysql), like PostgreSQL.
func TestMariaDBRegistered(t *testing.T) {
	for _, drv := range []string{"mysql", "postgres"} {
		d := driverOf(drv)
		if !CanCapture(drv) || !CanApply(drv) || d.Create == nil || d.Sample == nil || d.Reverse == nil {
			t.Errorf("%s: capture %v apply %v create %v sample %v reverse %v", drv, CanCapture(drv), CanApply(drv), d.Create != nil, d.Sample != nil, d.Reverse != nil)
		}
	}
	if driverOf("mysql").Preflight == nil {
		t.Error("mysql has no pre-flight")
	}
	if CanCapture("sqlite") {
		t.Error("sqlite captured")
	}
}

// TestMariaDBSampleAfterRotation: a capture that has read everything
// samples as read to the binlog's end (Decoded = Head: what a switch's
// drain waits for) — after a transaction, and still after the binlog was
// rotated with nothing written since, where the last events are a
// rotation and the next file's header, no transaction.
func TestMariaDBSampleAfterRotation(t *testing.T) {
	w := newMyItemsWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := myNewCapture(CaptureSpec{DSN: w.dsn, Stream: w.stream, Journal: w.j, Actor: "cdc", StepID: "capture"})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := w.wr.step(); err != nil {
		t.Fatal(err)
	}
	w.waitSpooled(t, 1)
	caughtUp := func(what string) SourceSample {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			s, err := mySample(ctx, w.dsn, w.stream, "")
			if err != nil {
				t.Fatal(err)
			}
			if s.Head > 0 && s.Decoded == s.Head && s.BehindBytes == 0 && s.Active {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: sample %+v: the capture never stood at the binlog's end", what, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	before := caughtUp("after a transaction")
	if _, err := w.src.Exec("FLUSH BINARY LOGS"); err != nil {
		t.Fatal(err)
	}
	after := caughtUp("after a rotation")
	if after.Head <= before.Head {
		t.Fatalf("the rotation did not grow the binlog: %d then %d", before.Head, after.Head)
	}
}
