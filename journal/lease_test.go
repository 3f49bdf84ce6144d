package journal

import (
	"bufio"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leaseHelperEnv makes the test binary a lease holder (TestLeaseHolderProcess).
const leaseHelperEnv = "TIGHTROPE_LEASE_HOLDER"

// TestLeaseHolderProcess is not a test: run with leaseHelperEnv set to a
// journal path, it takes that journal's lease, says "held <pid>" and
// waits to be killed.
func TestLeaseHolderProcess(t *testing.T) {
	path := os.Getenv(leaseHelperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	l, err := AcquireLease(path, LeaseOptions{Operator: "holder", Heartbeat: 50 * time.Millisecond})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("held", l.Info().PID)
	select {}
}

// startHolder starts a helper process holding the lease of path and
// returns it once it holds it.
func startHolder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderProcess$")
	cmd.Env = append(os.Environ(), leaseHelperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "held ") {
		t.Fatalf("the holder process said %q (%v)", line, err)
	}
	return cmd
}

func TestSecondLeaseIsRefusedNamingTheHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.journal")
	first, err := AcquireLease(path, LeaseOptions{Operator: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	start := time.Now()
	_, err = AcquireLease(path, LeaseOptions{Operator: "bob"})
	took := time.Since(start)
	var held *LeaseHeldError
	if !errors.Is(err, ErrLeaseHeld) || !errors.As(err, &held) {
		t.Fatalf("second acquire: %v, want ErrLeaseHeld", err)
	}
	host, _ := os.Hostname()
	msg := err.Error()
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), "host " + host, "operator alice", "since "} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if held.Holder.Started.IsZero() || held.Holder.Operator != "alice" {
		t.Errorf("holder = %+v", held.Holder)
	}
	t.Logf("refused in %s: %s", took, msg)
	if took > 500*time.Millisecond {
		t.Errorf("the refusal took %s; a known holder is named at once", took)
	}
}

func TestLeaseOfAKilledHolderIsFreeAtOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.journal")
	holder := startHolder(t, path)
	_, err := AcquireLease(path, LeaseOptions{})
	var held *LeaseHeldError
	if !errors.As(err, &held) || held.Holder.PID != holder.Process.Pid {
		t.Fatalf("acquire while pid %d holds it: %v", holder.Process.Pid, err)
	}
	if err := holder.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	_ = holder.Wait()
	start := time.Now()
	l, err := AcquireLease(path, LeaseOptions{Operator: "next"})
	if err != nil {
		t.Fatalf("acquire after the holder was killed: %v", err)
	}
	defer l.Release()
	t.Logf("acquired %s after the holder died", time.Since(start))
	if info, err := ReadLease(path); err != nil || info.PID != os.Getpid() || info.Operator != "next" {
		t.Errorf("lease file after takeover = %+v, %v", info, err)
	}
}

// TestLeaseWhileAReaderHasTheJournalOpen: a watcher's read-only connection
// in the middle of a read transaction does not stand in a writer's way.
func TestLeaseWhileAReaderHasTheJournalOpen(t *testing.T) {
	t.Parallel()
	s, path := newJournal(t)
	_ = s.Close()
	db, err := sql.Open("sqlite", fileDSN(path, "ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader: %d events, %v", n, err)
	}
	l, err := AcquireLease(path, LeaseOptions{})
	if err != nil {
		t.Fatalf("acquire while a reader is open: %v", err)
	}
	defer l.Release()
	w, err := OpenWriter(path)
	if err != nil {
		t.Fatalf("OpenWriter under the lease while a reader is open: %v", err)
	}
	_ = w.Close()
}

