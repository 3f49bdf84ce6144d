package db

// What a snapshot and its restore would run, without running it: the
// argument lists the real runs use (built here, once, for both), and
// SnapshotPlanner, which dry runs call. Planning reads (the server's
// version, the current schema, the tables) and never writes.

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// PlannedCommand is one command a snapshot or restore would run: an
// external program with its arguments and environment, or one SQL
// statement on the server. Secrets are already redacted.
type PlannedCommand struct {
	Program string   // absolute path or name of the program; "" for SQL
	Args    []string // program arguments
	Env     []string // NAME=value added to the program's environment
	Stdin   string   // what is piped into the program, if anything
	SQL     string   // the statement, for SQL on the server
	Note    string   // what the command is for, in words
}

// String renders the command as one line: the environment, then the
// program and its arguments, or the SQL.
func (c PlannedCommand) String() string {
	if c.Program == "" {
		return c.SQL
	}
	parts := append(append([]string{}, c.Env...), c.Program)
	for _, a := range c.Args {
		parts = append(parts, shellQuote(a))
	}
	s := strings.Join(parts, " ")
	if c.Stdin != "" {
		s += " < " + shellQuote(c.Stdin)
	}
	return s
}

// shellQuote quotes an argument for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./:,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SnapshotPlanner describes a snapshot and its restore without taking or
// restoring anything.
type SnapshotPlanner interface {
	// PlanSnapshot returns the artefact TakeSnapshot(method, dir, name)
	// would create and the commands it would run.
	PlanSnapshot(ctx context.Context, method, dir, name string) (artefact string, cmds []PlannedCommand, err error)
	// PlanRestore returns the commands RestoreSnapshot(method, artefact)
	// would run.
	PlanRestore(ctx context.Context, method, artefact string) ([]PlannedCommand, error)
}

var (
	_ SnapshotPlanner = (*pgDB)(nil)
	_ SnapshotPlanner = (*mySnapDB)(nil)
	_ SnapshotPlanner = (*sqliteDB)(nil)
)

// pgDumpArgs are pg_dump's arguments for a snapshot of schema from the
// exported snapshot id into file.
func pgDumpArgs(id, schema, file string) []string {
	return []string{"--format=custom", "--no-password", "--snapshot=" + id, "--schema=" + pgQuoteIdent(schema), "--file=" + file}
}

// pgRestoreArgs are pg_restore's arguments restoring artefact into dbname
// with selection (--schema=… or --use-list=…).
func pgRestoreArgs(selection, dbname, artefact string) []string {
	return []string{
		"--clean", "--if-exists", "--single-transaction", "--no-owner", "--exit-on-error", "--no-password",
		selection, "--dbname=dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(dbname) + "'", artefact,
	}
}

// myDumpArgs are mysqldump's arguments dumping database into file, with
// the credentials in the options file opts.
func myDumpArgs(opts, file, database string) []string {
	return []string{
		"--defaults-extra-file=" + opts, // must come first
		"--single-transaction", "--skip-lock-tables", "--hex-blob", "--triggers", "--no-tablespaces",
		"--default-character-set=utf8mb4", "--skip-dump-date", "--result-file=" + file, database,
	}
}

// myClientArgs are mysql's arguments replaying a dump into database.
func myClientArgs(opts, database string) []string {
	return []string{"--defaults-extra-file=" + opts, "--default-character-set=utf8mb4", "--binary-mode", "--batch", database}
}

// redactEnv shows an environment with its secrets redacted.
func redactEnv(env, secrets []string) []string {
	out := make([]string, len(env))
	for i, e := range env {
		out[i] = journal.RedactText(e, secrets)
	}
	sort.Strings(out)
	return out
}

