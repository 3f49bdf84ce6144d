package db

// Native snapshots of PostgreSQL: pg_dump in custom format (-Fc) of the
// connection's current schema, restored with pg_restore in one
// transaction.
//
// Consistency: the snapshot opens a REPEATABLE READ transaction, exports
// its snapshot (pg_export_snapshot) and runs pg_dump --snapshot=<id> while
// the manifest's checksums are read in that same transaction, at the same
// time: the dump and the checksums show one instant. pg_dump's -j
// (directory format) is not used: pg_restore cannot combine -j with
// --single-transaction, and a restore that fails half-way must change
// nothing; a single file also has one sha256.
//
// Scope: the schema the adapter works in (current_schema(), whose tables
// Tables lists), not the whole database, so that a restore never rewinds
// schemas tightrope neither copied nor verified. The restore drops and
// recreates the dumped objects; the schema itself (and its comment and
// grants) is left standing, so tables created after the snapshot survive
// it (package snapshot names them).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

var _ Snapshotter = (*pgDB)(nil)

const pgInstall = "the PostgreSQL client tools (postgresql-client) matching the server's major version or newer"

// SnapshotMethods: pg_dump only.
func (p *pgDB) SnapshotMethods() []SnapshotMethod {
	return []SnapshotMethod{{Name: MethodPgDump, Ext: ".pgdump"}}
}

// PreflightSnapshot finds pg_dump and pg_restore, checks that pg_dump is
// not older than the server (it refuses to dump a newer one) and
// pg_restore not older than pg_dump (it could not read the archive), and
// that the user may create tables in the schema, as a restore does.
func (p *pgDB) PreflightSnapshot(ctx context.Context, method string) (Tool, error) {
	if _, err := FindSnapshotMethod(Postgres, p, method); err != nil {
		return Tool{}, err
	}
	dump, _, err := p.pgTools(ctx)
	if err != nil {
		return Tool{}, err
	}
	if _, _, err := p.pgToolEnv(); err != nil {
		return Tool{}, err
	}
	var schema *string
	var canCreate bool
	var user string
	err = p.pool.QueryRow(ctx, `SELECT current_schema(), current_user,
		coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)`).Scan(&schema, &user, &canCreate)
	if err != nil {
		return Tool{}, fmt.Errorf("postgres: snapshot preflight: %w", err)
	}
	if schema == nil {
		return Tool{}, errors.New("postgres: snapshot preflight: no current schema (the search_path names no existing schema)")
	}
	if !canCreate {
		return Tool{}, fmt.Errorf("postgres: snapshot preflight: user %s may not create tables in schema %s, which a restore does", user, *schema)
	}
	return dump, nil
}

// pgTools finds pg_dump and pg_restore and checks their versions.
func (p *pgDB) pgTools(ctx context.Context) (dump, restore Tool, err error) {
	if dump, err = findTool(MethodPgDump, pgInstall, "pg_dump"); err != nil {
		return
	}
	if restore, err = findTool(MethodPgDump, pgInstall, "pg_restore"); err != nil {
		return
	}
	for _, t := range []*Tool{&dump, &restore} {
		if t.Version, err = toolVersion(ctx, *t); err != nil {
			return
		}
	}
	var num int
	var server string
	if err = p.pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_version')`).Scan(&num, &server); err != nil {
		return dump, restore, fmt.Errorf("postgres: server version: %w", err)
	}
	serverMajor := num / 100 * 100 // 9.6.24 → 90600
	if num >= 100000 {
		serverMajor = num / 10000 * 10000 // 15.4 → 150000
	}
	dumpMajor, restoreMajor := pgMajor(dump.Version), pgMajor(restore.Version)
	switch {
	case dumpMajor < serverMajor:
		return dump, restore, fmt.Errorf("%s is %q, older than the server (PostgreSQL %s): pg_dump refuses to dump a newer server; install %s, or put them first on PATH",
			dump.Path, dump.Version, server, pgInstall)
	case restoreMajor < dumpMajor:
		return dump, restore, fmt.Errorf("%s is %q, older than %s (%q): it cannot read that pg_dump's archives; use pg_dump and pg_restore of one installation",
			restore.Path, restore.Version, dump.Path, dump.Version)
	}
	return dump, restore, nil
}

