package main

// The writer of the cdc kill tests (kill_cdc_test.go): it changes the
// source the whole time, also while no process runs.

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// cdcKillWriter changes the source in transactions of one to four
// statements until halted: inserts at fresh keys above the initial ones
// and in the gaps below them, updates of values, updates of keys (to a
// fresh key above, or into a gap below: across the copy's checkpoints
// either way) and deletes. It never touches a row holding N/A.
type cdcKillWriter struct {
	stop  chan struct{}
	done  chan error
	once  sync.Once
	mu    sync.Mutex
	count int
}

func (w *cdcKillWriter) txs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

func startCDCKillWriter(t *testing.T, src cdcKillSide, seed uint64) *cdcKillWriter {
	t.Helper()
	w := &cdcKillWriter{stop: make(chan struct{}), done: make(chan error, 1)}
	rng := rand.New(rand.NewPCG(seed, 3))
	live := map[string][]int64{}        // keys the writer may touch, per table
	used := map[string]map[int64]bool{} // every key in the table
	for _, table := range cdcKillTables {
		used[table] = map[int64]bool{}
		for i := range cdcKillRows {
			used[table][killKey(i)] = true
			if i%killRejectEvery != 7 {
				live[table] = append(live[table], killKey(i))
			}
		}
	}
	next := killKey(cdcKillRows)
	fresh := func(table string) int64 {
		if rng.IntN(2) == 0 { // a gap below the initial keys
			for range 20 {
				k := int64(rng.IntN(cdcKillRows))*3 + 2 + int64(rng.IntN(2))
				if !used[table][k] {
					return k
				}
			}
		}
		next++
		return next
	}
	take := func(table string) (int64, int) {
		i := rng.IntN(len(live[table]))
		return live[table][i], i
	}
	step := func(tx *sql.Tx) error {
		table := cdcKillTables[rng.IntN(len(cdcKillTables))]
		n := rng.IntN(100000)
		switch op := rng.IntN(8); {
		case op < 3:
			k := fresh(table)
			if _, err := tx.Exec(src.q("INSERT INTO "+table+" VALUES (?, ?, ?, ?, ?, ?)"),
				k, strconv.Itoa(n%1000), fmt.Sprintf("new %d", n), fmt.Sprintf("%d.%02d", n, n%100), cdcKillTime(n), cdcKillNote(n)); err != nil {
				return err
			}
			used[table][k] = true
			live[table] = append(live[table], k)
		case op < 5:
			k, _ := take(table)
			if _, err := tx.Exec(src.q("UPDATE "+table+" SET qty = ?, name = ?, price = ?, at = ? WHERE id = ?"),
				strconv.Itoa(n%1000), fmt.Sprintf("upd %d", n), fmt.Sprintf("%d.%02d", n, n%100), cdcKillTime(n), k); err != nil {
				return err
			}
		case op < 7:
			k, i := take(table)
			to := fresh(table)
			if _, err := tx.Exec(src.q("UPDATE "+table+" SET id = ?, name = ? WHERE id = ?"), to, fmt.Sprintf("moved from %d", k), k); err != nil {
				return err
			}
			delete(used[table], k)
			used[table][to] = true
			live[table][i] = to
		default:
			k, i := take(table)
			if _, err := tx.Exec(src.q("DELETE FROM "+table+" WHERE id = ?"), k); err != nil {
				return err
			}
			delete(used[table], k)
			live[table] = slices.Delete(live[table], i, i+1)
		}
		return nil
	}
	go func() {
		w.done <- func() error {
			for {
				select {
				case <-w.stop:
					return nil
				default:
				}
				tx, err := src.db.Begin()
				if err != nil {
					return err
				}
				for range 1 + rng.IntN(4) {
					if err := step(tx); err != nil {
						tx.Rollback()
						return err
					}
				}
				if err := tx.Commit(); err != nil {
					return err
				}
				w.mu.Lock()
				w.count++
				w.mu.Unlock()
				time.Sleep(12 * time.Millisecond) // slow enough for the applier to catch up on a loaded machine
			}
		}()
	}()
	t.Cleanup(func() { w.halt(t) })
	return w
}

// halt stops the writer and reports its error, once.
func (w *cdcKillWriter) halt(t *testing.T) {
	t.Helper()
	w.once.Do(func() {
		close(w.stop)
		if err := <-w.done; err != nil {
			t.Errorf("writer: %v", err)
		}
	})
}

// cdcKillMarker writes one last row after the writer stopped: once it is
// on the target, everything before it is (apply goes in source order).
func cdcKillMarker(t *testing.T, src cdcKillSide) int64 {
	t.Helper()
	k := int64(1_000_000_000 + rand.IntN(1000))
	if _, err := src.db.Exec(src.q("INSERT INTO parts VALUES (?, '1', 'marker', '0.00', ?, NULL)"), k, cdcKillTime(1)); err != nil {
		t.Fatal(err)
	}
	return k
}

func waitCDCKillMarker(t *testing.T, dst *sql.DB, k int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := dst.QueryRow("SELECT count(*) FROM parts WHERE id = $1", k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the marker written after the writer stopped never reached the target")
}
