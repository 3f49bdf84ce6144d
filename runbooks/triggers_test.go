package runbooks

import (
	"reflect"
	"strings"
	"testing"
)

// TestEveryRegisteredTriggerIsRead writes every trigger of the registry
// into a runbook, with a value in its unit, and checks that each one sets
// a field of Triggers: a trigger added to the registry is allowed by the
// loader at once, so it must not be dropped in silence.
func TestEveryRegisteredTriggerIsRead(t *testing.T) {
	value := map[Unit]string{UnitFraction: "1%", UnitRows: "3", UnitMillis: "30s", UnitNone: "true"}
	var b strings.Builder
	b.WriteString("version: 1\nname: t\nmigration_id: m\ndecision_maker: alice\ntriggers:\n")
	for _, s := range TriggerSpecs() {
		v, ok := value[s.Unit]
		if !ok {
			t.Fatalf("%s: no test value for unit %q", s.Name, s.Unit)
		}
		b.WriteString("  " + s.Name + ": " + v + "\n")
	}
	b.WriteString("steps: [{ id: g, kind: gate, question: ok? }]\n")
	rb, err := Parse("t.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(rb.Triggers)
	set := 0
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			set++
		}
	}
	if n := len(TriggerSpecs()); set != n || v.NumField() != n {
		t.Errorf("%d triggers registered, %d fields of Triggers, %d set: %+v", n, v.NumField(), set, rb.Triggers)
	}
}

// TestTriggerByName finds every registered trigger and no other.
func TestTriggerByName(t *testing.T) {
	for _, s := range TriggerSpecs() {
		if got, ok := TriggerByName(s.Name); !ok || got.Name != s.Name || got.Unit != s.Unit || got.Scope != s.Scope || got.Doc != s.Doc {
			t.Errorf("TriggerByName(%q) = %+v, %v", s.Name, got, ok)
		}
	}
	if _, ok := TriggerByName("lag"); ok {
		t.Error("TriggerByName found an unknown trigger")
	}
}
