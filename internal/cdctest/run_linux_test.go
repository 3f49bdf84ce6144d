//go:build linux

package cdctest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServerThatExitsIsReported: a server process that exits before it
// answers is reported as such with its log, its directory removed and its
// exit hook run; one that never answers times out the same way.
func TestServerThatExitsIsReported(t *testing.T) {
	for _, c := range []struct {
		script, want string
	}{
		{"echo boom > \"$0\"; exit 3", "fake exited during start; server log:\nboom"},
		{"echo slow > \"$0\"; sleep 60", "fake did not answer in 1s: not yet; server log:\nslow"},
	} {
		dir := t.TempDir()
		sub := filepath.Join(dir, "srv")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, "server.log")
		hooked := false
		s, err := startServer("fake", sub, exec.Command("sh", "-c", c.script, logPath), syscall.SIGTERM, func() { hooked = true })
		if err != nil {
			t.Fatal(err)
		}
		err = s.ready(time.Second, 20*time.Millisecond, "did not answer", logPath, func() error { return errors.New("not yet") })
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: ready: %v, want %q", c.script, err, c.want)
		}
		if _, err := os.Stat(sub); !os.IsNotExist(err) {
			t.Errorf("%q: the server's directory is still there (%v)", c.script, err)
		}
		if !hooked {
			t.Errorf("%q: the exit hook did not run", c.script)
		}
	}
}
