//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package db

import "os"

// fileID is the file's resolved path where there is no inode to read.
func fileID(path string, _ os.FileInfo) string { return resolvedPath(path) }
