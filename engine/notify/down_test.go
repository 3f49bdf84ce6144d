//go:build unix

package notify

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// Under a drill's notifier-down fault every delivery fails, recorded with
// the fault's error, and the command never runs.
func TestDownFailsEveryDeliveryWithoutRunning(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"trigger"}, Exec: `cat > ran.json`}},
		Options{BaseDir: dir, MigrationID: "MIG-7", Mode: journal.ModeDrill, Record: rec.record, Down: errors.New("notifier down: drill fault notifier-down")})
	d.Notify(ev(t, 1, journal.TriggerFired, journal.TriggerPayload{Trigger: "overrun"}))
	d.Notify(ev(t, 2, journal.TriggerFired, journal.TriggerPayload{Trigger: "overrun"}))
	closeNow(t, d)
	got := rec.all()
	if len(got) != 2 {
		t.Fatalf("records = %+v, want 2", got)
	}
	for _, r := range got {
		if r.OK || r.Error != "notifier down: drill fault notifier-down" {
			t.Errorf("recorded as %+v", r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ran.json")); err == nil {
		t.Error("the command ran under notifier-down")
	}
}

// A drill's notifications say so: run.mode is drill, and commands get
// TIGHTROPE_MODE=drill.
func TestDrillNotificationsAreMarked(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	d := New([]runbooks.Notify{{On: []string{"trigger"}, Exec: `cat > msg.json; printf %s "$TIGHTROPE_MODE" > mode.txt`}},
		Options{BaseDir: dir, MigrationID: "MIG-7", Mode: journal.ModeDrill, Record: rec.record})
	d.Notify(ev(t, 1, journal.TriggerFired, journal.TriggerPayload{Trigger: "overrun"}))
	closeNow(t, d)
	if mode, _ := os.ReadFile(filepath.Join(dir, "mode.txt")); string(mode) != "drill" {
		t.Errorf("TIGHTROPE_MODE = %q", mode)
	}
	b, err := os.ReadFile(filepath.Join(dir, "msg.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil || m.Run.Mode != "drill" {
		t.Errorf("message run.mode: %s (%v)", b, err)
	}
}
