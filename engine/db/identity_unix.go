//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package db

import (
	"fmt"
	"os"
	"syscall"
)

// fileID is the file's device and inode.
func fileID(path string, fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("device %d inode %d", st.Dev, st.Ino)
	}
	return resolvedPath(path)
}
