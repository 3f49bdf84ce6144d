package snapshot

// The catalog: a directory of snapshots, each a manifest
// <name>.manifest.json beside its artefact (a file there, or a database on
// the server). List reads it, VerifyArtefact re-proves one artefact, Prune
// removes old ones.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Entry is one snapshot of a catalog directory.
type Entry struct {
	journal.SnapshotPayload
	Manifest string // path of the manifest file
	Name     string // the manifest's file name without ManifestSuffix
	// Recorded is the file artefact's path as the manifest recorded it;
	// Artefact is the file of that name beside the manifest, the one that
	// verify checks and prune removes (the catalog may be a copy).
	Recorded string
	Err      error // the manifest could not be read; the payload is empty
}

// writeManifest writes m as indented JSON, atomically (temporary file,
// sync, rename).
func writeManifest(path string, m journal.SnapshotPayload) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// List reads every manifest in dir, oldest capture first. A manifest that
// cannot be read is listed with Err set. A file artefact is always the
// file beside its manifest, wherever the manifest recorded it: a moved or
// copied catalog is checked and pruned as the files it holds, never
// through the original's absolute path. A missing dir lists nothing.
func List(dir string) ([]Entry, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"+ManifestSuffix))
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, f := range files {
		e := Entry{Manifest: f, Name: strings.TrimSuffix(filepath.Base(f), ManifestSuffix)}
		b, err := os.ReadFile(f)
		if err == nil {
			err = json.Unmarshal(b, &e.SnapshotPayload)
		}
		if err == nil && e.Label == "" {
			err = errors.New("not a snapshot manifest (no label)")
		}
		if err != nil {
			e.Err = fmt.Errorf("manifest %s: %w", f, err)
		} else if !e.InServer && e.Artefact != "" {
			e.Recorded = e.Artefact
			e.Artefact = filepath.Join(filepath.Dir(f), filepath.Base(e.Artefact))
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		return cmp.Or(a.CapturedAt.Compare(b.CapturedAt), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// ErrNeedsConnection is returned for an in-server snapshot when no
// database connection was given.
var ErrNeedsConnection = errors.New("an in-server snapshot needs a connection to its server")

// VerifyArtefact re-proves an artefact against its manifest: a file by its
// size and sha256, an in-server snapshot by re-reading its tables' counts
// and checksums through live, its server's database (nil for files). A
// mismatch, or an artefact that is gone, is ErrDamaged.
func VerifyArtefact(ctx context.Context, m journal.SnapshotPayload, live db.DB) error {
	if !m.InServer {
		return checkFile(m)
	}
	if m.SHA256 != tablesDigest(m.Tables) {
		return fmt.Errorf("%w: the manifest of %s does not match its own sha256", ErrDamaged, m.Label)
	}
	if live == nil {
		return ErrNeedsConnection
	}
	view, err := openView(ctx, live, m)
	if err != nil {
		return err
	}
	defer view.Close()
	got, err := checksums(ctx, view, names(m), m.Tables)
	if errors.Is(err, db.ErrNoTable) {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, m.Artefact, err)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", m.Artefact, err)
	}
	return checkTables("the in-server snapshot "+m.Artefact, m, got)
}

// Connect opens the live database a manifest's in-server snapshot lives
// beside (its connection), for VerifyArtefact and Prune.
type Connect func(ctx context.Context, m journal.SnapshotPayload) (db.DB, error)

// Present says whether an entry's artefact is there: the file beside its
// manifest, or the in-server snapshot database (through connect). nil:
// present; ErrDamaged: gone; any other error: it could not be checked.
func Present(ctx context.Context, e Entry, connect Connect) error {
	if e.Err != nil {
		return e.Err
	}
	if !e.InServer {
		if _, err := os.Stat(e.Artefact); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s is missing", ErrDamaged, e.Artefact)
		} else if err != nil {
			return err
		}
		return nil
	}
	live, err := connectLive(ctx, e.SnapshotPayload, connect)
	if err != nil {
		return err
	}
	view, err := openView(ctx, live, e.SnapshotPayload)
	if err != nil {
		return err
	}
	view.Close()
	return nil
}

// Verify is VerifyArtefact of a manifest whose in-server artefact is
// reached through connect.
func Verify(ctx context.Context, m journal.SnapshotPayload, connect Connect) error {
	var live db.DB
	if m.InServer {
		var err error
		if live, err = connectLive(ctx, m, connect); err != nil {
			return err
		}
	}
	return VerifyArtefact(ctx, m, live)
}

// connectLive opens, through connect, the live database the in-server
// snapshot of m lives beside; without connect it is ErrNeedsConnection.
func connectLive(ctx context.Context, m journal.SnapshotPayload, connect Connect) (db.DB, error) {
	if connect == nil {
		return nil, ErrNeedsConnection
	}
	return connect(ctx, m)
}

// openView opens the in-server artefact of m through live, its server's
// database; a snapshot database that is gone is ErrDamaged. Close it.
func openView(ctx context.Context, live db.DB, m journal.SnapshotPayload) (db.DB, error) {
	sn, method, err := snapshotter(live, m.Method)
	if err != nil {
		return nil, err
	}
	view, err := sn.SnapshotView(ctx, method.Name, m.Artefact)
	if errors.Is(err, db.ErrSnapshotMissing) {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if err != nil {
		return nil, err
	}
	return view, nil
}
