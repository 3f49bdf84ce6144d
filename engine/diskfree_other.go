//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package engine

// diskFree cannot tell the free space here: pre-flight skips the check.
func diskFree(string) (int64, uint64, bool) { return 0, 0, false }
