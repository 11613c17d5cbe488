package statestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// lockFile is the work directory's lock: an empty file that is never
// removed (removing a lock file races with a process that has just opened
// it and would lock an unlinked inode).
const lockFile = "lock"

// ErrLocked means another process (or another operation of this one) holds
// the work directory's lock.
var ErrLocked = errors.New("another coldsig process is working in this work directory (a join, step or abort, or the TUI's automatic step); wait until it has finished, or end it, and run this again; nothing was changed")

// DirLock is a held (or, where the file system has no locks, attempted)
// lock of a work directory. Close releases it.
type DirLock struct {
	f    *os.File
	held bool
}

// Lock takes the lock of the work directory dir, which must exist, without
// waiting: a step, a join and an abort each hold it from before they read
// the state until everything they wrote is published, so two of them
// cannot interleave (a suspended step that resumes after another process
// took the next rounds, for example). It is an advisory lock held by the
// kernel (flock on Unix, LockFileEx on Windows), so a process that dies, even
// by SIGKILL or a power cut, leaves no stale lock behind.
//
// A file system that cannot lock at all (some network and FAT mounts on
// some systems) gives a DirLock that is not Held: the caller goes on,
// protected only by the commit check (a step file is never published over a
// step another process committed; see commit), and should warn.
func Lock(dir string) (*DirLock, error) {
	path := filepath.Join(dir, lockFile)
	if err := noSymlink(path); err != nil {
		return nil, err
	}
	f, err := openLockFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(dir); derr != nil {
			return nil, err
		}
		// The directory exists but the lock file cannot be made (read-only
		// media): nothing can be written there by anyone.
		return &DirLock{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	held, err := tryLock(f)
	switch {
	case errors.Is(err, ErrLocked):
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("%s: locking: %w", path, err)
	}
	return &DirLock{f: f, held: held}, nil
}

// Held reports whether the lock is held (false where the file system has
// no locks).
func (l *DirLock) Held() bool { return l != nil && l.held }

// Close releases the lock.
func (l *DirLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the lock
	l.f, l.held = nil, false
	return err
}

// LockFile takes an exclusive lock of the existing file at path, waiting up
// to wait for another holder to let go. It serves short read-modify-write
// sections on a file that others replace by renaming (the join ledger
// beside an identity): the lock is taken on a file that is never replaced,
// so it needs no lock file of its own. The file is opened read-only; a
// missing file is an error wrapping fs.ErrNotExist. Where the file system
// has no locks the DirLock is not Held.
func LockFile(path string, wait time.Duration) (*DirLock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		held, err := tryLock(f)
		if err == nil {
			return &DirLock{f: f, held: held}, nil
		}
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, ErrLocked) {
				return nil, fmt.Errorf("%s: another coldsig process holds it for longer than %v; run this again when it has finished", path, wait)
			}
			return nil, fmt.Errorf("%s: locking: %w", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
