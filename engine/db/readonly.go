package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tightrope/tightrope/runbooks"
)

// OpenReadOnly opens a runbook connection whose every session refuses
// writes at the server: PostgreSQL sessions start with
// default_transaction_read_only, so every transaction is BEGIN READ ONLY;
// MySQL/MariaDB sessions set transaction_read_only (tx_read_only on
// servers that do not know the newer name), so every transaction is
// START TRANSACTION READ ONLY; SQLite opens the file with mode=ro and
// query_only. An assessment reads through it and cannot write by mistake.
func OpenReadOnly(ctx context.Context, c runbooks.Connection, baseDir string) (DB, error) {
	dsn := c.Path
	if c.Driver == SQLite && dsn != "" && !filepath.IsAbs(dsn) {
		dsn = filepath.Join(baseDir, dsn)
	}
	if c.DSNEnv != "" {
		if dsn = os.Getenv(c.DSNEnv); dsn == "" {
			return nil, fmt.Errorf("connection %q: environment variable %s is empty or not set", c.Name, c.DSNEnv)
		}
	}
	if dsn == "" {
		return nil, fmt.Errorf("connection %q: neither path nor dsn_env is set", c.Name)
	}
	var d DB
	var err error
	switch c.Driver {
	case Postgres:
		d, err = openPostgresReadOnly(ctx, dsn)
	case MySQL:
		d, err = openMySQLReadOnly(ctx, dsn)
	case SQLite:
		d, err = openSQLiteReadOnly(ctx, dsn)
	default:
		return nil, fmt.Errorf("connection %q: no read-only mode for driver %q", c.Name, c.Driver)
	}
	if err != nil {
		if c.Driver != SQLite {
			err = scrub(err, dsn)
		}
		return nil, fmt.Errorf("connection %q (%s, read-only): %w", c.Name, c.Driver, err)
	}
	return d, nil
}

func openPostgresReadOnly(ctx context.Context, dsn string) (DB, error) {
	secret := parsePGDSN(dsn).password
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, scrubSecret(pgParseError(err), secret)
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	return openPostgresConfig(ctx, cfg)
}

func openMySQLReadOnly(ctx context.Context, dsn string) (DB, error) {
	var last error
	for _, name := range []string{"transaction_read_only", "tx_read_only"} {
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("cannot parse the MySQL DSN: %w", err)
		}
		cfg.Params[name] = "1"
		d, err := openMySQLConfig(ctx, cfg)
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1193 { // unknown system variable
			last = err
			continue
		}
		return d, err
	}
	return nil, last
}

func openSQLiteReadOnly(ctx context.Context, path string) (DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	pool, err := sql.Open("sqlite", sqliteURI(abs, "mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)&_time_format=sqlite"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	var n int
	if err := pool.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &sqliteDB{db: pool, path: abs, now: time.Now}, nil
}