func TestLeaseHeartbeatAdvancesAndReleaseSaysSo(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.journal")
	l, err := AcquireLease(path, LeaseOptions{Heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	first, err := ReadLease(path)
	if err != nil || first.PID != os.Getpid() || first.Heartbeat.Before(first.Started) {
		// (the first beat may already have come on a busy machine)
		t.Fatalf("lease file = %+v, %v", first, err)
	}
	beats := 0
	last := first.Heartbeat
	for deadline := time.Now().Add(5 * time.Second); beats < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the heartbeat advanced %d times in 5s (every 20ms wanted)", beats)
		}
		info, err := ReadLease(path)
		if err != nil {
			t.Fatal(err) // a half-written file is retried inside ReadLease
		}
		if info.Heartbeat.After(last) {
			beats, last = beats+1, info.Heartbeat
		}
		if !info.Started.Equal(first.Started) || !info.Released.IsZero() {
			t.Fatalf("heartbeat rewrote more than the heartbeat: %+v", info)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if info, err := ReadLease(path); err != nil || info.Released.IsZero() {
		t.Errorf("after Release the lease file says %+v, %v", info, err)
	}
	again, err := AcquireLease(path, LeaseOptions{})
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	again.Release()
}

// TestRefusalWaitsForTheNewHolderToSayWhoItIs: the lock is held by a
// writer that has not written its info yet, and the file still names a
// writer that died. The refusal must not name the dead writer.
func TestRefusalWaitsForTheNewHolderToSayWhoItIs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.journal")
	dead := exec.Command(os.Args[0], "-test.run=^$")
	dead.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	stale := fmt.Sprintf(`{"host":%q,"pid":%d,"started":"2026-03-01T09:00:00Z","heartbeat":"2026-03-01T09:00:00Z"}`, host, dead.Process.Pid)
	if err := os.WriteFile(LeasePath(path), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(LeasePath(path), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil { // the new holder, an instant before it writes
		t.Fatal(err)
	}
	_, err = AcquireLease(path, LeaseOptions{HolderWait: 100 * time.Millisecond})
	var held *LeaseHeldError
	if !errors.As(err, &held) || held.Holder.PID != 0 {
		t.Fatalf("refusal = %v; it must not name the dead pid %d", err, dead.Process.Pid)
	}
	if !strings.Contains(err.Error(), "has not said who it is") {
		t.Errorf("refusal %q", err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := AcquireLease(path, LeaseOptions{HolderWait: 5 * time.Second})
		done <- err
	}()
	fresh := fmt.Sprintf(`{"host":%q,"pid":%d,"started":"2026-03-01T09:00:01Z","heartbeat":"2026-03-01T09:00:01Z"}`, host, os.Getpid())
	if _, err := f.WriteAt([]byte(fresh+strings.Repeat(" ", len(stale))), 0); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.As(err, &held) || held.Holder.PID != os.Getpid() {
		t.Fatalf("refusal once the holder wrote its info = %v", err)
	}
}

// TestReadLeaseRetriesAHalfWrittenFile: a reader that catches the file
// empty or cut short retries instead of failing.
func TestReadLeaseRetriesAHalfWrittenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.journal")
	if err := os.WriteFile(LeasePath(path), []byte(`{"host":"db1","pid":`), 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(leaseReadPause)
		_ = os.WriteFile(LeasePath(path), []byte(`{"host":"db1","pid":7,"started":"2026-03-01T09:00:00Z","heartbeat":"2026-03-01T09:00:02Z"}`), 0o600)
	}()
	info, err := ReadLease(path)
	if err != nil || info.PID != 7 || info.Host != "db1" {
		t.Fatalf("ReadLease = %+v, %v", info, err)
	}
	if _, err := ReadLease(filepath.Join(t.TempDir(), "none.journal")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadLease of a journal without a lease: %v", err)
	}
}

// TestAcquireWhileTheHolderLetsGo: the holder has written "released" but
// not yet unlocked; a writer arriving then waits for the lock instead of
// being refused by a holder on its way out.
func TestAcquireWhileTheHolderLetsGo(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.journal")
	host, _ := os.Hostname()
	leaving := fmt.Sprintf(`{"host":%q,"pid":%d,"started":"2026-03-01T09:00:00Z","heartbeat":"2026-03-01T09:00:05Z","released":"2026-03-01T09:00:05Z"}`, host, os.Getpid())
	if err := os.WriteFile(LeasePath(path), []byte(leaving), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(LeasePath(path), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLease(path, LeaseOptions{HolderWait: 50 * time.Millisecond})
	var held *LeaseHeldError
	if !errors.As(err, &held) || held.Holder.PID != 0 {
		t.Fatalf("while the lock stays taken: %v; a released holder must not be named", err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := AcquireLease(path, LeaseOptions{HolderWait: 5 * time.Second})
		if err == nil {
			err = l.Release()
		}
		got <- err
	}()
	if err := unlockFile(f); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("acquire while the holder let go: %v", err)
	}
}
