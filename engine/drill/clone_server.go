package drill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver, for the admin connection

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

// cloneName is <db>_drill_<id>, within the 63 characters PostgreSQL and
// the 64 MySQL allow.
func cloneName(database, id string) string {
	suffix := "_drill_" + id
	if len(database)+len(suffix) > 63 {
		database = database[:63-len(suffix)]
	}
	return database + suffix
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]+`)

// cloneEnv is the environment variable holding a clone's DSN: set in this
// process only, named in the drill's runbook, never written anywhere.
func cloneEnv(id, conn string) string {
	return notEnvChar.ReplaceAllString(strings.ToUpper("TIGHTROPE_DRILL_"+id+"_"+conn), "_")
}

func liveDSN(live runbooks.Connection) (string, error) {
	dsn := os.Getenv(live.DSNEnv)
	if dsn == "" {
		return "", fmt.Errorf("environment variable %s is empty or not set", live.DSNEnv)
	}
	return dsn, nil
}

// clonePostgres copies the live database with CREATE DATABASE … TEMPLATE,
// from the server's maintenance database "postgres" (a session on the
// template itself would block the copy).
func (p *Prepared) clonePostgres(ctx context.Context, live runbooks.Connection, o Options) (runbooks.Connection, error) {
	dsn, err := liveDSN(live)
	if err != nil {
		return runbooks.Connection{}, err
	}
	src, err := db.DatabaseOf(db.Postgres, dsn)
	if err != nil || src == "" {
		return runbooks.Connection{}, fmt.Errorf("the DSN in %s names no database to clone", live.DSNEnv)
	}
	name := cloneName(src, o.ID)
	adminDSN, err := db.WithDatabase(db.Postgres, dsn, "postgres")
	if err != nil {
		return runbooks.Connection{}, err
	}
	admin, err := sql.Open("pgx", adminDSN)
	if err != nil {
		return runbooks.Connection{}, err
	}
	defer admin.Close()
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	how := "CREATE DATABASE … TEMPLATE"
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+q(name)+" TEMPLATE "+q(src))
	var pe *pgconn.PgError
	busy := errors.As(err, &pe) && pe.Code == "55006" // object_in_use: other sessions on the template
	if busy {
		// a template must be idle; a dump is taken from a live database
		if _, lerr := exec.LookPath("pg_dump"); lerr != nil {
			return runbooks.Connection{}, fmt.Errorf("PostgreSQL copies database %s with CREATE DATABASE … TEMPLATE only while no other session is connected to it, and some are, and pg_dump is not installed for a dump/restore copy instead: close the sessions, install pg_dump, or give the connection a drill: dsn_env instead of --clone", src)
		}
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+q(name))
		how = "pg_dump | pg_restore, as other sessions use it"
	}
	if err != nil {
		return runbooks.Connection{}, fmt.Errorf("CREATE DATABASE %s: %w", name, scrubDSN(err, dsn))
	}
	p.clones = append(p.clones, clone{what: "postgres database " + name, drop: func(ctx context.Context) error {
		a, err := sql.Open("pgx", adminDSN)
		if err != nil {
			return err
		}
		defer a.Close()
		_, err = a.ExecContext(ctx, "DROP DATABASE IF EXISTS "+q(name)+" WITH (FORCE)")
		return scrubDSN(err, dsn)
	}})
	if busy {
		if err := dumpRestore(ctx, dsn, name); err != nil {
			return runbooks.Connection{}, err
		}
	}
	cdsn, err := db.WithDatabase(db.Postgres, dsn, name)
	if err != nil {
		return runbooks.Connection{}, err
	}
	env := cloneEnv(o.ID, live.Name)
	if err := os.Setenv(env, cdsn); err != nil {
		return runbooks.Connection{}, err
	}
	p.Notes = append(p.Notes, fmt.Sprintf("cloned postgres database %s to %s (%s)", src, name, how))
	return runbooks.Connection{Name: live.Name, Driver: live.Driver, DSNEnv: env}, nil
}

// cloneMySQL copies every base table of the live schema into a new schema
// (CREATE TABLE … LIKE, INSERT … SELECT): columns, keys and rows; views,
// triggers and routines are not copied.
func (p *Prepared) cloneMySQL(ctx context.Context, live runbooks.Connection, o Options) (runbooks.Connection, error) {
	dsn, err := liveDSN(live)
	if err != nil {
		return runbooks.Connection{}, err
	}
	src, err := db.DatabaseOf(db.MySQL, dsn)
	if err != nil || src == "" {
		return runbooks.Connection{}, fmt.Errorf("the DSN in %s names no database to clone", live.DSNEnv)
	}
	name := cloneName(src, o.ID)
	plain, err := db.WithDatabase(db.MySQL, dsn, src)
	if err != nil {
		return runbooks.Connection{}, err
	}
	cfg, err := mysql.ParseDSN(plain)
	if err != nil {
		return runbooks.Connection{}, err
	}
	cfg.Params = nil // the server's own sql_mode: copy what is there as it is
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return runbooks.Connection{}, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	q := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+q(name)); err != nil {
		return runbooks.Connection{}, fmt.Errorf("CREATE DATABASE %s: %w", name, scrubDSN(err, dsn))
	}
	dropDSN := cfg.FormatDSN()
	p.clones = append(p.clones, clone{what: "mysql schema " + name, drop: func(ctx context.Context) error {
		c, err := sql.Open("mysql", dropDSN)
		if err != nil {
			return err
		}
		defer c.Close()
		// the clone, and the in-server snapshot databases the drill's
		// snapshot steps made of it (<clone>__snap_…, __rst_…, __old_…)
		drop := []string{name}
		rows, err := c.QueryContext(ctx, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", strings.NewReplacer("_", `\_`, "%", `\%`).Replace(name)+`\_\_%`)
		if err != nil {
			return scrubDSN(err, dsn)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			drop = append(drop, s)
		}
		rows.Close()
		for _, s := range drop {
			if _, err := c.ExecContext(ctx, "DROP DATABASE IF EXISTS "+q(s)); err != nil {
				return scrubDSN(err, dsn)
			}
		}
		return nil
	}})
	rows, err := conn.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", src)
	if err != nil {
		return runbooks.Connection{}, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return runbooks.Connection{}, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return runbooks.Connection{}, err
	}
	for _, t := range tables {
		for _, stmt := range []string{
			fmt.Sprintf("CREATE TABLE %s.%s LIKE %s.%s", q(name), q(t), q(src), q(t)),
			fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM %s.%s", q(name), q(t), q(src), q(t)),
		} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return runbooks.Connection{}, fmt.Errorf("copying table %s: %w", t, scrubDSN(err, dsn))
			}
		}
	}
	cdsn, err := db.WithDatabase(db.MySQL, dsn, name)
	if err != nil {
		return runbooks.Connection{}, err
	}
	env := cloneEnv(o.ID, live.Name)
	if err := os.Setenv(env, cdsn); err != nil {
		return runbooks.Connection{}, err
	}
	p.Notes = append(p.Notes, fmt.Sprintf("cloned mysql schema %s to %s (%d tables; views, triggers and routines are not copied)", src, name, len(tables)))
	return runbooks.Connection{Name: live.Name, Driver: live.Driver, DSNEnv: env}, nil
}

// scrubDSN keeps a DSN out of an error message.
func scrubDSN(err error, dsn string) error {
	if err == nil || !strings.Contains(err.Error(), dsn) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), dsn, "[dsn redacted]"))
}

// dumpRestore copies the database dsn names into the empty database
// clone: pg_dump's custom format piped into pg_restore, credentials in the
// tools' environment, never on their command lines.
func dumpRestore(ctx context.Context, dsn, clone string) error {
	env, err := db.PGToolEnv(dsn)
	if err != nil {
		return err
	}
	dump := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--no-owner", "--no-privileges")
	dump.Env = append(os.Environ(), env...)
	restore := exec.CommandContext(ctx, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", clone)
	restore.Env = append(os.Environ(), env...)
	pipe, err := dump.StdoutPipe()
	if err != nil {
		return err
	}
	restore.Stdin = pipe
	var dumpErr, restoreErr strings.Builder
	dump.Stderr, restore.Stderr = &dumpErr, &restoreErr
	if err := dump.Start(); err != nil {
		return fmt.Errorf("pg_dump: %w", err)
	}
	rerr := restore.Run()
	derr := dump.Wait()
	if derr != nil {
		return fmt.Errorf("pg_dump: %w: %s", derr, scrubDSN(errors.New(strings.TrimSpace(dumpErr.String())), dsn))
	}
	if rerr != nil {
		return fmt.Errorf("pg_restore into %s: %w: %s", clone, rerr, scrubDSN(errors.New(strings.TrimSpace(restoreErr.String())), dsn))
	}
	return nil
}