// pgMajor turns "pg_dump (PostgreSQL) 15.4 (Debian ...)" into 150000 and
// "9.6.24" into 90600, as server_version_num counts; 0 when unreadable.
func pgMajor(version string) int {
	_, after, _ := strings.Cut(version, ")") // skip "pg_dump (PostgreSQL"
	v := versionParts(after)
	if v == nil {
		if v = versionParts(version); v == nil {
			return 0
		}
	}
	if v[0] >= 10 || len(v) < 2 {
		return v[0] * 10000
	}
	return v[0]*10000 + v[1]*100
}

// pgQuoteIdent double-quotes a name for a pg_dump pattern or SQL: inside
// double quotes pattern characters (*, ?, .) are literal.
func pgQuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TakeSnapshot dumps the current schema with pg_dump -Fc from an exported
// snapshot, while sums reads the same snapshot in the exporting
// transaction. The file appears under its final name only when complete.
func (p *pgDB) TakeSnapshot(ctx context.Context, method, dir, name string, sums func(view DB) error) (SnapshotInfo, error) {
	m, err := FindSnapshotMethod(Postgres, p, method)
	if err != nil {
		return SnapshotInfo{}, err
	}
	dump, _, err := p.pgTools(ctx)
	if err != nil {
		return SnapshotInfo{}, err
	}
	env, secrets, err := p.pgToolEnv()
	if err != nil {
		return SnapshotInfo{}, err
	}
	final := filepath.Join(dir, name+m.Ext)
	if _, err := os.Lstat(final); err == nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %s already exists", final)
	}
	tmp := final + ".partial"
	defer os.Remove(tmp)

	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %w", err)
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %w", err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // a no-op after Commit
	var id string
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot(), current_schema()`).Scan(&id, &schema); err != nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: export: %w", err)
	}
	if schema == nil {
		return SnapshotInfo{}, errors.New("postgres: snapshot: no current schema (the search_path names no existing schema)")
	}

	dumpCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := toolRun{tool: dump, env: env, secrets: secrets, args: pgDumpArgs(id, *schema, tmp)}
	cmd := run.command(dumpCtx)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %w", err)
	}
	sumErr := sums(&pgTxView{p: p, tx: tx})
	if sumErr != nil {
		cancel()
	}
	dumpErr := run.result(cmd.Wait(), &stderr)
	switch {
	case sumErr != nil:
		return SnapshotInfo{}, sumErr
	case dumpErr != nil:
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %w", dumpErr)
	}
	if err := tx.Commit(ctx); err != nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %w", err)
	}
	if err := finishFile(tmp, final); err != nil {
		return SnapshotInfo{}, fmt.Errorf("postgres: snapshot: %w", err)
	}
	return SnapshotInfo{Artefact: final, Scope: "schema " + pgQuoteIdent(*schema), Tool: dump}, nil
}

// pgSchemaEntry matches the table-of-contents lines of the schema itself,
// its comment and its grants.
var pgSchemaEntry = regexp.MustCompile(`^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA |ACL - SCHEMA )`)

// RestoreSnapshot runs pg_restore --clean --if-exists --single-transaction
// --no-owner: every dumped object is dropped and recreated in one
// transaction, so a failed restore changes nothing. The schema itself is
// kept (left out of the restore's list) unless it no longer exists.
// staged is not called: the dump file is checked by its sha256 before.
func (p *pgDB) RestoreSnapshot(ctx context.Context, method, artefact string, _ func(view DB) error) error {
	return p.restore(ctx, method, artefact, "")
}

// RestoreSnapshotScope is RestoreSnapshot knowing the manifest's scope
// (`schema "name"`, as TakeSnapshot reports it): while that schema exists,
// pg_restore -n restores exactly the objects in it — the archive's
// entries but the schema's own (its CREATE, comment and grants, which
// carry no schema) — without first reading the archive's table of
// contents, which takes another start of pg_restore. Otherwise, as
// RestoreSnapshot.
func (p *pgDB) RestoreSnapshotScope(ctx context.Context, method, artefact, scope string, _ func(view DB) error) error {
	schema, ok := pgScopeSchema(scope)
	if ok {
		var n int
		err := p.pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n)
		ok = err == nil && n == 1
	}
	if !ok {
		schema = ""
	}
	return p.restore(ctx, method, artefact, schema)
}

// pgScopeSchema reads the schema name out of a scope `schema "name"`.
func pgScopeSchema(scope string) (string, bool) {
	q, ok := strings.CutPrefix(scope, "schema ")
	if !ok || len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	name := q[1 : len(q)-1]
	if strings.Contains(strings.ReplaceAll(name, `""`, ""), `"`) {
		return "", false
	}
	return strings.ReplaceAll(name, `""`, `"`), true
}

