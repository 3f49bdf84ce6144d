//go:build linux

package cdctest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
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
