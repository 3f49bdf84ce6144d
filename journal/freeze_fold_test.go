package journal

import "testing"

// TestFreezeFold: a freeze is active from its record until the unfreeze of
// that record, whatever came between; writes_frozen marks it in force; a
// switch is over until a switch-back of the same step succeeded; Clone
// copies the records.
func TestFreezeFold(t *testing.T) {
	var s State
	g := []Grant{{Role: "app", Table: "t", Privilege: "INSERT"}}
	s.Apply(ev(2, "alice", "freeze", Freeze, FreezePayload{Conn: "source", Method: FreezeRevoke, Tables: []string{"t"}, Revoked: g}))
	f, ok := s.ActiveFreeze("source")
	if !ok || f.Frozen || f.Seq != 2 || f.StepID != "freeze" || len(f.Revoked) != 1 {
		t.Fatalf("after the record: %+v %v", f, ok)
	}
	if _, ok := s.ActiveFreeze("target"); ok {
		t.Fatal("target is not frozen")
	}
	s.Apply(ev(3, "alice", "freeze", WritesFrozen, FrozenPayload{Conn: "source", Of: 2}))
	if f, _ := s.ActiveFreeze("source"); !f.Frozen {
		t.Fatal("writes_frozen did not put the freeze in force")
	}
	c := s.Clone()
	c.Freezes[0].Revoked[0].Role = "changed"
	if s.Freezes[0].Revoked[0].Role != "app" {
		t.Fatal("Clone shares the revoked grants")
	}
	s.Apply(ev(4, "alice", "flip", Switched, SwitchPayload{From: "source", To: "target", OK: true, HookMS: 5}))
	if over, back := s.SwitchedOver("flip"); !over || back {
		t.Fatalf("after the switch: over %v back %v", over, back)
	}
	s.Apply(ev(5, "alice", "flip", Switched, SwitchPayload{From: "target", To: "source", Back: true, Error: "lb down"}))
	if _, back := s.SwitchedOver("flip"); back {
		t.Fatal("a failed switch-back counted as switched back")
	}
	s.Apply(ev(6, "alice", "flip", Switched, SwitchPayload{From: "target", To: "source", Back: true, OK: true}))
	if _, back := s.SwitchedOver("flip"); !back {
		t.Fatal("the switch-back did not count")
	}
	s.Apply(ev(7, "alice", "", Unfreeze, UnfreezePayload{Conn: "source", Of: 99}))
	if _, ok := s.ActiveFreeze("source"); !ok {
		t.Fatal("an unfreeze of another record undid this freeze")
	}
	s.Apply(ev(8, "alice", "", Unfreeze, UnfreezePayload{Conn: "source", Of: 2, Reason: "rollback"}))
	if _, ok := s.ActiveFreeze("source"); ok {
		t.Fatal("the unfreeze did not end the freeze")
	}
}
