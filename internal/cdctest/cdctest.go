// Package cdctest starts throwaway database servers with change capture
// enabled — PostgreSQL with wal_level=logical, MariaDB with a ROW binlog and
// GTIDs — for the tests of engine/cdc. The machine's own test servers have
// neither. Each server lives in a temporary directory on a free loopback
// port, is started at most once per test binary (the first test that asks
// starts it) and is stopped by Main when the package's tests end.
//
// Under CI=true a server that cannot be started fails the test; otherwise
// the test is skipped with the reason.
package cdctest

import (
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
)

// Main runs a package's tests and then stops every server they started.
// Use it from TestMain: func TestMain(m *testing.M) { os.Exit(cdctest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	stopAll()
	return code
}

var (
	stopMu sync.Mutex
	stops  []func()
)

// onStop registers a server's stop for Main.
func onStop(f func()) {
	stopMu.Lock()
	defer stopMu.Unlock()
	stops = append(stops, f)
}

func stopAll() {
	stopMu.Lock()
	defer stopMu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
	stops = nil
}

// unavailable skips t (fails it under CI) because a server could not start.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v (CI must run the change-capture tests)", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

// freePort is a loopback TCP port nobody listens on at the moment of asking.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
