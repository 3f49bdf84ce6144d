package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// MariaDB registers under the runbook driver name mysql: capture reads
// MariaDB GTIDs only (MyPreflight refuses a MySQL server), apply works on
// either.
func init() {
	Register("mysql", Driver{Create: myCreate, NewCapture: myNewCapture, NewApplier: myNewApplier, Sample: mySample,
		Preflight: myPreflight, Reverse: myReverse, ReverseReady: myReverseReady})
}

// MyServerID is the replica id a capture of the named stream registers
// with: derived from the stream's name (which carries the migration id and
// the step), so two migrations capturing one server never share an id,
// and a resumed capture keeps its own. It stays clear of the small ids
// servers are usually given (1 to 2^16).
func MyServerID(stream string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(stream))
	return 1<<20 + h.Sum32()%(1<<30)
}

// myCreate creates a MariaDB stream: its held consistent snapshot is what
// the copy steps read (Reader), released with Release.
func myCreate(ctx context.Context, s StreamSpec, j *journal.Store, actor, stepID string) (Started, error) {
	var err error
	if s.DSN, err = db.MySQLNativeDSN(s.DSN); err != nil {
		return Started{}, err
	}
	snap, p, err := MyStream{Source: s.Source, DSN: s.DSN, Stream: s.Stream, Tables: s.Tables, ServerID: MyServerID(s.Stream)}.Create(ctx, j, actor, stepID)
	if err != nil {
		return Started{}, err
	}
	return Started{Payload: p, Snapshot: "consistent snapshot at GTID " + snap.GTID, Release: snap.Release,
		Reader: func(d db.DB) db.DB { return snap.Reader(d) }}, nil
}

// myPreflight is MyPreflight's verdict on a source as one error.
func myPreflight(ctx context.Context, dsn string, tables []string) error {
	dsn, err := db.MySQLNativeDSN(dsn)
	if err != nil {
		return err
	}
	rep, err := MyPreflight(ctx, dsn, MyPreflightOptions{Tables: tables})
	if err != nil {
		return err
	}
	return rep.Err()
}

// myReverseReady is MyPreflight for a switch's way back, before writes
// stop, with the binlog's current GTID position read as myReverse will:
// the evidence names the server, its retention and the position.
func myReverseReady(ctx context.Context, dsn, _ string, tables []string) (string, error) {
	dsn, err := db.MySQLNativeDSN(dsn)
	if err != nil {
		return "", err
	}
	rep, err := MyPreflight(ctx, dsn, MyPreflightOptions{Tables: tables})
	if err != nil {
		return "", err
	}
	if err := rep.Err(); err != nil {
		return "", err
	}
	pool, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	var pos string
	if err := pool.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
		return "", fmt.Errorf("cdc: read gtid_binlog_pos: %w", err)
	}
	keep := "binlogs kept until purged"
	if rep.Retention > 0 {
		keep = "binlogs kept " + rep.Retention.String()
	}
	return fmt.Sprintf("%s: binlog ROW with full row images and metadata, %s, replication grants and SELECT on %d tables; GTID position %s", rep.Version, keep, len(tables), orUnset(pos)), nil
}

// myReverse starts a MariaDB stream at the server's current GTID position
// (gtid_binlog_pos), with no snapshot: the new side of a switch, frozen
// and equal to the old one.
func myReverse(ctx context.Context, s StreamSpec, j *journal.Store, actor, stepID string) (journal.CDCStreamPayload, error) {
	var zero journal.CDCStreamPayload
	if err := checkName("stream", s.Stream); err != nil {
		return zero, err
	}
	var err error
	if s.DSN, err = db.MySQLNativeDSN(s.DSN); err != nil {
		return zero, err
	}
	if err := myPreflight(ctx, s.DSN, s.Tables); err != nil {
		return zero, err
	}
	pool, err := sql.Open("mysql", s.DSN)
	if err != nil {
		return zero, err
	}
	defer pool.Close()
	id, err := myIdentity(ctx, pool)
	if err != nil {
		return zero, err
	}
	var pos string
	if err := pool.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
		return zero, fmt.Errorf("cdc: read gtid_binlog_pos: %w", err)
	}
	p := journal.CDCStreamPayload{Stream: s.Stream, Source: s.Source, Engine: "mysql", Tables: slices.Clone(s.Tables), SystemID: id, Start: pos, BinaryMarked: true}
	if _, err := j.Append(ctx, actor, stepID, journal.CDCStreamStarted, p); err != nil {
		return zero, err
	}
	return p, nil
}

// myCaptures are the MariaDB captures running in this process, by stream:
// the lag sampler reads a capture's read point from it.
var myCaptures = struct {
	sync.Mutex
	by map[string]*MyCapture
}{by: map[string]*MyCapture{}}

// myRunning is a MyCapture that registers itself while it runs.
type myRunning struct{ *MyCapture }

