package copy_test

import (
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// TestSQLiteTimeFinerThanNanosIsRejected: a SQLite DATETIME text with a
// tenth fractional digit is rejected as precision_loss in every direction,
// never copied with the digit dropped (the driver's own parsing drops it,
// so verify alone would not notice).
func TestSQLiteTimeFinerThanNanosIsRejected(t *testing.T) {
	for _, to := range drivers {
		t.Run("sqlite_to_"+to, func(t *testing.T) {
			src, dst := newDB(t, db.SQLite), newDB(t, to)
			mustExec(t, src, `CREATE TABLE subnano (id INTEGER PRIMARY KEY, ts DATETIME)`,
				`INSERT INTO subnano VALUES (1, '2024-01-01 00:00:00.1234567891'), (2, '2024-01-01 00:00:00.1234567890'), (3, '2024-01-01 00:00:00.5')`)
			step := copyStep(10, "subnano")
			step.Create = true
			sink := newSink()
			c := copyTable(t, src, dst, "subnano", step, sink)
			checkCopied(t, src, dst, "subnano", step, c, sink)
			found := false // row 1; row 2 fits SQLite's nanoseconds but not the servers' microseconds
			for _, r := range sink.rejectList("subnano") {
				if keyOf(r.Key["id"]) != "1" {
					continue
				}
				found = true
				if r.Reason != convert.ReasonPrecisionLoss || r.Row["ts"] != "2024-01-01 00:00:00.1234567891" {
					t.Errorf("row 1 rejected as %s holding ts %#v, want %s and the text whole", r.Reason, r.Row["ts"], convert.ReasonPrecisionLoss)
				}
			}
			if !found || c.Written < 1 {
				t.Errorf("row 1 was not rejected (written %d)", c.Written)
			}
		})
	}
}
