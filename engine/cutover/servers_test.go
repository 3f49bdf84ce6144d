package cutover

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/cdctest"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// The MariaDB freeze sets read_only, a global setting: it runs on the
// throwaway server of cdctest, never on the shared one.
func TestMain(m *testing.M) { os.Exit(cdctest.Main(m)) }

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pgDatabase creates a database of the test's own on the shared
// PostgreSQL and a login role, both dropped when the test ends; it returns
// a connection to the database as postgres (tightrope's side), and the
// database's DSN for another user.
func pgDatabase(t *testing.T) (d db.DB, role string, dsnAs func(user string) string) {
	t.Helper()
	base := dbtest.ServerDSN(t, dbtest.PostgresEnv, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin, err := dbtest.Open(t, db.Postgres, base)
	if err != nil {
		dbtest.ServerDown(t, dbtest.PostgresEnv, err)
	}
	name := short(dbtest.UniqueName(t, "frz"))
	role = "w_" + name[4:]
	dbtest.MustExec(t, admin, "CREATE DATABASE "+name, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		if _, err := admin.SQL().Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		if _, err := admin.SQL().Exec("DROP ROLE IF EXISTS " + role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dsnAs = func(user string) string {
		v := *u
		v.User = url.User(user)
		return v.String()
	}
	if d, err = dbtest.Open(t, db.Postgres, dsnAs(u.User.Username())); err != nil {
		t.Fatal(err)
	}
	return d, role, dsnAs
}

// mustFail fails the test unless err is an error containing want.
func mustFail(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded; it must fail", what)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %v; want an error saying %q", what, err, want)
	}
}

// short keeps a unique name within the identifier limits: its first 24
// characters and its random suffix.
func short(name string) string {
	if len(name) <= 33 {
		return name
	}
	return name[:24] + name[len(name)-9:]
}
