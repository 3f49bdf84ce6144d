//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package engine

import (
	"os"
	"syscall"
)

// diskFree is the space available to this user on the filesystem holding
// path (or its nearest existing parent), and that filesystem's device.
func diskFree(path string) (free int64, dev uint64, ok bool) {
	path = existingParent(path)
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return 0, 0, false
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, false
	}
	sys, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), uint64(sys.Dev), true
}
