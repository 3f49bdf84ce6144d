//go:build unix

package fault

import (
	"os"
	"syscall"
)

// killSelf ends this process the way kill -9 would: no deferred function,
// no cleanup, no last journal event.
func killSelf() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