// restore runs pg_restore: with -n schema when schema is set, else with a
// list of the archive's entries that leaves the schema standing.
func (p *pgDB) restore(ctx context.Context, method, artefact, schema string) error {
	if _, err := FindSnapshotMethod(Postgres, p, method); err != nil {
		return err
	}
	_, restore, err := p.pgTools(ctx)
	if err != nil {
		return err
	}
	env, secrets, err := p.pgToolEnv()
	if err != nil {
		return err
	}
	if _, err := os.Stat(artefact); err != nil {
		return fmt.Errorf("postgres: restore: %w", err)
	}
	selection := "--schema=" + schema
	if schema == "" {
		tmpDir, err := privateDir()
		if err != nil {
			return fmt.Errorf("postgres: restore: %w", err)
		}
		defer os.RemoveAll(tmpDir)
		listFile := filepath.Join(tmpDir, "restore.list")
		if err := p.restoreList(ctx, restore, secrets, artefact, listFile); err != nil {
			return err
		}
		selection = "--use-list=" + listFile
	}
	dbname := p.pool.Config().ConnConfig.Database
	err = toolRun{tool: restore, env: env, secrets: secrets, args: pgRestoreArgs(selection, dbname, artefact)}.run(ctx)
	if err != nil {
		return fmt.Errorf("postgres: restore of %s (nothing was changed): %w", artefact, err)
	}
	return nil
}

// restoreList writes the archive's table of contents to listFile with the
// schema's own entries commented out, unless the schema no longer exists.
func (p *pgDB) restoreList(ctx context.Context, restore Tool, secrets []string, artefact, listFile string) error {
	var toc bytes.Buffer
	if err := (toolRun{tool: restore, args: []string{"--list", artefact}, stdout: &toc, secrets: secrets}).run(ctx); err != nil {
		return fmt.Errorf("postgres: restore: reading %s: %w", artefact, err)
	}
	var list strings.Builder
	for _, line := range strings.Split(toc.String(), "\n") {
		if pgSchemaEntry.MatchString(line) && !p.pgSchemaMissing(ctx, line) {
			line = ";" + line // keep the schema standing
		}
		list.WriteString(line + "\n")
	}
	if err := os.WriteFile(listFile, []byte(list.String()), 0o600); err != nil {
		return fmt.Errorf("postgres: restore: %w", err)
	}
	return nil
}

// pgSchemaMissing tells whether the schema a "SCHEMA - name owner" line
// creates is absent now (then the restore must create it).
func (p *pgDB) pgSchemaMissing(ctx context.Context, line string) bool {
	_, rest, ok := strings.Cut(line, " SCHEMA - ")
	if !ok {
		return false
	}
	i := strings.LastIndex(rest, " ")
	if i < 0 {
		return false
	}
	var n int
	err := p.pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, rest[:i]).Scan(&n)
	return err == nil && n == 0
}

// SnapshotView: pg_dump artefacts are files, read by their sha256.
func (p *pgDB) SnapshotView(context.Context, string, string) (DB, error) {
	return nil, errors.New("postgres: pg_dump snapshots are files; there is no in-server view")
}

// DropSnapshot: nothing lives in the server.
func (p *pgDB) DropSnapshot(context.Context, string, string) error { return nil }
