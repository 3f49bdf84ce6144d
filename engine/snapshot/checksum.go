package snapshot

// The manifest's checksums. A capture records, per table, the row count
// and a checksum of the kind the engine computes fastest: in the server
// where the adapter can (db.SnapshotChecksummer: PostgreSQL "pghash1",
// MySQL/MariaDB "mycrc1" — the rows never leave the server), else the
// canonical checksum of package verify (SQLite, PostgreSQL before 14),
// which has no kind prefix. A verification recomputes every table's
// checksum of the kind its manifest entry holds, never another: a snapshot
// and its restore compare one engine with itself, and manifests written
// before the server kinds existed stay verifiable.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/engine/verify"
	"github.com/tightrope/tightrope/journal"
)

// parallelTables is how many tables checksums reads at once.
const parallelTables = 4

// checksums reads the row count and checksum of every table in names, up
// to parallelTables at a time (a database handle is a pool; a snapshot
// view serialises itself), results in the order of names. With want (the
// manifest's tables, in the order of names) each table's checksum is of
// the kind of its manifest entry; without (a capture), of the fastest
// kind d offers.
func checksums(ctx context.Context, d db.DB, names []string, want []journal.TableSnapshot) ([]journal.TableSnapshot, error) {
	kind := func(i int) (string, bool) {
		if want == nil || i >= len(want) {
			return "", true
		}
		return kindOf(want[i].Checksum), false
	}
	out := make([]journal.TableSnapshot, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, parallelTables)
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			k, auto := kind(i)
			out[i], errs[i] = tableChecksum(ctx, d, n, k, auto)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// kindOf returns the kind of a manifest checksum: the prefix before ":",
// "" for the canonical checksum (64 hex digits, no prefix).
func kindOf(checksum string) string {
	kind, _, ok := strings.Cut(checksum, ":")
	if !ok {
		return ""
	}
	return kind
}

// tableChecksum reads one table's row count and checksum of kind ("" for
// the canonical one); auto picks the server's kind when d has one.
func tableChecksum(ctx context.Context, d db.DB, name, kind string, auto bool) (journal.TableSnapshot, error) {
	if sc, ok := d.(db.SnapshotChecksummer); ok && (auto || kind != "") {
		rows, sum, err := sc.SnapshotChecksum(ctx, name)
		switch {
		case err == nil && (auto || kindOf(sum) == kind):
			return journal.TableSnapshot{Table: name, Rows: rows, Checksum: sum}, nil
		case err == nil:
			return journal.TableSnapshot{}, fmt.Errorf("table %s: the manifest holds a %q checksum; %s computes %q ones", name, kind, d.Describe(), kindOf(sum))
		case !errors.Is(err, db.ErrNoServerChecksum):
			return journal.TableSnapshot{}, err
		}
	}
	if kind != "" {
		return journal.TableSnapshot{}, fmt.Errorf("table %s: the manifest holds a %q checksum, which %s cannot compute", name, kind, d.Describe())
	}
	ts, err := verify.Checksums(ctx, d, []string{name})
	if err != nil {
		return journal.TableSnapshot{}, err
	}
	return ts[0], nil
}

// checkKinds refuses, before anything is restored, a manifest holding a
// server-side checksum of a kind d cannot compute (a manifest of another
// engine, or of a newer server): its restore could never be verified.
func checkKinds(ctx context.Context, d db.DB, m journal.SnapshotPayload) error {
	have := ""
	if sc, ok := d.(db.SnapshotChecksummer); ok {
		var err error
		if have, err = sc.SnapshotChecksumKind(ctx); err != nil {
			return err
		}
	}
	for _, t := range m.Tables {
		if k := kindOf(t.Checksum); k != "" && k != have {
			return fmt.Errorf("snapshot %s: table %s has a %q checksum, which %s cannot compute, so a restore could not be verified",
				m.Label, t.Table, k, d.Describe())
		}
	}
	return nil
}
