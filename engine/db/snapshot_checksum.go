package db

// Snapshot checksums computed inside the server. A snapshot and its
// restore compare one engine with itself, so their checksum need not be
// the engine-neutral canonical one (package verify reads every row into
// Go for that): the server hashes its own rows, and no row leaves it.
// Verifying a copy between engines keeps using the canonical checksum.
//
// A checksum string starts with its kind, so that checksums of different
// kinds never compare equal by accident: "pghash1:<sum>" (PostgreSQL),
// "mycrc1:<sum>" (MySQL/MariaDB, mysql_snapshot_checksum.go). The
// canonical checksum has no prefix.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Checksum kinds: the prefix (before ":") of a server-side checksum.
const (
	ChecksumPostgres = "pghash1"
	ChecksumMySQL    = "mycrc1"
)

// SnapshotChecksummer is implemented by the handles and snapshot views
// of engines that checksum a table inside the server.
type SnapshotChecksummer interface {
	// SnapshotChecksum returns the table's row count and its checksum,
	// "kind:sum", read in one statement (so at one instant); for a view, in
	// the view's snapshot. ErrNoServerChecksum says the server cannot (the
	// caller then reads the rows and computes the canonical checksum).
	SnapshotChecksum(ctx context.Context, table string) (rows int64, checksum string, err error)
	// SnapshotChecksumKind names the kind SnapshotChecksum computes here,
	// "" when the server cannot compute one.
	SnapshotChecksumKind(ctx context.Context) (string, error)
}

// ErrNoServerChecksum: this server cannot compute the checksum in place.
var ErrNoServerChecksum = errors.New("the server cannot compute the snapshot checksum itself")

// ScopedRestorer is implemented by Snapshotters whose restore can use the
// manifest's scope (SnapshotInfo.Scope) to restore without first reading
// the artefact's table of contents. Package snapshot prefers it.
type ScopedRestorer interface {
	RestoreSnapshotScope(ctx context.Context, method, artefact, scope string, staged func(view DB) error) error
}

var (
	_ SnapshotChecksummer = (*pgDB)(nil)
	_ SnapshotChecksummer = (*pgTxView)(nil)
	_ ScopedRestorer      = (*pgDB)(nil)
)

// SnapshotChecksum reads the table in a read-only transaction of its own.
func (p *pgDB) SnapshotChecksum(ctx context.Context, table string) (int64, string, error) {
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, "", fmt.Errorf("postgres: checksum %s: %w", table, err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // read-only
	return pgChecksum(ctx, tx, p, table)
}

// SnapshotChecksumKind: ChecksumPostgres from PostgreSQL 14 on.
func (p *pgDB) SnapshotChecksumKind(ctx context.Context) (string, error) {
	var version int
	if err := p.pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return "", fmt.Errorf("postgres: server version: %w", err)
	}
	if version < pgChecksumVersion {
		return "", nil
	}
	return ChecksumPostgres, nil
}

// SnapshotChecksumKind: as the live database's.
func (v *pgTxView) SnapshotChecksumKind(ctx context.Context) (string, error) {
	return v.p.SnapshotChecksumKind(ctx)
}

// pgChecksumVersion is the first server_version_num with
// hash_record_extended.
const pgChecksumVersion = 140000

// SnapshotChecksum reads the table in the exported snapshot.
func (v *pgTxView) SnapshotChecksum(ctx context.Context, table string) (int64, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return pgChecksum(ctx, v.tx, v.p, table)
}

// pgHashable are the pg_catalog types whose values hash_record_extended
// hashes directly (their hash opclass has an extended hash function, or
// they are binary-coercible to such a type, as varchar to text and cidr to
// inet). Values of other types are hashed as their text.
var pgHashable = map[string]bool{
	"int2": true, "int4": true, "int8": true, "oid": true, "numeric": true, "float4": true, "float8": true,
	"bool": true, "char": true, "name": true, "text": true, "varchar": true, "bpchar": true, "bytea": true,
	"date": true, "time": true, "timetz": true, "timestamp": true, "timestamptz": true, "interval": true,
	"uuid": true, "jsonb": true, "inet": true, "cidr": true, "macaddr": true, "macaddr8": true, "pg_lsn": true,
}

