package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxConsole is the console running in a tmux terminal.
type tmuxConsole struct {
	t       *testing.T
	session string
}

// startConsole runs the binary in a tmux terminal of w×h.
func startConsole(t *testing.T, w, h int, args ...string) *tmuxConsole {
	t.Helper()
	return startConsoleEnv(t, w, h, nil, args...)
}

// startConsoleEnv runs the binary in a tmux terminal of w×h with env
// (NAME=value) added: a tmux server started earlier does not pass on this
// process's environment.
func startConsoleEnv(t *testing.T, w, h int, env []string, args ...string) *tmuxConsole {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is needed to look at the console (apt-get install tmux)")
		}
		t.Skip("tmux is not installed")
	}
	session := fmt.Sprintf("tightrope-e2e-%d", time.Now().UnixNano())
	var quoted []string
	if len(env) > 0 {
		quoted = append(quoted, "env")
	}
	for _, a := range append(append(env, binary), args...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		strings.Join(quoted, " ")+"; sleep 30").CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	return &tmuxConsole{t: t, session: session}
}

// screen is what the terminal shows now.
func (c *tmuxConsole) screen() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", c.session).Output()
	if err != nil {
		c.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// waitFor waits until the screen satisfies ok, and returns it.
func (c *tmuxConsole) waitFor(what string, ok func(string) bool) string {
	c.t.Helper()
	var sc string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if sc = c.screen(); ok(sc) {
			return sc
		}
	}
	c.t.Fatalf("waited in vain for %s:\n%s", what, sc)
	return ""
}

func (c *tmuxConsole) waitText(text string) string {
	c.t.Helper()
	return c.waitFor(text, func(s string) bool { return strings.Contains(s, text) })
}

// keys sends tmux key names (Enter, Space, Escape) or text.
func (c *tmuxConsole) keys(keys ...string) {
	c.t.Helper()
	for _, k := range keys {
		if out, err := exec.Command("tmux", "send-keys", "-t", c.session, k).CombinedOutput(); err != nil {
			c.t.Fatalf("tmux send-keys %s: %v %s", k, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConsoleRejectsBrowserAtTheAlarm: the demo at 120x40; at the alarm, e
// shows the rejected rows (an N/A rating, reason not_integer); esc returns
// to the decision, which is then taken.
func TestConsoleRejectsBrowserAtTheAlarm(t *testing.T) {
	dir := t.TempDir()
	c := startConsole(t, 120, 40, "demo", "--dir", dir, "--as", "alice")
	c.waitText("MANUAL freeze")
	c.keys("Space", "Space")
	c.waitText("[✓] Order intake is paused")
	c.keys("Enter")
	c.waitText("DECISION REQUIRED")

	c.keys("e")
	sc := c.waitText("REJECTED ROWS")
	var row string
	for _, l := range strings.Split(sc, "\n") {
		if strings.Contains(l, "N/A") && strings.Contains(l, "not_integer") {
			row = l
			break
		}
	}
	if row == "" {
		t.Fatalf("no rejected row with N/A and not_integer:\n%s", sc)
	}
	if !strings.Contains(sc, "ALARM") {
		t.Fatalf("the alarm left the screen while browsing:\n%s", sc)
	}

	c.keys("Escape")
	c.waitFor("the decision again", func(s string) bool {
		return strings.Contains(s, "DECISION REQUIRED") && !strings.Contains(s, "REJECTED ROWS")
	})
	c.keys("c")
	c.waitText("CONTINUE DESPITE THE TRIGGER")
	c.keys("legacy N/A ratings; the rows are kept in the journal's rejects", "Enter")
	c.waitText("alice decided continue (trigger)")
}

// TestConsoleDrillScorecard: a drill in the full-screen console says DRILL
// in its header, shows the scorecard over the final screen at its end
// (before the console closes), esc dismisses it, q leaves, and the plain
// scorecard follows on the terminal.
func TestConsoleDrillScorecard(t *testing.T) {
	dir := t.TempDir()
	c := startConsole(t, 120, 40, "drill", "--demo", "--scenario", "na-ratings", "--auto-decide", "rollback", "--dir", dir, "--as", "dana")
	sc := c.waitText("esc closes")
	if first, _, _ := strings.Cut(sc, "\n"); !strings.Contains(first, "DRILL") || !strings.Contains(first, "ROLLED BACK") {
		t.Errorf("the header at the end is not DRILL … ROLLED BACK: %q", first)
	}
	for _, want := range []string{"scorecard · scenario na-ratings · expected rollback · PASS", "detected   at", "within the RTO", "checksums equal the snapshot"} {
		if !strings.Contains(sc, want) {
			t.Errorf("the console's scorecard lacks %q:\n%s", want, sc)
		}
	}
	c.keys("Escape")
	sc = c.waitFor("the scorecard dismissed", func(s string) bool { return !strings.Contains(s, "esc closes") })
	if first, _, _ := strings.Cut(sc, "\n"); !strings.Contains(first, "DRILL") {
		t.Errorf("the header lost DRILL once the scorecard closed: %q", first)
	}
	c.keys("q")
	sc = c.waitText("drill journal:")
	if !strings.Contains(sc, "DRILL scorecard · scenario na-ratings · expected rollback · PASS") {
		t.Errorf("the scorecard is not printed after the console:\n%s", sc)
	}
}
