package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// A Group writes several files with as few synchronous write barriers as
// their ordering allows. Write and Create pay two barriers per file (the
// file's fsync, then its directory's); a caller that must make several
// files durable at once, like the ceremony engine after each round, pays
// for each barrier once per group instead:
//
//  1. Stage every file: its data goes to a temporary file beside its
//     destination, invisible under its own name.
//  2. Sync: the temporary files are fsynced together (concurrently, so a
//     journaling file system commits them in one go). One barrier.
//  3. Put files in place (Create, Replace) in the order the caller's
//     crash rules need, and SyncDirs their directories together. One
//     barrier per stage of that order.
//
// A file put in place after Sync is complete after any crash: its name
// never points at data that was not yet durable. Discard removes the
// temporary files of everything not put in place; a caller defers it.
type Group struct {
	files  []*Staged
	synced bool
}

// Staged is a file of a Group: complete under a temporary name until it is
// put in place.
type Staged struct {
	f       *os.File
	tmp     string
	path    string
	durable bool // synced and closed
	placed  bool // under its own name
	removed bool // the temporary file was discarded
}

// Path is the file's destination.
func (s *Staged) Path() string { return s.path }

// Stage writes data to a new temporary file beside path (created with
// O_EXCL, mode perm). Nothing is visible under path until Create or
// Replace, which need Sync first.
func (g *Group) Stage(path string, data []byte, perm fs.FileMode) (*Staged, error) {
	return g.StageIn(filepath.Dir(path), path, data, perm)
}

// StageIn is Stage with the temporary file in tmpDir instead of beside
// path: for a destination directory whose readers must never see an
// unfinished file, not even under a temporary name (an outbox someone
// copies whole). tmpDir must be on the same file system as path (a link or
// rename puts the file in place); RemoveTemps(tmpDir) cleans up after a
// crash.
func (g *Group) StageIn(tmpDir, path string, data []byte, perm fs.FileMode) (*Staged, error) {
	if g.synced {
		return nil, errors.New("atomicfile: Stage after Sync")
	}
	if err := injectFault(path); err != nil {
		return nil, err
	}
	f, tmp, err := openTempIn(tmpDir, filepath.Base(path), perm)
	if err != nil {
		return nil, err
	}
	s := &Staged{f: f, tmp: tmp, path: path}
	g.files = append(g.files, s)
	if _, err := f.Write(data); err != nil {
		return nil, fmt.Errorf("write %s: %w", tmp, err)
	}
	// OpenFile's perm is filtered by the umask; make the mode exact (only
	// when it differs: a chmod is one more journaled change per file).
	if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != perm {
		if err := f.Chmod(perm); err != nil {
			return nil, err
		}
	}
	startWriteback(f)
	return s, nil
}

const maxConcurrentSyncs = 16

// Sync makes the data of every staged file durable and closes them. The
// fsyncs run concurrently: the cost is about one barrier, not one per
// file.
func (g *Group) Sync() error {
	if g.synced {
		return errors.New("atomicfile: Sync called twice")
	}
	g.synced = true
	errs := make([]error, len(g.files))
	var wg sync.WaitGroup
	// Each fsync blocks an OS thread; a batch of many result files needs
	// no more than this many at once.
	sem := make(chan struct{}, maxConcurrentSyncs)
	for i, s := range g.files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.f.Sync(); err != nil {
				errs[i] = fmt.Errorf("sync %s: %w", s.tmp, err)
			}
			if err := s.f.Close(); err != nil && errs[i] == nil {
				errs[i] = err
			}
			s.f = nil
			s.durable = errs[i] == nil
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Create puts the file in place without ever replacing an existing file:
// an error wrapping ErrExists (and fs.ErrExist) means the name is taken,
// and the staged file stays unplaced. The caller syncs the directory.
func (s *Staged) Create() error { return s.put(place) }

// Replace puts the file in place, atomically replacing any file of that
// name. The caller syncs the directory.
func (s *Staged) Replace() error {
	return s.put(func(tmp, path string) error {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("rename %s: %w", tmp, err)
		}
		return nil
	})
}

func (s *Staged) put(move func(tmp, path string) error) error {
	switch {
	case s.placed || s.removed:
		return fmt.Errorf("atomicfile: %s put in place twice, or after Discard", s.path)
	case !s.durable:
		return fmt.Errorf("atomicfile: %s put in place without a successful Sync", s.path)
	}
	if err := injectPlaceFault(s.path); err != nil {
		return err
	}
	if err := move(s.tmp, s.path); err != nil {
		return err
	}
	s.placed = true
	return nil
}

// Discard removes the temporary file of every staged file not put in
// place. It is safe to call more than once.
func (g *Group) Discard() {
	for _, s := range g.files {
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
		if !s.placed && !s.removed {
			os.Remove(s.tmp)
			s.removed = true
		}
	}
}

// SyncDirs fsyncs each distinct directory once, concurrently, so that the
// renames, links and unlinks made in them are durable: about one barrier
// for all of them.
func SyncDirs(dirs ...string) error {
	dirs = slices.Compact(slices.Sorted(slices.Values(dirs)))
	if len(dirs) == 1 {
		return SyncDir(dirs[0])
	}
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, d := range dirs {
		wg.Go(func() { errs[i] = SyncDir(d) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// IsTemp reports whether name is the name of a temporary file this
// package makes (".NAME.tmp-" and 16 hex digits): what a crash between
// staging and placing leaves behind.
func IsTemp(name string) bool {
	if len(name) < 2 || name[0] != '.' {
		return false
	}
	i := len(name) - 16 - len(".tmp-")
	if i < 2 || name[i:i+len(".tmp-")] != ".tmp-" {
		return false
	}
	for _, c := range name[i+len(".tmp-"):] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// RemoveTemps deletes the temporary files a crash left in dir (see
// IsTemp): those of the files named in bases, or all of them if none is
// named, and syncs dir if it removed any. They hold nothing a caller
// committed: a staged file counts only once it is in place under its own
// name.
func RemoveTemps(dir string, bases ...string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	removed := false
	for {
		// In chunks: memory stays bounded in a directory of any size.
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			n := e.Name()
			if !IsTemp(n) || !e.Type().IsRegular() {
				continue
			}
			if len(bases) > 0 && !slices.Contains(bases, n[1:len(n)-16-len(".tmp-")]) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed = true
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			break
		}
		if err != nil {
			return err
		}
	}
	if removed {
		return SyncDir(dir)
	}
	return nil
}
