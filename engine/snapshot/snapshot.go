// Package snapshot takes labelled, verified snapshots with each engine's
// native method, keeps a catalog of them (a manifest JSON beside every
// artefact), and restores them, proving before the restore that the
// artefact is intact and after it that the data is exactly what the
// manifest recorded at capture.
//
// Methods (a runbook step's method:, the engine's default when empty):
//
//	sqlite    vacuum-into (default), backup      a file
//	postgres  pg_dump (-Fc of the current schema) a file, restored with pg_restore in one transaction
//	mysql     schema (default)                   an in-server database <db>__snap_<name>
//	          mysqldump (--single-transaction)   a file, restored by piping it into mysql
//
// The manifest's checksums are read from exactly the data the artefact
// holds, at the same instant (see the db adapters' TakeSnapshot); inside
// the server where the engine can, so that no row is shipped to compute
// them (see checksum.go for the kinds).
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
	"strings"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Request says what to snapshot and how to label it.
type Request struct {
	MigrationID string
	StepID      string
	Connection  string // runbook connection name
	DSNEnv      string // the connection's dsn_env, recorded by name so verify and prune can reconnect
	Method      string // runbook method; the engine's default when empty
	Dir         string // where artefacts and manifests are written
	Now         func() time.Time
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ManifestSuffix ends every manifest file's name: <dir>/<name>.manifest.json.
const ManifestSuffix = ".manifest.json"

// snapshotter returns d's Snapshotter and the method to use.
func snapshotter(d db.DB, method string) (db.Snapshotter, db.SnapshotMethod, error) {
	sn, ok := d.(db.Snapshotter)
	if !ok {
		return nil, db.SnapshotMethod{}, fmt.Errorf("snapshots of %s databases are not supported", d.Driver())
	}
	if method == "sqlite-vacuum-into" { // as journals before the catalog named it
		method = db.MethodVacuumInto
	}
	m, err := db.FindSnapshotMethod(d.Driver(), sn, method)
	return sn, m, err
}

// Take snapshots d with the request's method, reading every table's row
// count and checksum from the snapshot itself (same data, same instant),
// writes the manifest beside the artefact and returns it. A failed Take
// leaves neither artefact nor manifest behind.
func Take(ctx context.Context, d db.DB, req Request) (journal.SnapshotPayload, error) {
	sn, method, err := snapshotter(d, req.Method)
	if err != nil {
		return journal.SnapshotPayload{}, err
	}
	clock := req.Now
	if clock == nil {
		clock = time.Now
	}
	now := clock().UTC()
	if err := os.MkdirAll(req.Dir, 0o755); err != nil {
		return journal.SnapshotPayload{}, err
	}
	name := ArtefactName(req.MigrationID, req.StepID, now)
	manifest := filepath.Join(req.Dir, name+ManifestSuffix)
	if _, err := os.Lstat(manifest); err == nil {
		return journal.SnapshotPayload{}, fmt.Errorf("snapshot %s already exists in %s", name, req.Dir)
	}
	dir, err := filepath.Abs(req.Dir)
	if err != nil {
		return journal.SnapshotPayload{}, err
	}
	start := time.Now()
	var tables []journal.TableSnapshot
	info, err := sn.TakeSnapshot(ctx, method.Name, dir, name, func(view db.DB) error {
		names, err := view.Tables(ctx)
		if err == nil {
			tables, err = checksums(ctx, view, names, nil)
		}
		if err != nil {
			return fmt.Errorf("reading the snapshot's checksums: %w", err)
		}
		return nil
	})
	if err != nil {
		return journal.SnapshotPayload{}, fmt.Errorf("taking the snapshot: %w", err)
	}
	m := journal.SnapshotPayload{
		Step: req.StepID, Label: fmt.Sprintf("%s %s@%s", req.MigrationID, req.Connection, now.Format("2006-01-02T15:04:05Z")),
		Connection: req.Connection, Method: method.Name, Artefact: info.Artefact, Tables: tables, CapturedAt: now,
		MigrationID: req.MigrationID, Driver: d.Driver(), Database: d.Describe(), DSNEnv: req.DSNEnv,
		Scope: info.Scope, InServer: info.InServer, Tool: info.Tool.Name, ToolVersion: info.Tool.Version,
	}
	if info.InServer {
		m.SHA256, m.Size = tablesDigest(tables), info.Size
	} else if m.SHA256, m.Size, err = fileDigest(info.Artefact); err != nil {
		discard(ctx, sn, m)
		return journal.SnapshotPayload{}, err
	}
	took := time.Since(start)
	m.DurationMS = took.Milliseconds()
	// A restore rewrites what the capture read and then checksums it
	// again: estimate it as the capture's time (both are dominated by the
	// same volume), until a measured restore says otherwise.
	m.EstRestoreMS = max(took.Milliseconds(), 1)
	if err := writeManifest(manifest, m); err != nil {
		discard(ctx, sn, m)
		return journal.SnapshotPayload{}, fmt.Errorf("writing the manifest: %w", err)
	}
	return m, nil
}

// ArtefactName is the name Take gives the artefact and manifest of a
// snapshot taken by a step at now (UTC).
func ArtefactName(migrationID, stepID string, now time.Time) string {
	return unsafeName.ReplaceAllString(fmt.Sprintf("%s-%s-%s", migrationID, stepID, now.UTC().Format("20060102T150405.000Z")), "_")
}

// discard removes the artefact of a snapshot that could not be recorded.
func discard(ctx context.Context, sn db.Snapshotter, m journal.SnapshotPayload) {
	if m.InServer {
		sn.DropSnapshot(ctx, m.Method, m.Artefact) //nolint:errcheck // best effort after a failure
		return
	}
	os.Remove(m.Artefact)
}

// ErrDamaged means a snapshot artefact no longer matches its manifest (or
// is gone).
var ErrDamaged = errors.New("snapshot artefact is damaged")

// fileDigest returns a file's sha256 and size.
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

// tablesDigest is an in-server snapshot's sha256: over its tables' names,
// row counts and checksums, in manifest order.
func tablesDigest(tables []journal.TableSnapshot) string {
	h := sha256.New()
	io.WriteString(h, "tightrope/snapshot-tables/v1\n")
	for _, t := range tables {
		fmt.Fprintf(h, "%q %d %s\n", t.Table, t.Rows, t.Checksum)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkFile proves a file artefact: present, same size, same sha256.
func checkFile(m journal.SnapshotPayload) error {
	digest, size, err := fileDigest(m.Artefact)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s is missing", ErrDamaged, m.Artefact)
	case err != nil:
		return fmt.Errorf("reading the snapshot artefact: %w", err)
	case size != m.Size:
		return fmt.Errorf("%w: %s has %d bytes, the manifest says %d", ErrDamaged, m.Artefact, size, m.Size)
	case digest != m.SHA256:
		return fmt.Errorf("%w: %s has sha256 %s…, the manifest says %s…", ErrDamaged, m.Artefact, short(digest), short(m.SHA256))
	}
	return nil
}

// checkTables compares tables read now with the manifest's; ErrDamaged
// names the first differences.
func checkTables(what string, m journal.SnapshotPayload, got []journal.TableSnapshot) error {
	if d := diff(m.Tables, got); d != "" {
		return fmt.Errorf("%w: %s differs from the manifest: %s", ErrDamaged, what, d)
	}
	return nil
}

// diff describes how got differs from want ("" when equal), first three
// differences.
func diff(want, got []journal.TableSnapshot) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d tables, the manifest has %d", len(got), len(want))
	}
	var out []string
	for i := range want {
		w, g := want[i], got[i]
		if w != g && len(out) < 3 {
			out = append(out, fmt.Sprintf("%s has %d rows, checksum %s… (manifest: %d rows, %s…)", w.Table, g.Rows, short(g.Checksum), w.Rows, short(w.Checksum)))
		}
	}
	return strings.Join(out, "; ")
}

func short(s string) string { return s[:min(12, len(s))] }

// names lists the manifest's tables.
func names(m journal.SnapshotPayload) []string {
	out := make([]string, len(m.Tables))
	for i, t := range m.Tables {
		out[i] = t.Table
	}
	return out
}
