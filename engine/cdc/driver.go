package cdc

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Capturer captures one stream's source changes into the journal until its
// context ends (then it returns the context's error) or the stream fails
// (a *PositionLostError, a *SchemaChangedError or another error).
type Capturer interface {
	Run(ctx context.Context) error
}

// Applier applies one stream's spooled transactions to a target: Apply
// applies everything spooled after the target's applied position and says
// how many transactions it applied; Position reads that position.
type Applier interface {
	Position(ctx context.Context) (Applied, error)
	Apply(ctx context.Context) (int, error)
}

// StreamSpec is what creating a stream needs, whatever the engine.
type StreamSpec struct {
	Source string   // the runbook connection captured
	DSN    string   // its DSN
	Stream string   // the stream's (slot's) name
	Tables []string // the captured tables
}

// Started is a stream just created: its journaled opening and, when the
// engine exports one, the snapshot the bulk copy reads (Snapshot empty
// otherwise). Release ends the snapshot; it may be called more than once.
// Reader, when set, is how a copy reads the source in the snapshot (a
// MariaDB consistent snapshot held on one connection); without it a copy
// imports the exported snapshot by name (db.ReadingSnapshot, PostgreSQL).
type Started struct {
	Payload  journal.CDCStreamPayload
	Snapshot string
	Release  func(ctx context.Context) error
	Reader   func(d db.DB) db.DB
}

// CaptureSpec is what a capture needs. OnStarted, OnCommitted, OnRetry and
// OnResumed are the hooks PGCapture documents; OnReconnect is MyCapture's
// (a dropped binlog connection, reconnected from the journal's position).
type CaptureSpec struct {
	DSN         string
	Stream      string
	Journal     *journal.Store
	Actor       string
	StepID      string
	OnStarted   func()
	OnCommitted func(seq int64, tx journal.CDCChangesPayload)
	OnRetry     func(Retry)
	OnResumed   func(Resumed)
	OnReconnect func(err error)
}

// ApplySpec is what an applier needs. OnApplied and Ready are the hooks
// PGApplier documents.
type ApplySpec struct {
	DSN         string
	Stream      string
	JournalPath string
	OnApplied   func(seq int64, position string, changes int)
	Ready       func() bool
	// Live, Source and OnRefetched: see PGApplier — rows of tables a copy
	// read live, read again from the source when a change cannot rebuild
	// them. Source is the source's DSN when it is PostgreSQL, else "".
	Live        func() map[string]int64
	Source      string
	OnRefetched func(seq int64, table string, key []*string, found bool)
}

// Driver is one database engine's change capture: how a stream is created
// on it as a source, captured from, and applied to it as a target. A nil
// function is a side the engine does not support (yet).
type Driver struct {
	Create     func(ctx context.Context, s StreamSpec, j *journal.Store, actor, stepID string) (Started, error)
	NewCapture func(CaptureSpec) Capturer
	NewApplier func(ApplySpec) Applier
	// Sample reads the source's lag and headroom figures of a stream.
	Sample func(ctx context.Context, dsn, stream, spooled string) (SourceSample, error)
	// Preflight, if set, checks before a run's first step that a stream of
	// these tables can be created and captured on the source (settings,
	// retention, grants); its error names every change to make.
	Preflight func(ctx context.Context, dsn string, tables []string) error
	// Reverse, if set, creates a stream on this engine as the new side of
	// a switch: no snapshot (the two sides are equal and frozen), its
	// position the source's current one, journaled as cdc_stream_started.
	Reverse func(ctx context.Context, s StreamSpec, j *journal.Store, actor, stepID string) (journal.CDCStreamPayload, error)
	// ReverseReady, if set, proves before a switch stops any write that
	// Reverse will succeed on this engine as the switch's new side for a
	// stream of that name and those tables (settings, grants, the name
	// free, a slot creatable) and returns the evidence; its error names
	// every change to make.
	ReverseReady func(ctx context.Context, dsn, stream string, tables []string) (string, error)
}

var (
	driversMu sync.Mutex
	drivers   = map[string]Driver{}
)

