// Package atomicfile writes files so that a crash leaves either the old
// content or the new content on disk, never a torn mix.
//
// The sequence is the one restic uses for its local backend: write a
// uniquely named temporary file in the destination directory, fsync it,
// close it, move it into place, and fsync the directory so the rename itself
// survives a power cut. Secret files are created 0600 with O_EXCL so that a
// pre-planted file or symlink is never written through. A Group does the
// same for several files with one fsync barrier per stage instead of two
// per file.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrExists is returned by Create when the destination already exists.
var ErrExists = errors.New("file already exists")

// Write atomically replaces path with data. perm applies to the new file.
func Write(path string, data []byte, perm fs.FileMode) error {
	return writeOne(path, data, perm, (*Staged).Replace)
}

// Create writes data to path only if path does not exist yet, atomically:
// an existing file is never replaced or truncated, and a crash never leaves
// a partial file under the final name. It returns an error wrapping
// ErrExists (and fs.ErrExist) when path is already taken.
func Create(path string, data []byte, perm fs.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	return writeOne(path, data, perm, (*Staged).Create)
}

// writeOne stages data for path, syncs it, puts it in place with put
// (Replace or Create) and syncs the directory.
func writeOne(path string, data []byte, perm fs.FileMode, put func(*Staged) error) error {
	var g Group
	defer g.Discard()
	f, err := g.Stage(path, data, perm)
	if err != nil {
		return err
	}
	if err := g.Sync(); err != nil {
		return err
	}
	if err := put(f); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// place moves the complete file tmp to path without ever replacing an
// existing file; the caller syncs the directory.
func place(tmp, path string) error {
	// link(2) fails with EEXIST instead of replacing, which gives us
	// create-exclusive semantics for a fully written file.
	err := link(tmp, path)
	switch {
	case err == nil:
		if err := os.Remove(tmp); err != nil {
			return fmt.Errorf("remove temporary %s: %w", tmp, err)
		}
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", path, ErrExists)
	case linkUnsupported(err):
		// FAT and exFAT sticks, where officers carry keys and shards, have
		// no hard links. Move the temporary file into place without ever
		// replacing an existing file instead.
		if err := renameNoReplace(tmp, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", path, ErrExists)
			}
			return fmt.Errorf("create %s: %w", path, err)
		}
	default:
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// link is os.Link; tests replace it to act like a file system without hard
// links.
var link = os.Link

// linkUnsupported reports whether err means the file system cannot make
// hard links at all (Linux vfat and exfat answer EPERM, others ENOTSUP or
// ENOSYS), as opposed to a failure of this particular link.
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS)
}

// renameNoReplace moves tmp to path and fails with an error wrapping
// fs.ErrExist if path exists. It prefers the kernel's atomic no-replace
// rename; where that is unavailable it reserves path with O_EXCL and renames
// over the reservation, so an existing file is still never replaced, but a
// crash between the two leaves an empty file under the final name (which
// every coldsig reader rejects, and which blocks a re-run from silently
// writing elsewhere).
func renameNoReplace(tmp, path string) error {
	err := renameExclusive(tmp, path)
	if err == nil || !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// MkdirPrivate creates dir (and parents) with mode 0700 and checks that an
// existing dir is not group- or world-accessible.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s: directory is accessible to other users (mode %04o); run chmod 700 %s", dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// ErrUnsafeDir means a directory every user may write to was refused for
// secret files: a planted file or a rename could swap one under us.
var ErrUnsafeDir = errors.New("directory is writable by every user")

// PrepareDir readies a directory that secret files are created in: it is
// made 0700 when missing, and an existing one that every user may write
// to (and that is not sticky, like /tmp) is refused with ErrUnsafeDir.
func PrepareDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return MkdirPrivate(dir)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", dir)
	}
	if fi.Mode().Perm()&0o002 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%s: %w", dir, ErrUnsafeDir)
	}
	return nil
}

// Remove deletes path and fsyncs its directory so the removal is durable.
func Remove(path string) error {
	if err := os.Remove(path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// Errors of RegularFile and RemoveChecked.
var (
	ErrSymlink    = errors.New("is a symbolic link")
	ErrNotRegular = errors.New("is not a regular file")
	ErrChanged    = errors.New("the file changed while it was checked")
)

// RegularFile is path's own entry, not followed through a link: a
// command that deletes what it is given must refuse a symbolic link
// (removing it would leave its target) and anything but a regular file.
// fi is returned with ErrNotRegular too, for its type.
func RegularFile(path string) (fi os.FileInfo, err error) {
	fi, err = os.Lstat(path)
	switch {
	case err != nil:
		return nil, err
	case fi.Mode()&os.ModeSymlink != 0:
		return fi, fmt.Errorf("%s %w", path, ErrSymlink)
	case !fi.Mode().IsRegular():
		return fi, fmt.Errorf("%s %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	return fi, nil
}

// RemoveChecked removes path only if it is still the regular file checked
// (RegularFile) before, and fsyncs its directory: what was checked is what
// is removed. Anything else under the name now is ErrChanged.
func RemoveChecked(path string, checked os.FileInfo) error {
	now, err := RegularFile(path)
	if errors.Is(err, ErrSymlink) || errors.Is(err, ErrNotRegular) || err == nil && !os.SameFile(checked, now) {
		return fmt.Errorf("%s: %w", path, ErrChanged)
	}
	if err != nil {
		return err
	}
	return Remove(path)
}

// SyncDir fsyncs a directory so that renames and unlinks in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// openTemp creates a uniquely named temporary file beside path.
func openTemp(path string, perm fs.FileMode) (*os.File, string, error) {
	return openTempIn(filepath.Dir(path), filepath.Base(path), perm)
}

// openTempIn creates a uniquely named temporary file for a file named base
// in dir.
func openTempIn(dir, base string, perm fs.FileMode) (*os.File, string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, "", err
	}
	tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, "", err
	}
	return f, tmp, nil
}
