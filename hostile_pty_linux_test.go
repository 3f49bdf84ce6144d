package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// openPTY opens a pseudo-terminal in raw mode (no CR added to line ends,
// so a raw CR in the output is the program's own) and returns its
// controlling side and the terminal the program writes to.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	if _, err := term.MakeRaw(int(pts.Fd())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptm.Close(); pts.Close() })
	return ptm, pts
}

// TestRejectsCSVToATerminalIsEscaped: `tightrope rejects` on a terminal
// shows the rejected row's control characters (ESC, OSC 52, BEL, CR, C1)
// as escapes; none reaches the terminal raw.
func TestRejectsCSVToATerminalIsEscaped(t *testing.T) {
	j := hostileRejectsJournal(t)
	ptm, pts := openPTY(t)
	cmd := exec.Command(binary, "rejects", j)
	cmd.Stdout = pts
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&out, ptm); close(read) }() // ends with an error once pts is closed below
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rejects: %v: %s", err, stderr.String())
	}
	pts.Close()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	text := out.String()
	if !strings.Contains(text, `\u009b2J`) || !strings.Contains(text, "items") {
		t.Fatalf("the terminal shows no escaped reject:\n%q", text)
	}
	for _, bad := range append(rawControls, "\u009b") {
		if strings.Contains(text, bad) {
			t.Errorf("rejects prints %q raw on a terminal:\n%q", bad, text)
		}
	}
}