// Register makes an engine's change capture available by its runbook
// driver name (postgres, mysql). Registering a name twice replaces it.
func Register(driver string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	drivers[driver] = d
}

func driverOf(driver string) Driver {
	driversMu.Lock()
	defer driversMu.Unlock()
	return drivers[driver]
}

// registered lists the drivers that support what has returns true for.
func registered(has func(Driver) bool) string {
	driversMu.Lock()
	defer driversMu.Unlock()
	var out []string
	for name, d := range drivers {
		if has(d) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// Create creates a stream on a source of the named driver.
func Create(ctx context.Context, driver string, s StreamSpec, j *journal.Store, actor, stepID string) (Started, error) {
	d := driverOf(driver)
	if d.Create == nil {
		return Started{}, notYet(driver, "capture from", func(d Driver) bool { return d.Create != nil })
	}
	return d.Create(ctx, s, j, actor, stepID)
}

// NewCapture returns the capture of a source of the named driver.
func NewCapture(driver string, s CaptureSpec) (Capturer, error) {
	d := driverOf(driver)
	if d.NewCapture == nil {
		return nil, notYet(driver, "capture from", func(d Driver) bool { return d.NewCapture != nil })
	}
	return d.NewCapture(s), nil
}

// NewApplier returns the applier to a target of the named driver.
func NewApplier(driver string, s ApplySpec) (Applier, error) {
	d := driverOf(driver)
	if d.NewApplier == nil {
		return nil, notYet(driver, "apply to", func(d Driver) bool { return d.NewApplier != nil })
	}
	return d.NewApplier(s), nil
}

// Sample reads a stream's source figures (a zero sample with figures -1
// when the driver cannot).
func Sample(ctx context.Context, driver, dsn, stream, spooled string) (SourceSample, error) {
	d := driverOf(driver)
	if d.Sample == nil {
		return SourceSample{Decoded: -1, BehindBytes: -1, HeadroomBytes: -1}, nil
	}
	return d.Sample(ctx, dsn, stream, spooled)
}

// Preflight checks that a stream can be captured from a source of the
// named driver (nil when the driver has no pre-flight of its own).
func Preflight(ctx context.Context, driver, dsn string, tables []string) error {
	d := driverOf(driver)
	if d.Preflight == nil {
		return nil
	}
	return d.Preflight(ctx, dsn, tables)
}

// CreateReverse creates a snapshot-less stream on a source of the named
// driver at its current position (the new side of a switch, frozen).
func CreateReverse(ctx context.Context, driver string, s StreamSpec, j *journal.Store, actor, stepID string) (journal.CDCStreamPayload, error) {
	d := driverOf(driver)
	if d.Reverse == nil {
		return journal.CDCStreamPayload{}, notYet(driver, "replicate back from", func(d Driver) bool { return d.Reverse != nil })
	}
	return d.Reverse(ctx, s, j, actor, stepID)
}

// ReverseReady proves that a reverse stream can be created on the new side
// of a switch of the named driver (see Driver.ReverseReady).
func ReverseReady(ctx context.Context, driver, dsn, stream string, tables []string) (string, error) {
	d := driverOf(driver)
	if d.ReverseReady == nil || d.Reverse == nil {
		return "", notYet(driver, "replicate back from", func(d Driver) bool { return d.ReverseReady != nil && d.Reverse != nil })
	}
	return d.ReverseReady(ctx, dsn, stream, tables)
}

// CanCapture and CanApply tell whether this build captures from, or
// applies to, the named driver.
func CanCapture(driver string) bool { return driverOf(driver).NewCapture != nil }

// Capturable lists the drivers this build captures from; Appliable those
// it applies to.
func Capturable() string { return registered(func(d Driver) bool { return d.NewCapture != nil }) }

// Appliable: see Capturable.
func Appliable() string { return registered(func(d Driver) bool { return d.NewApplier != nil }) }

// CanApply: see CanCapture.
func CanApply(driver string) bool { return driverOf(driver).NewApplier != nil }

func notYet(driver, what string, has func(Driver) bool) error {
	return fmt.Errorf("cdc: this build cannot %s %s yet (it can: %s)", what, driver, registered(has))
}
