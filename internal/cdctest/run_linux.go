//go:build linux

package cdctest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"time"
)

// account is a system user a server runs as (servers refuse root).
type account struct {
	uid, gid uint32
}

func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, fmt.Errorf("user %s: %w", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return account{uint32(uid), uint32(gid)}, nil
}

// command prepares name args to run as a (when we are root; as ourselves
// otherwise), killed if this process dies first.
func (a account) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid}
	}
	cmd.SysProcAttr = attr
	return cmd
}

// ownedTempDir is a new directory under the system temp dir, owned by a
// so the server can write it.
func (a account) ownedTempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, int(a.uid), int(a.gid)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// server is one started throwaway server process.
type server struct {
	name    string        // the binary, for messages: "mariadbd", "postgres"
	dir     string        // its directory, removed when it stops
	exited  chan struct{} // closed once the process has exited
	stopSig syscall.Signal
	proc    *exec.Cmd
}

// startServer starts srv, the server of the throwaway cluster in dir;
// exited (optional) runs once the process has exited. A server that does
// not start leaves dir removed.
func startServer(name, dir string, srv *exec.Cmd, stopSig syscall.Signal, exited func()) (*server, error) {
	if err := srv.Start(); err != nil {
		if exited != nil {
			exited()
		}
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, dir: dir, exited: make(chan struct{}), stopSig: stopSig, proc: srv}
	go func() {
		srv.Wait()
		if exited != nil {
			exited()
		}
		close(s.exited)
	}()
	return s, nil
}

// stop shuts the server down with its stop signal (killing it after 30s)
// and removes its directory.
func (s *server) stop() {
	s.proc.Process.Signal(s.stopSig)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.proc.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// ready waits, polling every interval for at most timeout, until answers
// says the server answers; then it registers the server's stop for Main.
// A server that exits or does not answer in time is stopped, and the error
// carries logPath, its log. doesNot words the timeout ("did not answer").
func (s *server) ready(timeout, interval time.Duration, doesNot, logPath string, answers func() error) error {
	err := s.poll(timeout, interval, doesNot, answers)
	if err != nil {
		log, _ := os.ReadFile(logPath)
		s.stop()
		return fmt.Errorf("%w; server log:\n%s", err, log)
	}
	onStop(s.stop)
	return nil
}

func (s *server) poll(timeout, interval time.Duration, doesNot string, answers func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := answers()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return errors.New(s.name + " exited during start")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s in %ds: %v", s.name, doesNot, int(timeout.Seconds()), err)
		}
		time.Sleep(interval)
	}
}
