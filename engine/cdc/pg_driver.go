package cdc

import (
	"context"

	"github.com/tightrope/tightrope/journal"
)

func init() {
	Register("postgres", Driver{Create: pgCreate, NewCapture: pgNewCapture, NewApplier: pgNewApplier, Sample: PGSample,
		Preflight: pgPreflight, Reverse: pgReverse, ReverseReady: pgReverseReady})
}

// pgCreate creates a PostgreSQL stream (publication and slot) with its
// exported snapshot.
func pgCreate(ctx context.Context, s StreamSpec, j *journal.Store, actor, stepID string) (Started, error) {
	snap, p, err := PGStream{Source: s.Source, DSN: s.DSN, Stream: s.Stream, Tables: s.Tables}.Create(ctx, j, actor, stepID)
	if err != nil {
		return Started{}, err
	}
	return Started{Payload: p, Snapshot: snap.Name, Release: snap.Release}, nil
}

func pgNewCapture(s CaptureSpec) Capturer {
	return &PGCapture{DSN: s.DSN, Stream: s.Stream, Journal: s.Journal, Actor: s.Actor, StepID: s.StepID,
		OnStarted: s.OnStarted, OnCommitted: s.OnCommitted, OnRetry: s.OnRetry, OnResumed: s.OnResumed}
}

func pgNewApplier(s ApplySpec) Applier {
	return &PGApplier{DSN: s.DSN, Stream: s.Stream, JournalPath: s.JournalPath, OnApplied: s.OnApplied, Ready: s.Ready,
		Live: s.Live, Source: s.Source, OnRefetched: s.OnRefetched}
}

// pgReverse creates a PostgreSQL stream with no exported snapshot: its
// consistent point is where the reverse direction of a switch starts.
func pgReverse(ctx context.Context, s StreamSpec, j *journal.Store, actor, stepID string) (journal.CDCStreamPayload, error) {
	snap, p, err := PGStream{Source: s.Source, DSN: s.DSN, Stream: s.Stream, Tables: s.Tables, NoSnapshot: true}.Create(ctx, j, actor, stepID)
	if err != nil {
		return p, err
	}
	return p, snap.Release(ctx)
}
