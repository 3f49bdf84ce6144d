package snapshot

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tightrope/tightrope/engine/verify"
)

func TestZZProfile(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	d, _ := pgServer(t)
	exec(t, d, `CREATE TABLE bench (id bigint PRIMARY KEY, amount numeric(12,2), name varchar(40), at timestamp, note text)`,
		fmt.Sprintf(`INSERT INTO bench SELECT n, n * 1.25, 'name ' || n, timestamp '2024-01-01' + n * interval '1 second',
				CASE WHEN n %% 5 = 0 THEN NULL ELSE 'note ' || n END FROM generate_series(1, %d) n`, measureRows), "ANALYZE bench")
	for range 5 {
		start := time.Now()
		if _, err := verify.Checksums(testCtx(t), d, []string{"bench"}); err != nil {
			t.Fatal(err)
		}
		t.Log(time.Since(start))
	}
}
