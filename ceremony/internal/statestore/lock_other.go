//go:build !unix && !windows

package statestore

import "os"

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// tryLock: no file locks on this platform; the commit check remains.
func tryLock(f *os.File) (bool, error) { return false, nil }
