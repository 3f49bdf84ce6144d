package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// Result is the outcome of a restore.
type Result struct {
	// Tables are the manifest's tables as found after the restore.
	Tables []journal.TableSnapshot
	// Verified is true only when Tables equal the manifest exactly.
	Verified bool
	// Extra names live tables the snapshot does not hold, found after the
	// restore: created after the snapshot and left as they were (server
	// engines restore the snapshot's tables only; a SQLite restore replaces
	// the whole file, so there are none).
	Extra []string
	// Where the time went: proving the artefact before the restore (sha256
	// of a file; checksums of an in-server snapshot's staged copy), the
	// restore itself, and verifying the live tables after it (checksums;
	// after an atomic swap of checked staged tables, counts).
	Check, Restore, Verify time.Duration
}

// Restore proves the artefact against the manifest before it touches the
// live data (a damaged or missing artefact: ErrDamaged, and nothing is
// changed), restores it natively into d, then establishes every manifest
// table's row count and checksum as restored: read again from d, or, when
// the method swapped in staged tables it had just checked (MySQL's schema
// method), their checksums with the live rows counted. Result.Verified
// says whether they equal the manifest.
func Restore(ctx context.Context, d db.DB, m journal.SnapshotPayload) (Result, error) {
	var res Result
	sn, method, err := snapshotter(d, m.Method)
	if err != nil {
		return res, err
	}
	if m.Driver != "" && m.Driver != d.Driver() {
		return res, fmt.Errorf("snapshot %s is of a %s database, not %s", m.Label, m.Driver, d.Driver())
	}
	if method.InServer != m.InServer {
		return res, fmt.Errorf("snapshot %s: the manifest's artefact kind does not fit method %s", m.Label, method.Name)
	}
	if err := checkKinds(ctx, d, m); err != nil {
		return res, err
	}
	start := time.Now()
	if m.InServer {
		if m.SHA256 != tablesDigest(m.Tables) {
			return res, fmt.Errorf("%w: the manifest of %s does not match its own sha256", ErrDamaged, m.Label)
		}
	} else if err := checkFile(m); err != nil {
		return res, err
	}
	res.Check = time.Since(start)

	want := names(m)
	start = time.Now()
	var staged time.Duration
	var stagedTables []journal.TableSnapshot
	restore := sn.RestoreSnapshot
	if sr, ok := sn.(db.ScopedRestorer); ok && m.Scope != "" {
		restore = func(ctx context.Context, method, artefact string, staged func(db.DB) error) error {
			return sr.RestoreSnapshotScope(ctx, method, artefact, m.Scope, staged)
		}
	}
	err = restore(ctx, method.Name, m.Artefact, func(view db.DB) error {
		t0 := time.Now()
		defer func() { staged += time.Since(t0) }()
		got, err := checksums(ctx, view, want, m.Tables)
		if err != nil {
			return fmt.Errorf("checking the staged copy of %s: %w", m.Artefact, err)
		}
		if err := checkTables("the snapshot "+m.Artefact, m, got); err != nil {
			return err
		}
		stagedTables = got
		return nil
	})
	if errors.Is(err, db.ErrSnapshotMissing) {
		err = fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if err != nil {
		return res, fmt.Errorf("restoring %s: %w", m.Label, err)
	}
	res.Check += staged
	res.Restore = time.Since(start) - staged

	start = time.Now()
	if stagedTables != nil {
		res.Tables, err = swappedIn(ctx, d, stagedTables)
	} else {
		res.Tables, err = checksums(ctx, d, want, m.Tables)
	}
	if err != nil {
		return res, fmt.Errorf("verifying the restore of %s: %w", m.Label, err)
	}
	res.Verify = time.Since(start)
	res.Verified = diff(m.Tables, res.Tables) == ""
	live, err := d.Tables(ctx)
	if err != nil {
		return res, err
	}
	for _, t := range live {
		if !slices.Contains(want, t) {
			res.Extra = append(res.Extra, t)
		}
	}
	return res, nil
}

// swappedIn verifies a restore that swapped checked staged tables in
// unchanged (an atomic rename): their checksums, read just before, are the
// restored data's, and counting the live rows confirms the swap (a count
// that differs, e.g. from a write after the swap, fails the verification).
func swappedIn(ctx context.Context, d db.DB, staged []journal.TableSnapshot) ([]journal.TableSnapshot, error) {
	out := slices.Clone(staged)
	for i := range out {
		n, err := d.Count(ctx, out[i].Table)
		if err != nil {
			return nil, err
		}
		if n != out[i].Rows {
			out[i].Rows, out[i].Checksum = n, "" // not what was checked
		}
	}
	return out, nil
}
