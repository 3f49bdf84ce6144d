// Package snapshot takes labelled, verified snapshots with each engine's
// native method and restores them, proving after a restore that the data is
// exactly what the manifest recorded at capture.
package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Request says what to snapshot and how to label it.
type Request struct {
	MigrationID string
	StepID      string
	Connection  string // runbook connection name
	Dir         string // where artefacts are written
	Now         func() time.Time
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Take snapshots d into an artefact in req.Dir, then opens the artefact and
// records each table's row count and checksum in the manifest, so the
// snapshot is proven readable and complete before anyone relies on it.
func Take(ctx context.Context, d db.DB, req Request) (journal.SnapshotPayload, error) {
	sn, ok := d.(db.Snapshotter)
	if !ok {
		return journal.SnapshotPayload{}, fmt.Errorf("snapshots of %s databases are not supported yet", d.Driver())
	}
	now := req.Now()
	label := fmt.Sprintf("%s %s@%s", req.MigrationID, req.Connection, now.UTC().Format("2006-01-02T15:04:05Z"))
	if err := os.MkdirAll(req.Dir, 0o755); err != nil {
		return journal.SnapshotPayload{}, err
	}
	name := unsafeName.ReplaceAllString(fmt.Sprintf("%s-%s-%s", req.MigrationID, req.StepID, now.UTC().Format("20060102T150405.000Z")), "_")
	artefact := filepath.Join(req.Dir, name+".sqlite")
	start := time.Now()
	if err := sn.Snapshot(ctx, artefact); err != nil {
		return journal.SnapshotPayload{}, fmt.Errorf("taking the snapshot: %w", err)
	}
	tables, err := d.Tables(ctx)
	if err != nil {
		return journal.SnapshotPayload{}, err
	}
	copyDB, err := db.Open(ctx, runbooks.Connection{Name: "snapshot", Driver: d.Driver(), Path: artefact}, "")
	if err != nil {
		return journal.SnapshotPayload{}, fmt.Errorf("opening the snapshot to verify it: %w", err)
	}
	defer copyDB.Close()
	sums, err := verify.Checksums(ctx, copyDB, tables)
	if err != nil {
		return journal.SnapshotPayload{}, fmt.Errorf("verifying the snapshot: %w", err)
	}
	digest, size, err := fileDigest(artefact)
	if err != nil {
		return journal.SnapshotPayload{}, err
	}
	took := time.Since(start)
	return journal.SnapshotPayload{
		Label: label, Connection: req.Connection, Method: "sqlite-vacuum-into", Artefact: artefact,
		SHA256: digest, Size: size, Tables: sums, DurationMS: took.Milliseconds(), CapturedAt: now.UTC(),
		// A restore rewrites what the capture read and then checksums it
		// again: estimate it as the capture's time (both are dominated by
		// the same volume), until a measured restore says otherwise.
		EstRestoreMS: max(took.Milliseconds(), 1),
	}, nil
}

// ErrDamaged means a snapshot artefact no longer matches its manifest.
var ErrDamaged = errors.New("snapshot artefact is damaged")

// Restore checks the artefact against the manifest's sha256, restores it
// natively into d, then recomputes every table's count and checksum. The
// returned tables are what was found after the restore; verified is true
// only when they equal the manifest exactly.
func Restore(ctx context.Context, d db.DB, m journal.SnapshotPayload) (tables []journal.TableSnapshot, verified bool, err error) {
	sn, ok := d.(db.Snapshotter)
	if !ok {
		return nil, false, fmt.Errorf("restores of %s databases are not supported yet", d.Driver())
	}
	digest, _, err := fileDigest(m.Artefact)
	if err != nil {
		return nil, false, fmt.Errorf("reading the snapshot artefact: %w", err)
	}
	if digest != m.SHA256 {
		return nil, false, fmt.Errorf("%w: %s has sha256 %s, the manifest says %s", ErrDamaged, m.Artefact, digest[:12], m.SHA256[:12])
	}
	if err := sn.Restore(ctx, m.Artefact); err != nil {
		return nil, false, fmt.Errorf("restoring %s: %w", m.Label, err)
	}
	names := make([]string, len(m.Tables))
	for i, t := range m.Tables {
		names[i] = t.Table
	}
	tables, err = verify.Checksums(ctx, d, names)
	if err != nil {
		return nil, false, fmt.Errorf("verifying the restore: %w", err)
	}
	verified = len(tables) == len(m.Tables)
	for i := range tables {
		if verified && (tables[i].Rows != m.Tables[i].Rows || tables[i].Checksum != m.Tables[i].Checksum) {
			verified = false
		}
	}
	return tables, verified, nil
}

func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