// Run registers the capture for the sampler and runs it.
func (r myRunning) Run(ctx context.Context) error {
	myCaptures.Lock()
	myCaptures.by[r.Stream] = r.MyCapture
	myCaptures.Unlock()
	defer func() {
		myCaptures.Lock()
		if myCaptures.by[r.Stream] == r.MyCapture {
			delete(myCaptures.by, r.Stream)
		}
		myCaptures.Unlock()
	}()
	return r.MyCapture.Run(ctx)
}

func myNewCapture(s CaptureSpec) Capturer {
	s.DSN = myNative(s.DSN)
	return myRunning{&MyCapture{DSN: s.DSN, Stream: s.Stream, ServerID: MyServerID(s.Stream), Journal: s.Journal, Actor: s.Actor, StepID: s.StepID,
		OnStarted: s.OnStarted, OnCommitted: s.OnCommitted, OnReconnect: s.OnReconnect}}
}

func myNewApplier(s ApplySpec) Applier {
	s.DSN = myNative(s.DSN)
	return &MyApplier{DSN: s.DSN, Stream: s.Stream, JournalPath: s.JournalPath, OnApplied: s.OnApplied, Ready: s.Ready}
}

// mySample is MyLag in the sampler's terms: Head is the server's binlog
// length (the sizes of every binlog, summed), Decoded how much of it the
// capture has read (Head minus the bytes after its read point), so a
// drain compares them like a PostgreSQL LSN pair. A capture not running
// in this process measures from the journal's last commit.
func mySample(ctx context.Context, dsn, stream, spooled string) (SourceSample, error) {
	out, err := mySampleLog(ctx, dsn, stream, spooled)
	if err != nil {
		return out, err
	}
	pool, err := sql.Open("mysql", myNative(dsn))
	if err != nil {
		return out, err
	}
	defer pool.Close()
	out.OpenTx, err = myOpenTx(ctx, pool)
	return out, err
}

// mySampleLog is mySample's binlog figures.
func mySampleLog(ctx context.Context, dsn, stream, spooled string) (SourceSample, error) {
	out := SourceSample{Decoded: -1, BehindBytes: -1, HeadroomBytes: -1}
	dsn = myNative(dsn)
	myCaptures.Lock()
	c := myCaptures.by[stream]
	myCaptures.Unlock()
	var sp Spooled
	var read MyPoint
	if c != nil {
		var found bool
		var err error
		sp, found, err = ReadSpooled(ctx, c.Journal.Path(), stream)
		if err != nil {
			return out, err
		}
		if !found {
			return out, errors.New("cdc: stream " + stream + " was never started in this journal")
		}
		read = c.ReadPoint()
	} else {
		sp.Last = spooled
	}
	if sp.Resume() == "" {
		return out, nil
	}
	r, h, err := myLagFiles(ctx, dsn, sp, read)
	if err != nil {
		return out, err
	}
	for _, f := range h.files {
		out.Head += f.size
	}
	out.BehindBytes, out.HeadroomBytes = r.SourceLagBytes, r.HeadroomBytes
	out.Active = c != nil
	// HeadroomBytes 0 (the position is in the oldest binlog) is normal on
	// MariaDB: binlogs expire by age, not by a size the stream reserves.
	out.WALStatus = "reserved"
	if len(r.Lost) > 0 {
		out.WALStatus, out.Lost = "lost", r.Lost
	}
	point := read
	if point.File == "" && sp.LastCommit != "" {
		point = parseMyPoint(sp.LastCommit, sp.LastAt)
	}
	var before int64
	for _, f := range h.files {
		if point.File != "" && f.name == point.File {
			out.Decoded = before + point.Pos
			break
		}
		before += f.size
	}
	if out.Decoded < 0 && caughtUpGTID(sp.Resume(), h.ServerGTID) {
		out.Decoded = out.Head // nothing read yet, and nothing written after the position
	}
	return out, nil
}

// caughtUpGTID: the server's binlog ends, in every domain, at or before
// the position.
func caughtUpGTID(position, server string) bool {
	have, err := myGTIDSeqs(position)
	if err != nil {
		return false
	}
	srv, err := myGTIDSeqs(server)
	if err != nil {
		return false
	}
	for dom, seq := range srv {
		if have[dom] < seq {
			return false
		}
	}
	return true
}

// myLagFiles is MyLag with the binlog listing it measured against.
func myLagFiles(ctx context.Context, dsn string, sp Spooled, read MyPoint) (MyLagReading, myHeadroomState, error) {
	pool, err := sql.Open("mysql", dsn)
	if err != nil {
		return MyLagReading{}, myHeadroomState{}, err
	}
	defer pool.Close()
	h, err := myHeadroom(ctx, pool, sp.Resume())
	if err != nil {
		return MyLagReading{}, h, err
	}
	r, err := MyLag(ctx, dsn, sp, read)
	return r, h, err
}

// myNative is dsn in go-sql-driver form; one that does not parse is left
// as it is, for the capture or applier to refuse when it connects.
func myNative(dsn string) string {
	if native, err := db.MySQLNativeDSN(dsn); err == nil {
		return native
	}
	return dsn
}