// pgColumnsForChecksum lists a table's columns with what the checksum
// needs: whether the column is part of the primary key, whether its type
// (a domain's base type; an array's element type) hashes directly, and
// whether its collation is deterministic.
const pgColumnsForChecksum = `SELECT a.attname,
	EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)),
	b.typtype, b.typnamespace = 'pg_catalog'::regnamespace, b.typname,
	coalesce(e.typtype, ''), coalesce(e.typnamespace = 'pg_catalog'::regnamespace, false), coalesce(e.typname, ''),
	coalesce(c.collisdeterministic, true)
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type e ON b.typcategory = 'A' AND b.typlen = -1 AND e.oid = b.typelem
LEFT JOIN pg_collation c ON c.oid = a.attcollation
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

// pgTextSettings fix how values hashed as their text render, whatever the
// session's settings (for this transaction only).
const pgTextSettings = `SELECT set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true),
	set_config('TimeZone', 'UTC', true), set_config('extra_float_digits', '3', true),
	set_config('bytea_output', 'hex', true), set_config('lc_monetary', 'C', true)`

// pgChecksum computes the "pghash1" checksum of a table in tx: the row
// count, and the sum (as an exact numeric) of every row's hash
//
//	hash(key, seed: hash_record_extended(ROW(columns...), 0))
//
// The inner hash is a 64-bit hash of the row's values by their types' own
// hash functions (the equality PostgreSQL itself uses: numeric 1.10 = 1.1,
// as in the canonical form), NULL distinct from every value. It is the
// position-weighted sum of the values' hashes, though, and summing it over
// rows would not see values moved between rows; hashing it again, as the
// seed of the hash of the row's primary key (of the whole row without
// one), makes every row's hash depend on all its values at once
// (hashint8extended for a single integer key, a record hash otherwise).
// Values whose types have no hash function are hashed as their text under
// fixed settings; text under a nondeterministic collation is hashed byte
// for byte (COLLATE "C"). A damaged row goes unnoticed with a chance of
// about one in 2^32 at worst (PostgreSQL hashes a bigint through a 32-bit
// fold) instead of the canonical sha256's 2^-256 — the price of hashing
// at the server's speed. It needs PostgreSQL 14 (hash_record_extended).
func pgChecksum(ctx context.Context, tx pgx.Tx, p *pgDB, table string) (int64, string, error) {
	var oid *uint32
	var version int
	err := tx.QueryRow(ctx, `SELECT to_regclass($1)::oid, current_setting('server_version_num')::int`, p.quoteTable(table)).Scan(&oid, &version)
	switch {
	case err != nil:
		return 0, "", fmt.Errorf("postgres: checksum %s: %w", table, err)
	case version < pgChecksumVersion:
		return 0, "", ErrNoServerChecksum
	case oid == nil:
		return 0, "", fmt.Errorf("postgres: checksum %s: %w", table, ErrNoTable)
	}
	rows, err := tx.Query(ctx, pgColumnsForChecksum, *oid)
	if err != nil {
		return 0, "", fmt.Errorf("postgres: checksum %s: columns: %w", table, err)
	}
	var all, key []string
	asText, intKey := false, false
	for rows.Next() {
		var name, typtype, typname, etyptype, etypname string
		var pk, catalog, ecatalog, deterministic bool
		if err := rows.Scan(&name, &pk, &typtype, &catalog, &typname, &etyptype, &ecatalog, &etypname, &deterministic); err != nil {
			rows.Close()
			return 0, "", fmt.Errorf("postgres: checksum %s: columns: %w", table, err)
		}
		hashable := func(typtype string, catalog bool, typname string) bool {
			return typtype == "e" || catalog && pgHashable[typname]
		}
		expr := "r." + p.Quote(name)
		switch {
		case !hashable(typtype, catalog, typname) && !(etypname != "" && hashable(etyptype, ecatalog, etypname)):
			expr += "::text"
			asText = true
		case !deterministic:
			expr += ` COLLATE "C"`
		}
		all = append(all, expr)
		if pk {
			key = append(key, expr)
			intKey = catalog && (typname == "int2" || typname == "int4" || typname == "int8")
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("postgres: checksum %s: columns: %w", table, err)
	}
	if len(all) == 0 {
		return 0, "", fmt.Errorf("postgres: checksum %s: the table has no columns", table)
	}
	if asText {
		if _, err := tx.Exec(ctx, pgTextSettings); err != nil {
			return 0, "", fmt.Errorf("postgres: checksum %s: %w", table, err)
		}
	}
	values := "hash_record_extended(ROW(" + strings.Join(all, ", ") + "), 0)"
	var hash string
	switch {
	case len(key) == 1 && intKey: // the common case, cheaper than a record
		hash = "hashint8extended(" + key[0] + "::int8, " + values + ")"
	case len(key) > 0:
		hash = "hash_record_extended(ROW(" + strings.Join(key, ", ") + "), " + values + ")"
	default:
		hash = "hash_record_extended(ROW(" + strings.Join(all, ", ") + "), " + values + ")"
	}
	q := "SELECT count(*), coalesce(sum(" + hash + "), 0)::text FROM " + p.quoteTable(table) + " r"
	var n int64
	var sum string
	if err := tx.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
		return 0, "", fmt.Errorf("postgres: checksum %s: %w", table, err)
	}
	return n, ChecksumPostgres + ":" + sum, nil
}
