//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package journal

import (
	"errors"
	"os"
)

// errLocked says another open file holds the lock.
var errLocked = errors.New("locked")

// lockFile: this platform has no writer lease; tightrope builds for
// Linux, macOS, the BSDs and Windows.
func lockFile(*os.File) error { return errors.ErrUnsupported }

func unlockFile(*os.File) error { return nil }

func processAlive(int) bool { return true }