// PlanSnapshot: pg_dump of the current schema.
func (p *pgDB) PlanSnapshot(ctx context.Context, method, dir, name string) (string, []PlannedCommand, error) {
	m, err := FindSnapshotMethod(Postgres, p, method)
	if err != nil {
		return "", nil, err
	}
	dump, err := findTool(MethodPgDump, pgInstall, "pg_dump")
	if err != nil {
		return "", nil, err
	}
	env, secrets, err := p.pgToolEnv()
	if err != nil {
		return "", nil, err
	}
	var schema *string
	if err := p.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", nil, fmt.Errorf("postgres: current schema: %w", err)
	}
	if schema == nil {
		return "", nil, fmt.Errorf("postgres: no current schema (the search_path names no existing schema)")
	}
	final := filepath.Join(dir, name+m.Ext)
	return final, []PlannedCommand{
		{SQL: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"},
		{SQL: "SELECT pg_export_snapshot()", Note: "one instant for the dump and the manifest's checksums"},
		{Program: dump.Path, Args: pgDumpArgs("SNAPSHOT_ID", *schema, final+".partial"), Env: redactEnv(env, secrets),
			Note: "SNAPSHOT_ID: the one pg_export_snapshot() returns; the file is renamed to " + final + " when complete"},
	}, nil
}

// PlanRestore: pg_restore of the dump in one transaction.
func (p *pgDB) PlanRestore(ctx context.Context, method, artefact string) ([]PlannedCommand, error) {
	if _, err := FindSnapshotMethod(Postgres, p, method); err != nil {
		return nil, err
	}
	restore, err := findTool(MethodPgDump, pgInstall, "pg_restore")
	if err != nil {
		return nil, err
	}
	env, secrets, err := p.pgToolEnv()
	if err != nil {
		return nil, err
	}
	var schema *string
	if err := p.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("postgres: current schema: %w", err)
	}
	selection := "--use-list=<the archive's list without the schema's own entries>"
	if schema != nil {
		selection = "--schema=" + *schema
	}
	dbname := p.pool.Config().ConnConfig.Database
	return []PlannedCommand{{Program: restore.Path, Args: pgRestoreArgs(selection, dbname, artefact), Env: redactEnv(env, secrets),
		Note: "every dumped object dropped and recreated in one transaction"}}, nil
}

// myOptionsNote describes the private options file holding the
// credentials, its password redacted.
func (m *mySnapDB) myOptionsNote() (string, error) {
	text, err := m.optionsFile()
	if err != nil {
		return "", err
	}
	text = journal.RedactText(text, []string{m.cfg.Passwd})
	return "credentials in a private temporary options file: " + strings.ReplaceAll(strings.TrimSpace(text), "\n", " "), nil
}

// PlanSnapshot: the schema method's statements, or mysqldump.
func (m *mySnapDB) PlanSnapshot(ctx context.Context, method, dir, name string) (string, []PlannedCommand, error) {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil {
		return "", nil, err
	}
	tables, err := m.baseTables(ctx, m.dbName)
	if err != nil {
		return "", nil, err
	}
	if sm.Name == MethodMysqldump {
		dump, _, err := m.myTools(ctx)
		if err != nil {
			return "", nil, err
		}
		note, err := m.myOptionsNote()
		if err != nil {
			return "", nil, err
		}
		file := filepath.Join(dir, name+sm.Ext)
		var cmds []PlannedCommand
		if len(tables) > 0 {
			var list []string
			for _, t := range tables {
				list = append(list, m.Quote(m.dbName)+"."+m.Quote(t)+" READ")
			}
			cmds = append(cmds, PlannedCommand{SQL: "LOCK TABLES " + strings.Join(list, ", "), Note: "writers wait for the dump"})
		}
		cmds = append(cmds,
			PlannedCommand{Program: dump.Path, Args: myDumpArgs("<options file>", file+".partial", m.dbName), Note: note},
			PlannedCommand{SQL: "UNLOCK TABLES"})
		return file, cmds, nil
	}
	snap := snapshotName(m.dbName, "snap", name)
	cmds, err := m.planCopy(ctx, m.dbName, snap, tables)
	return snap, cmds, err
}

