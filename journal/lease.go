package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Defaults of LeaseOptions.
const (
	DefaultLeaseHeartbeat  = 2 * time.Second
	DefaultLeaseHolderWait = time.Second
)

// LeaseOptions configure AcquireLease.
type LeaseOptions struct {
	// Operator is written into the lease file beside host and pid.
	Operator string
	// Heartbeat is how often the holder rewrites its heartbeat time
	// (DefaultLeaseHeartbeat when ≤ 0).
	Heartbeat time.Duration
	// HolderWait is how long a refused writer waits for the holder to
	// say who it is, when it took the lease an instant ago and has not
	// written its lease file yet (DefaultLeaseHolderWait when ≤ 0).
	HolderWait time.Duration
	// Now stamps start and heartbeat times; time.Now when nil.
	Now func() time.Time
}

// Lease is the exclusive right to write one journal, held by one process:
// a non-blocking exclusive OS lock on the sidecar file <journal>.lease.
// The operating system drops the lock when the process dies, however it
// dies, so a killed writer's journal can be resumed at once. The lease
// file holds the holder's LeaseInfo, its heartbeat rewritten every
// LeaseOptions.Heartbeat; it is not part of the journal or its hash chain.
// The file is left in place on release (deleting a lock file races with
// the next writer opening it).
type Lease struct {
	journal string
	f       *os.File
	now     func() time.Time
	every   time.Duration

	mu   sync.Mutex // guards info, size and err; serialises writes
	info LeaseInfo
	size int   // bytes of the longest info written, padded to on rewrite
	err  error // the last heartbeat write error, if any

	stop     chan struct{}
	done     chan struct{}
	released sync.Once
}

// AcquireLease takes the writer lease of the journal at journalPath (which
// need not exist yet), writes the holder's info and starts the heartbeat.
// When another process holds it, it returns at once a *LeaseHeldError
// naming the holder (errors.Is(err, ErrLeaseHeld)). Release it when the
// journal is closed.
func AcquireLease(journalPath string, o LeaseOptions) (*Lease, error) {
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultLeaseHeartbeat
	}
	if o.HolderWait <= 0 {
		o.HolderWait = DefaultLeaseHolderWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f, err := os.OpenFile(LeasePath(journalPath), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: lease: %w", journalPath, err)
	}
	if err := lockOrRefuse(f, journalPath, o); err != nil {
		_ = f.Close()
		return nil, err
	}
	host, _ := os.Hostname()
	now := o.Now().UTC()
	l := &Lease{
		journal: journalPath, f: f, now: o.Now, every: o.Heartbeat,
		info: LeaseInfo{Host: host, PID: os.Getpid(), Operator: o.Operator, Started: now, Heartbeat: now},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	if err := l.write(); err != nil {
		_ = unlockFile(f)
		_ = f.Close()
		return nil, fmt.Errorf("journal %s: lease: %w", journalPath, err)
	}
	go l.beat()
	return l, nil
}

// lockOrRefuse takes the lock on f, or returns the refusal naming the
// holder. A holder that took the lock an instant ago may not have written
// its info yet, and the file may still name the writer before it (killed,
// or letting go this very moment): both are waited out for up to
// o.HolderWait, trying the lock again meanwhile.
func lockOrRefuse(f *os.File, journalPath string, o LeaseOptions) error {
	deadline := time.Now().Add(o.HolderWait)
	for {
		err := lockFile(f)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errLocked) {
			return fmt.Errorf("journal %s: lease: lock: %w", journalPath, err)
		}
		info, err := ReadLease(journalPath)
		if err == nil && info.PID != 0 && info.Released.IsZero() && !staleHolder(info) {
			return &LeaseHeldError{Journal: journalPath, Holder: info, Checked: o.Now()}
		}
		if time.Now().After(deadline) {
			return &LeaseHeldError{Journal: journalPath, Checked: o.Now()}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// staleHolder reports whether info names a process of this host that no
// longer exists: the lease file still holds a dead writer's info, and the
// live holder has not overwritten it yet.
func staleHolder(info LeaseInfo) bool {
	host, _ := os.Hostname()
	return info.Host == host && info.PID != os.Getpid() && !processAlive(info.PID)
}

// Info is the holder's info as last written.
func (l *Lease) Info() LeaseInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// Err is the last error writing the heartbeat, if any (the lease itself
// holds regardless: the lock is the OS's).
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// beat rewrites the heartbeat every l.every until Release.
func (l *Lease) beat() {
	defer close(l.done)
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			l.mu.Lock()
			l.info.Heartbeat = l.now().UTC()
			l.err = l.write()
			l.mu.Unlock()
		}
	}
}

// write rewrites the lease file in place (the lock is on this inode, so it
// cannot be replaced by a rename). Shorter info is padded with spaces to
// the longest written, so a reader never sees a stale tail after valid
// JSON; a reader catching the write half done retries (ReadLease).
// Callers hold l.mu, or own l exclusively.
func (l *Lease) write() error {
	data, err := json.Marshal(l.info)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if len(data) < l.size {
		data = append(bytes.Repeat([]byte(" "), l.size-len(data)), data...)
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return err
	}
	if len(data) > l.size { // the first write, or longer info: drop any older, longer content
		if err := l.f.Truncate(int64(len(data))); err != nil {
			return err
		}
		l.size = len(data)
	}
	return nil
}

// Release stops the heartbeat, marks the lease file released and lets go
// of the lock. It is safe to call more than once.
func (l *Lease) Release() error {
	var err error
	l.released.Do(func() {
		close(l.stop)
		<-l.done
		l.mu.Lock()
		now := l.now().UTC()
		l.info.Heartbeat, l.info.Released = now, now
		err = l.write()
		l.mu.Unlock()
		if uerr := unlockFile(l.f); err == nil {
			err = uerr
		}
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
	})
	return err
}
