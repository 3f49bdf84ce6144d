//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package assess

import (
	"os"
	"path/filepath"
	"syscall"
)

// diskFree is the space available to this user on the filesystem that
// holds path, or its nearest existing parent.
func diskFree(path string) (int64, bool) {
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		parent := filepath.Dir(path)
		if parent == path {
			break
		}
		path = parent
	}
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
