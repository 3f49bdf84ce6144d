package journal

import "time"

// FreezeRecord is one freeze as the fold knows it: journaled (Freeze), in
// force once writes_frozen came (Frozen), undone by an unfreeze (Undone).
type FreezeRecord struct {
	FreezePayload
	Seq    int64 // the freeze event's seq
	StepID string
	At     time.Time
	Frozen bool
	Undone bool
}

// ActiveFreeze returns the freeze of conn not yet undone, if any: the
// record an unfreeze restores from, and a resumed freeze re-applies.
func (s State) ActiveFreeze(conn string) (FreezeRecord, bool) {
	for i := len(s.Freezes) - 1; i >= 0; i-- {
		if f := s.Freezes[i]; f.Conn == conn && !f.Undone {
			return f, true
		}
	}
	return FreezeRecord{}, false
}

// SwitchRecord is one switched event: a switch (or switch-back) that ended.
type SwitchRecord struct {
	SwitchPayload
	StepID string
	At     time.Time
}

// SwitchedOver tells whether the switch step id switched (its hook ran
// and succeeded) and whether a rollback switched it back since.
func (s State) SwitchedOver(id string) (switched, back bool) {
	for _, r := range s.Switches {
		if r.StepID != id {
			continue
		}
		switch {
		case r.Back && r.OK:
			back = true
		case !r.Back && r.OK:
			switched, back = true, false
		}
	}
	return switched, back
}

// applyFreeze folds freeze, writes_frozen, unfreeze and switched events.
func (s *State) applyFreeze(e Event, pl any) {
	switch p := pl.(type) {
	case FreezePayload:
		s.Freezes = append(s.Freezes, FreezeRecord{FreezePayload: p, Seq: e.Seq, StepID: e.StepID, At: e.At})
	case FrozenPayload:
		if f := s.freezeAt(p.Of); f != nil {
			f.Frozen = true
		}
	case SwitchPayload:
		s.Switches = append(s.Switches, SwitchRecord{SwitchPayload: p, StepID: e.StepID, At: e.At})
	case UnfreezePayload:
		if f := s.freezeAt(p.Of); f != nil {
			f.Undone = true
		}
	}
}

func (s *State) freezeAt(seq int64) *FreezeRecord {
	for i := range s.Freezes {
		if s.Freezes[i].Seq == seq {
			return &s.Freezes[i]
		}
	}
	return nil
}
