package cdc

import "testing"

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
