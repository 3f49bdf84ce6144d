package engine

import (
	"os"
	"testing"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// testServers are the servers the engine's integration tests run on: the
// variable naming each DSN and an example of it.
var testServers = map[string]struct{ env, example string }{
	db.Postgres: {dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	db.MySQL:    {dbtest.MySQLEnv, "root@tcp(127.0.0.1:3306)/test"},
}

// server returns the DSN of the test server of driver (postgres or mysql)
// and a connection to it; it skips the test (fails it under CI) when the
// server is not configured or does not answer.
func server(t *testing.T, driver string) (string, db.DB) {
	t.Helper()
	s := testServers[driver]
	dsn := dbtest.ServerDSN(t, s.env, s.example)
	d, err := dbtest.Open(t, driver, dsn)
	if err != nil {
		dbtest.ServerDown(t, s.env, err)
	}
	return dsn, d
}

// pgServer is server(t, db.Postgres).
func pgServer(t *testing.T) (string, db.DB) {
	t.Helper()
	return server(t, db.Postgres)
}

// seedTargetSQLite creates the empty SQLite target b.db of a run and
// opens it.
func seedTargetSQLite(t *testing.T, dir string) db.DB {
	t.Helper()
	path := dir + "/b.db"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return openSQLite(t, path)
}
