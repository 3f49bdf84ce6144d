package db

import (
	"context"
	"testing"
	"time"
)

// TestPostgresAbandonedBatchFreesItsRows: a batch transaction whose client
// went silent (here: it simply stops talking) after its attempt's deadline
// is ended by the server, so a retry writing the same key is not blocked
// by the locks of the session left behind.
func TestPostgresAbandonedBatchFreesItsRows(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, "CREATE TABLE ab (id int PRIMARY KEY)")
	actx, cancel := context.WithTimeout(testCtx(t), 500*time.Millisecond)
	defer cancel()
	tx, err := pgBeginBatch(actx, d.(*pgDB).pool)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // the server ended it
	if _, err := tx.Exec(actx, "INSERT INTO ab VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// The abandoned transaction now holds key 1; a retry's write of it waits
	// until the server ends that transaction.
	rctx, rcancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer rcancel()
	start := time.Now()
	if _, err := d.SQL().ExecContext(rctx, "INSERT INTO ab VALUES (1)"); err != nil {
		t.Fatalf("the retry's write of the abandoned key: %v after %s", err, time.Since(start).Round(time.Millisecond))
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the retry waited %s for an abandoned transaction bounded at 500ms", took)
	}
}
