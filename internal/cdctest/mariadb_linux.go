//go:build linux

package cdctest

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the server is waited for and prepared through it
)

// MariaDBServer is a throwaway MariaDB with a ROW binlog (full row image and
// metadata) and strict GTIDs.
type MariaDBServer struct {
	Dir      string
	Port     int
	ServerID int
	// DSN connects as root (no password) with no default database.
	DSN string
}

// DSNFor is the DSN of database name on the server.
func (s *MariaDBServer) DSNFor(name string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", s.Port, name)
}

// myInstance is one throwaway MariaDB of the test binary, started once.
type myInstance struct {
	once     sync.Once
	serverID int
	srv      *MariaDBServer
	err      error
}

// The binlog server ids of the throwaway MariaDBs; a capture's replica id
// must differ from them, and two servers replicating between each other
// must differ too.
var (
	myFirst  = &myInstance{serverID: 7401}
	mySecond = &myInstance{serverID: 7402}
)

// MariaDB returns the package's throwaway MariaDB server, starting it on
// first use. It skips t (fails it under CI) when the server cannot start.
func MariaDB(t testing.TB) *MariaDBServer { t.Helper(); return myFirst.get(t) }

// SecondMariaDB returns a second throwaway MariaDB, independent of
// MariaDB's (its own directory, port and server_id, the same settings):
// the other side of a replication between two servers (blue-green).
func SecondMariaDB(t testing.TB) *MariaDBServer { t.Helper(); return mySecond.get(t) }

// installMu serializes mariadb-install-db: the servers then start at once.
var installMu sync.Mutex

// TwoMariaDBs returns MariaDB's and SecondMariaDB's servers, starting
// those not yet started at the same time (a start takes seconds).
func TwoMariaDBs(t testing.TB) (first, second *MariaDBServer) {
	t.Helper()
	var wg sync.WaitGroup
	for _, m := range []*myInstance{myFirst, mySecond} {
		wg.Go(func() { m.once.Do(func() { m.srv, m.err = startMariaDB(m.serverID) }) })
	}
	wg.Wait()
	return myFirst.get(t), mySecond.get(t)
}

func (m *myInstance) get(t testing.TB) *MariaDBServer {
	t.Helper()
	m.once.Do(func() { m.srv, m.err = startMariaDB(m.serverID) })
	if m.err != nil {
		unavailable(t, "throwaway MariaDB with a ROW binlog", m.err)
	}
	return m.srv
}

func startMariaDB(serverID int) (*MariaDBServer, error) {
	mariadbd, err := exec.LookPath("mariadbd")
	if err != nil {
		if mariadbd, err = exec.LookPath("/usr/sbin/mariadbd"); err != nil {
			return nil, errors.New("mariadbd not found on PATH or in /usr/sbin")
		}
	}
	installDB, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		return nil, errors.New("mariadb-install-db not found on PATH")
	}
	acct, err := lookupAccount("mysql")
	if err != nil && os.Geteuid() == 0 {
		return nil, err
	}
	dir, err := acct.ownedTempDir("tightrope-cdcmy-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	// Each server's temporary files in its own directory: in the shared
	// /tmp, installs run by other packages' test processes at the same
	// time deleted each other's (#sql-temptable-… "Error on delete").
	install := acct.command(installDB, "--no-defaults", "--datadir="+data, "--tmpdir="+dir,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve")
	installMu.Lock() // two installs at once fail now and then (seen ~1 in 7)
	out, err := install.CombinedOutput()
	installMu.Unlock()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	srv := acct.command(mariadbd, "--no-defaults",
		"--datadir="+data,
		"--tmpdir="+dir,
		"--socket="+filepath.Join(dir, "mysqld.sock"),
		"--pid-file="+filepath.Join(dir, "mysqld.pid"),
		"--log-error="+logPath,
		fmt.Sprintf("--port=%d", port),
		"--bind-address=127.0.0.1",
		"--skip-name-resolve",
		"--log-bin="+filepath.Join(dir, "binlog"),
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--binlog-row-metadata=FULL",
		"--gtid-strict-mode=ON",
		fmt.Sprintf("--server-id=%d", serverID),
		"--innodb-buffer-pool-size=32M",
		"--innodb-flush-log-at-trx-commit=2",
		"--sync-binlog=0",
	)
	proc, err := startServer("mariadbd", dir, srv, syscall.SIGTERM, nil)
	if err != nil {
		return nil, err
	}
	s := &MariaDBServer{Dir: dir, Port: port, ServerID: serverID}
	s.DSN = s.DSNFor("")
	// wait until the server answers a query
	err = proc.ready(90*time.Second, 200*time.Millisecond, "did not answer", logPath, func() error {
		db, err := sql.Open("mysql", s.DSN)
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// CreateDatabase creates a fresh database on s and returns its DSN.
func (s *MariaDBServer) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	db, err := sql.Open("mysql", s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatal(err)
	}
	return s.DSNFor(name)
}

// Account creates an ordinary account on s, without a password, granted
// privileges (as "SELECT, INSERT") on database name only, dropped when t
// ends; it returns the account's DSN of that database. A test that freezes
// the server proves with it that ordinary writes stop.
func (s *MariaDBServer) Account(t testing.TB, name, privileges string) string {
	t.Helper()
	db, err := sql.Open("mysql", s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	user := "w_" + name[max(0, len(name)-8):]
	for _, q := range []string{"CREATE USER '" + user + "'@'%'", "GRANT " + privileges + " ON `" + name + "`.* TO '" + user + "'@'%'"} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		db.Exec("DROP USER '" + user + "'@'%'")
		db.Close()
	})
	return fmt.Sprintf("%s@tcp(127.0.0.1:%d)/%s", user, s.Port, name)
}
