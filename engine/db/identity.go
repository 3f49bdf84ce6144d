package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Identity names the database a connection reaches, the same whatever
// host name, address or path led to it, so that pre-flight can refuse a
// step whose source and target are one database: PostgreSQL's system
// identifier, database and schema; MySQL's @@server_uuid (MariaDB, which
// has none: host name, port and data directory) and schema; a SQLite
// file's device and inode.
func Identity(ctx context.Context, d DB) (string, error) {
	switch d := d.(type) {
	case *pgDB:
		return d.identity(ctx)
	case *myDB:
		return d.identity(ctx)
	case *mySnapDB:
		return d.identity(ctx)
	case *sqliteDB:
		return d.identity()
	}
	return "", fmt.Errorf("%s: cannot tell which database this is", d.Driver())
}

// identity: the cluster's system identifier (pg_control_system, readable
// by default since 10; the server's address, port and data directory
// setting otherwise), the database and the schema.
func (p *pgDB) identity(ctx context.Context) (string, error) {
	var cluster, dbname, schema string
	err := p.sqldb.QueryRowContext(ctx, `SELECT system_identifier::text, current_database(), coalesce(current_schema(), '') FROM pg_control_system()`).
		Scan(&cluster, &dbname, &schema)
	if err != nil {
		err = p.sqldb.QueryRowContext(ctx, `SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0)::text,
			current_database(), coalesce(current_schema(), '')`).Scan(&cluster, &dbname, &schema)
	}
	if err != nil {
		return "", fmt.Errorf("reading the server's identity: %w", err)
	}
	return fmt.Sprintf("postgres system %s, database %s, schema %s", cluster, dbname, schema), nil
}

// identity: @@server_uuid (MySQL 5.6 and later) or, on MariaDB, host
// name, port and data directory; and the schema.
func (m *myDB) identity(ctx context.Context) (string, error) {
	var server, schema string
	err := m.db.QueryRowContext(ctx, `SELECT @@server_uuid, coalesce(DATABASE(), '')`).Scan(&server, &schema)
	if err != nil {
		err = m.db.QueryRowContext(ctx, `SELECT concat(@@hostname, ':', @@port, ':', @@datadir), coalesce(DATABASE(), '')`).Scan(&server, &schema)
	}
	if err != nil {
		return "", fmt.Errorf("reading the server's identity: %w", err)
	}
	return fmt.Sprintf("mysql server %s, schema %s", server, schema), nil
}

// identity: the file's device and inode (its resolved path where the
// system has none), so a symbolic link or another spelling of the path is
// still the same file.
func (s *sqliteDB) identity() (string, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return "", fmt.Errorf("reading the file's identity: %w", err)
	}
	return "sqlite file " + fileID(s.path, fi), nil
}

// resolvedPath is path with its symbolic links resolved (path itself if
// that fails).
func resolvedPath(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}