// planCopy is what createLike and copyTables run to copy tables of from
// into a new database to.
func (m *mySnapDB) planCopy(ctx context.Context, from, to string, tables []string) ([]PlannedCommand, error) {
	var cs, coll string
	err := m.db.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, m.dbName).Scan(&cs, &coll)
	if err != nil {
		return nil, fmt.Errorf("reading %s's character set: %w", m.dbName, err)
	}
	cmds := []PlannedCommand{{SQL: m.createDatabaseStmt(to, cs, coll)}}
	cols := make([]string, len(tables))
	for i, t := range tables {
		if cols[i], err = m.copyColumns(ctx, m.dbName, t); err != nil {
			return nil, err
		}
		cmds = append(cmds, PlannedCommand{SQL: m.createLikeStmt(from, to, t)})
	}
	for _, s := range myCopySession {
		cmds = append(cmds, PlannedCommand{SQL: s})
	}
	for i, t := range tables {
		cmds = append(cmds, PlannedCommand{SQL: m.insertSelectStmt(from, to, t, cols[i])})
	}
	return append(cmds, PlannedCommand{SQL: "COMMIT"}), nil
}

// PlanRestore: the schema method stages, checks and swaps; mysqldump pipes
// the file into mysql.
func (m *mySnapDB) PlanRestore(ctx context.Context, method, artefact string) ([]PlannedCommand, error) {
	sm, err := FindSnapshotMethod(MySQL, m, method)
	if err != nil {
		return nil, err
	}
	if sm.Name == MethodMysqldump {
		_, client, err := m.myTools(ctx)
		if err != nil {
			return nil, err
		}
		note, err := m.myOptionsNote()
		if err != nil {
			return nil, err
		}
		return []PlannedCommand{{Program: client.Path, Args: myClientArgs("<options file>", m.dbName), Stdin: artefact, Note: note}}, nil
	}
	tables, err := m.baseTables(ctx, m.dbName) // the snapshot will hold the tables the live database has now
	if err != nil {
		return nil, err
	}
	stamp := fmt.Sprintf("%x", time.Now().UnixNano()) // as RestoreSnapshot names them, at its own time
	staging, old := snapshotName(m.dbName, "rst", stamp), snapshotName(m.dbName, "old", stamp)
	cmds, err := m.planCopy(ctx, artefact, staging, tables)
	if err != nil {
		return nil, err
	}
	cmds = append(cmds, PlannedCommand{Note: "the staged copy is checked against the manifest before the live data is touched"})
	var cs, coll string
	if err := m.db.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, m.dbName).Scan(&cs, &coll); err != nil {
		return nil, err
	}
	cmds = append(cmds, PlannedCommand{SQL: m.createDatabaseStmt(old, cs, coll)})
	if s := m.swapStmt(staging, old, tables, tables); s != "" {
		cmds = append(cmds, PlannedCommand{SQL: s, Note: "atomic"})
	}
	return append(cmds, PlannedCommand{SQL: "DROP DATABASE IF EXISTS " + m.Quote(staging)}, PlannedCommand{SQL: "DROP DATABASE IF EXISTS " + m.Quote(old)}), nil
}

// PlanSnapshot: VACUUM INTO or the online backup API into a file.
func (d *sqliteDB) PlanSnapshot(ctx context.Context, method, dir, name string) (string, []PlannedCommand, error) {
	m, err := FindSnapshotMethod(SQLite, d, method)
	if err != nil {
		return "", nil, err
	}
	file := filepath.Join(dir, name+m.Ext)
	if m.Name == MethodBackup {
		return file, []PlannedCommand{{Note: "SQLite online backup API of every page into " + file + ".partial, then PRAGMA journal_mode = DELETE on it and renamed to " + file}}, nil
	}
	return file, []PlannedCommand{{SQL: "VACUUM INTO '" + strings.ReplaceAll(file, "'", "''") + "'"}}, nil
}

// PlanRestore: the file copied back over the live database.
func (d *sqliteDB) PlanRestore(ctx context.Context, method, artefact string) ([]PlannedCommand, error) {
	if _, err := FindSnapshotMethod(SQLite, d, method); err != nil {
		return nil, err
	}
	return []PlannedCommand{{Note: "SQLite online backup API from " + artefact + " over the live database"}}, nil
}

// ProgressDDL is the statement that creates ProgressTable in d, which a
// copy's first batch issues when the table is missing ("" when d's driver
// is unknown here).
func ProgressDDL(d DB) string {
	switch x := d.(type) {
	case *pgDB:
		return x.progressDDL()
	case *myDB:
		return x.progressDDL()
	case *mySnapDB:
		return x.progressDDL()
	case *sqliteDB:
		return sqliteProgressDDL
	}
	return ""
}
