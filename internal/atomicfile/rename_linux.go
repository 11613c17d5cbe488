package atomicfile

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// renameExclusive is rename(2) with RENAME_NOREPLACE: atomic, and EEXIST
// instead of replacing. It returns errors.ErrUnsupported where the kernel
// or file system does not offer the flag.
var renameExclusive = func(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) {
		return errors.ErrUnsupported
	}
	return err
}
