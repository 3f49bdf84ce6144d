//go:build !linux

package cdctest

import (
	"errors"
	"testing"
)

// PostgresServer is a throwaway PostgreSQL cluster (Linux only).
type PostgresServer struct {
	Dir  string
	Port int
	DSN  string
}

// MariaDBServer is a throwaway MariaDB (Linux only).
type MariaDBServer struct {
	Dir      string
	Port     int
	ServerID int
	DSN      string
}

var errNotLinux = errors.New("throwaway servers are started on Linux only")

// Postgres skips t (fails it under CI): not on Linux.
func Postgres(t testing.TB) *PostgresServer {
	unavailable(t, "throwaway PostgreSQL", errNotLinux)
	return nil
}

// NewPostgres skips t (fails it under CI): not on Linux.
func NewPostgres(t testing.TB) *PostgresServer { return Postgres(t) }

// MariaDB skips t (fails it under CI): not on Linux.
func MariaDB(t testing.TB) *MariaDBServer {
	unavailable(t, "throwaway MariaDB", errNotLinux)
	return nil
}

// SecondMariaDB skips t (fails it under CI): not on Linux.
func SecondMariaDB(t testing.TB) *MariaDBServer {
	unavailable(t, "throwaway MariaDB", errNotLinux)
	return nil
}

// TwoMariaDBs skips t (fails it under CI): not on Linux.
func TwoMariaDBs(t testing.TB) (first, second *MariaDBServer) {
	unavailable(t, "throwaway MariaDB", errNotLinux)
	return nil, nil
}

// Account is never reached: MariaDB skipped t already.
func (s *MariaDBServer) Account(t testing.TB, name, privileges string) string {
	unavailable(t, "throwaway MariaDB", errNotLinux)
	return ""
}
