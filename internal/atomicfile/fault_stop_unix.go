//go:build coldsig_faults && unix

package atomicfile

import (
	"os"
	"syscall"
)

// stopSelf suspends the process as Ctrl-Z would, until SIGCONT.
func stopSelf() { syscall.Kill(os.Getpid(), syscall.SIGSTOP) }
