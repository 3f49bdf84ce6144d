package runbooks

import (
	"strings"
	"testing"
)

// TestKindRegistry: every kind constant has one entry, in the order the
// messages list them, and only the kinds with side effects ask on resume.
func TestKindRegistry(t *testing.T) {
	want := []string{KindManual, KindGate, KindShell, KindSQL, KindCopy, KindVerify,
		KindSnapshot, KindRestore, KindCDCStart, KindCDCCatchup, KindFreeze, KindUnfreeze, KindSwitch, KindWait, KindAssess, KindReplicate}
	if got := strings.Join(Kinds(), " "); got != strings.Join(want, " ") {
		t.Fatalf("Kinds() = %s", got)
	}
	asks := map[string]bool{KindShell: true, KindSQL: true, KindSwitch: true}
	for _, k := range want {
		if got := (Step{Kind: k}).HasSideEffects(); got != asks[k] {
			t.Errorf("%s: HasSideEffects %v", k, got)
		}
		if (Step{Kind: k, Idempotent: true}).HasSideEffects() {
			t.Errorf("%s: an idempotent step has side effects", k)
		}
	}
	if (Step{Kind: "teleport"}).HasSideEffects() {
		t.Error("an unknown kind has side effects")
	}
}

// TestChangeCaptureWrites: a cdc-start changes its source (publication,
// slot) and not its target; a cdc-catchup changes its target.
func TestChangeCaptureWrites(t *testing.T) {
	rb := &Runbook{}
	start := Step{Kind: KindCDCStart, From: "a", To: "b"}
	catch := Step{Kind: KindCDCCatchup, From: "a", To: "b"}
	if !rb.MayWrite(start, "a") || rb.MayWrite(start, "b") {
		t.Errorf("cdc-start writes a: %v, b: %v", rb.MayWrite(start, "a"), rb.MayWrite(start, "b"))
	}
	if rb.MayWrite(catch, "a") || !rb.MayWrite(catch, "b") {
		t.Errorf("cdc-catchup writes a: %v, b: %v", rb.MayWrite(catch, "a"), rb.MayWrite(catch, "b"))
	}
}

// TestFreezeRefusesSQLite: SQLite has no privileges nor read_only, so a
// freeze or unfreeze of a SQLite connection is a load error at its on:.
func TestFreezeRefusesSQLite(t *testing.T) {
	for _, kind := range []string{KindFreeze, KindUnfreeze} {
		_, err := Parse("f.yaml", []byte(top+"steps:\n  - { id: f, kind: "+kind+", on: source }\n"))
		if err == nil || !strings.Contains(err.Error(), `connection "source" is SQLite, which has no way to stop other writers`) {
			t.Errorf("%s of a SQLite connection: %v", kind, err)
		}
	}
}
