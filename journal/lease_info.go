package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// ErrLeaseHeld is returned (wrapped in a *LeaseHeldError) by AcquireLease
// when another process is the journal's writer.
var ErrLeaseHeld = errors.New("journal is held by another writer")

// errLeaseUnreadable says a lease file stayed empty or half written for as
// long as ReadLease retried.
var errLeaseUnreadable = errors.New("lease file unreadable")

// LeaseInfo is what a lease file says about its holder. The holder writes
// it when it takes the lease and rewrites it at every heartbeat.
type LeaseInfo struct {
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Operator  string    `json:"operator,omitempty"`
	Started   time.Time `json:"started"`           // when the lease was taken
	Heartbeat time.Time `json:"heartbeat"`         // the holder's last sign of life
	Released  time.Time `json:"released,omitzero"` // set when the holder let go cleanly
}

// Holder names the holder for a person: "pid 4242 on host db1 (operator
// alice), since 2026-03-01 09:00:00 UTC".
func (i LeaseInfo) Holder() string {
	s := fmt.Sprintf("pid %d on host %s", i.PID, i.Host)
	if i.Operator != "" {
		s += " (operator " + i.Operator + ")"
	}
	return s + ", since " + i.Started.Local().Format("2006-01-02 15:04:05 MST")
}

// LeaseHeldError is the refusal of a second writer. errors.Is(err,
// ErrLeaseHeld) holds for it.
type LeaseHeldError struct {
	Journal string
	Holder  LeaseInfo // zero when the holder had not said who it is in time
	Checked time.Time // when the refusal was decided, for the heartbeat's age
}

func (e *LeaseHeldError) Error() string {
	if e.Holder.PID == 0 {
		return fmt.Sprintf("journal %s is held by another writer, which has not said who it is (see %s)", e.Journal, LeasePath(e.Journal))
	}
	age := max(e.Checked.Sub(e.Holder.Heartbeat), 0).Round(time.Second)
	return fmt.Sprintf("journal %s is held by another writer: %s; last heartbeat %s ago", e.Journal, e.Holder.Holder(), age)
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// LeasePath is the lease file beside a journal.
func LeasePath(journalPath string) string { return journalPath + ".lease" }

// leaseReadTries and leaseReadPause bound how long ReadLease waits out a
// half-written file: the holder rewrites it in place, so a read may catch
// it mid-write.
const (
	leaseReadTries = 20
	leaseReadPause = 5 * time.Millisecond
)

// ReadLease reads the lease file of the journal at journalPath, retrying
// briefly while it is empty or half written. It never takes the lock, so
// it cannot get in a writer's way. A journal that never had a writer with
// a lease gives an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadLease(journalPath string) (LeaseInfo, error) {
	var last error
	for try := range leaseReadTries {
		if try > 0 {
			time.Sleep(leaseReadPause)
		}
		data, err := os.ReadFile(LeasePath(journalPath))
		if errors.Is(err, fs.ErrNotExist) {
			return LeaseInfo{}, err
		}
		if err != nil {
			last = err
			continue
		}
		var info LeaseInfo
		if data = bytes.TrimSpace(data); len(data) == 0 {
			last = errLeaseUnreadable
			continue
		}
		if err := json.Unmarshal(data, &info); err != nil {
			last = fmt.Errorf("%w: %v", errLeaseUnreadable, err)
			continue
		}
		return info, nil
	}
	return LeaseInfo{}, fmt.Errorf("journal %s: lease: %w", journalPath, last)
}
