//go:build linux

package cdctest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a throwaway PostgreSQL cluster with wal_level=logical.
type PostgresServer struct {
	Dir  string // data, socket and log live under it
	Port int
	// DSN connects as the superuser postgres to the database postgres.
	DSN string

	srv *server
}

// DSNFor is the DSN of database name on the server.
func (s *PostgresServer) DSNFor(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

var (
	pgOnce sync.Once
	pgSrv  *PostgresServer
	pgErr  error
)

// Postgres returns the package's throwaway PostgreSQL server, starting it on
// first use. It skips t (fails it under CI) when the server cannot start.
func Postgres(t testing.TB) *PostgresServer {
	t.Helper()
	pgOnce.Do(func() { pgSrv, pgErr = startPostgres() })
	if pgErr != nil {
		unavailable(t, "throwaway PostgreSQL with wal_level=logical", pgErr)
	}
	return pgSrv
}

// NewPostgres starts a throwaway PostgreSQL of t's own, not the package's
// shared one, stopped when t ends: for what acts on a whole server (a
// drill's cdc-slot-invalidate shrinks max_slot_wal_keep_size for every
// database) while other tests use the shared one. It skips t (fails it
// under CI) when the server cannot start.
func NewPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	s, err := startPostgres()
	if err != nil {
		unavailable(t, "throwaway PostgreSQL with wal_level=logical", err)
	}
	t.Cleanup(s.srv.stop)
	return s
}

// postgresBin is the newest installed PostgreSQL's bin directory
// (TIGHTROPE_PG_BIN overrides it).
func postgresBin() (string, error) {
	if dir := os.Getenv("TIGHTROPE_PG_BIN"); dir != "" {
		return dir, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("no initdb under /usr/lib/postgresql/*/bin or on PATH (set TIGHTROPE_PG_BIN)")
	}
	sort.Strings(found)
	return filepath.Dir(found[len(found)-1]), nil
}

func startPostgres() (*PostgresServer, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	acct, err := lookupAccount("postgres")
	if err != nil && os.Geteuid() == 0 {
		return nil, err
	}
	dir, err := acct.ownedTempDir("tightrope-cdcpg-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := acct.command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv := acct.command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", fmt.Sprintf("port=%d", port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+dir,
		"-c", "wal_level=logical",
		"-c", "max_replication_slots=20",
		"-c", "max_wal_senders=20",
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB",
	)
	srv.Stdout, srv.Stderr = logf, logf
	// SIGINT: a fast shutdown
	proc, err := startServer("postgres", dir, srv, syscall.SIGINT, func() { logf.Close() })
	if err != nil {
		return nil, err
	}
	s := &PostgresServer{Dir: dir, Port: port, srv: proc}
	s.DSN = s.DSNFor("postgres")
	// wait until the server accepts a connection
	err = proc.ready(60*time.Second, 100*time.Millisecond, "did not accept connections", filepath.Join(dir, "server.log"), func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, s.DSN)
		if err == nil {
			c.Close(ctx)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// CreateDatabase creates a fresh database on s and returns its DSN.
func (s *PostgresServer) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return s.DSNFor(name)
}
