package journal

import (
	"encoding/json"
	"fmt"
)

// Payloads are decoded in one place: every event Type is registered below
// with its payload struct, and Decode turns an event into a value of that
// struct — a value, never a pointer (RunStartedPayload, not
// *RunStartedPayload) — for readers to type-switch on. Two types may share
// a struct (Progress and TableCopied both carry ProgressPayload); such
// readers tell them apart by Event.Type.
//
// To add an event type: declare it and its payload struct in event.go, then
// add its one line to payloadOf. TestEveryTypeRegistered fails until you do.

// payloadOf maps each event type to its payload struct. A duplicate key
// does not compile.
var payloadOf = map[Type]payloadSpec{
	RunStarted:       payload[RunStartedPayload](),
	RunResumed:       payload[RunResumedPayload](),
	StepStarted:      payload[StepStartedPayload](),
	StepFinished:     payload[StepFinishedPayload](),
	ChecklistChecked: payload[ChecklistPayload](),
	Log:              payload[LogPayload](),
	Progress:         progressSpec(),
	RowsRejected:     payload[RejectsPayload](),
	CastApplied:      payload[CastPayload](),
	TableCopied:      progressSpec(),
	VerifyResult:     payload[VerifyPayload](),
	SnapshotTaken:    payload[SnapshotPayload](),
	RestoreFinished:  payload[RestorePayload](),
	TriggerFired:     payload[TriggerPayload](),
	Awaiting:         payload[AwaitingPayload](),
	Decision:         payload[DecisionPayload](),
	Refused:          payload[RefusedPayload](),
	Note:             payload[NotePayload](),
	RollbackStarted:  payload[RollbackPayload](),
	RollbackFinished: payload[RollbackPayload](),
	RunFinished:      payload[RunFinishedPayload](),
	Paused:           payload[ControlPayload](),
	Unpaused:         payload[ControlPayload](),
	StepSkipped:      payload[ControlPayload](),
	Aborted:          payload[ControlPayload](),
	Notified:         payload[NotifiedPayload](),
	Warning:          payload[WarningPayload](),
	SkipRequested:    payload[ControlPayload](),
	FaultInjected:    payload[FaultPayload](),
	CopyTuned:        payload[CopyTunedPayload](),
	Approval:         payload[ApprovalPayload](),
	CDCStreamStarted: payload[CDCStreamPayload](),
	CDCChanges:       payload[CDCChangesPayload](),
	CDCApplied:       payload[CDCAppliedPayload](),
	CDCLagSample:     payload[CDCLagPayload](),
	CDCCopyLive:      payload[CDCCopyLivePayload](),
	Assessed:         payload[AssessmentPayload](),
	Freeze:           payload[FreezePayload](),
	WritesFrozen:     payload[FrozenPayload](),
	Unfreeze:         payload[UnfreezePayload](),
	SequencesSynced:  payload[SequencesPayload](),
	SwitchCheck:      payload[SwitchCheckPayload](),
	Switched:         payload[SwitchPayload](),
	Replicated:       payload[ReplicatedPayload](),
}

// payloadSpec decodes one registered payload struct.
type payloadSpec struct {
	decode func(json.RawMessage) (any, error)
}

// payload is the spec of payload struct P.
func payload[P any]() payloadSpec {
	return payloadSpec{decode: func(raw json.RawMessage) (any, error) {
		var p P
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, err
		}
		return p, nil
	}}
}

// PayloadError is an event whose payload does not decode into its type's
// struct: a journal written by hand, or by a build whose payloads differ.
type PayloadError struct {
	Seq  int64
	Type Type
	Err  error
}

// Error is "seq 42: trigger payload: json: cannot unmarshal ...".
func (e *PayloadError) Error() string {
	return fmt.Sprintf("seq %d: %s payload: %v", e.Seq, e.Type, e.Err)
}

// Unwrap returns the decoding error.
func (e *PayloadError) Unwrap() error { return e.Err }

// Decode returns e's payload as a value of the struct its type is
// registered with (see payloadOf). A payload that does not decode gives
// nil and a *PayloadError; a type this build does not know gives nil, nil,
// so old readers survive new writers. Fields a payload has and its struct
// lacks are ignored, for the same reason.
func Decode(e Event) (any, error) {
	spec, ok := payloadOf[e.Type]
	if !ok {
		return nil, nil
	}
	p, err := spec.decode(e.Payload)
	if err != nil {
		return nil, &PayloadError{Seq: e.Seq, Type: e.Type, Err: err}
	}
	return p, nil
}
