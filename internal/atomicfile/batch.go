package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Batch creates a set of new files and directories all or nothing: files
// are written to temporary names as they are made, and Commit puts them
// all in place, never over an existing file. If anything fails, or Abort
// is called, every file and directory the batch created is removed again:
// a partial set (half a backup, a few QR frames) looks complete and is
// worse than none.
type Batch struct {
	files []*Pending
	dirs  []string // created by Mkdir, in creation order
	done  bool
}

// Pending is a file of a Batch being written.
type Pending struct {
	f         *os.File
	tmp, path string
	perm      fs.FileMode
	closed    bool
	placed    bool
}

func (p *Pending) Write(b []byte) (int, error) { return p.f.Write(b) }

// Close syncs and closes the temporary file; Commit needs every file
// closed.
func (p *Pending) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.f.Chmod(p.perm); err != nil {
		p.f.Close()
		return err
	}
	if err := p.f.Sync(); err != nil {
		p.f.Close()
		return fmt.Errorf("sync %s: %w", p.tmp, err)
	}
	return p.f.Close()
}

// Mkdir creates dir (mode 0700), which must not exist yet; an abort
// removes it.
func (b *Batch) Mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	b.dirs = append(b.dirs, dir)
	return nil
}

// MkdirAll makes dir and its missing parents (mode 0700) unless it
// exists; an existing dir must not be accessible to other users. An abort
// removes what it made.
func (b *Batch) MkdirAll(dir string) error {
	// "frames/" names the directory "frames": without Clean the parent walk
	// below makes "frames" and then fails to make it again as "frames/".
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: not a directory", dir)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("%s: directory is accessible to other users (mode %04o); run chmod 700 %s", dir, fi.Mode().Perm(), dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return b.mkdirParents(dir)
}

func (b *Batch) mkdirParents(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := b.mkdirParents(parent); err != nil {
			return err
		}
	}
	return b.Mkdir(dir)
}

// Create starts a new file at path, which must not exist; its data goes to
// a temporary file in the same directory until Commit.
func (b *Batch) Create(path string, perm fs.FileMode) (*Pending, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s: %w", path, ErrExists)
	}
	f, tmp, err := openTemp(path, perm)
	if err != nil {
		return nil, err
	}
	p := &Pending{f: f, tmp: tmp, path: path, perm: perm}
	b.files = append(b.files, p)
	return p, nil
}

// CreateOrMatch is Create, except that an existing regular file at path
// is accepted if what is written equals its content, as when a repeated
// run writes the same bytes again: then existed is true, nothing is
// written, and Close fails (wrapping ErrExists) if the content differs.
func (b *Batch) CreateOrMatch(path string, perm fs.FileMode) (w io.WriteCloser, existed bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		p, err := b.Create(path, perm)
		return p, false, err
	}
	if err != nil {
		return nil, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, true, existsError(path + ": already exists and is not a regular file; not overwritten")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, true, err
	}
	return &matcher{f: f, path: path}, true, nil
}

// existsError is an ErrExists with its own words.
type existsError string

func (e existsError) Error() string { return string(e) }
func (e existsError) Unwrap() error { return ErrExists }

// matcher compares what is written with an existing file.
type matcher struct {
	f       *os.File
	path    string
	buf     []byte
	differs bool
}

func (m *matcher) Write(p []byte) (int, error) {
	if !m.differs {
		m.buf = slices.Grow(m.buf[:0], len(p))[:len(p)]
		if n, _ := io.ReadFull(m.f, m.buf); n != len(p) || !bytes.Equal(m.buf, p) {
			m.differs = true
		}
	}
	return len(p), nil
}

func (m *matcher) Close() error {
	defer m.f.Close()
	var one [1]byte
	if n, _ := m.f.Read(one[:]); n > 0 {
		m.differs = true
	}
	if m.differs {
		return existsError(m.path + ": already exists with other content; not overwritten")
	}
	return nil
}

// Write is Create, Write and Close of data.
func (b *Batch) Write(path string, data []byte, perm fs.FileMode) error {
	p, err := b.Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := p.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", p.tmp, err)
	}
	return p.Close()
}

// Commit moves every file into place and makes the result durable. On
// error everything is undone, as by Abort.
func (b *Batch) Commit() error {
	if b.done {
		return errors.New("atomicfile: batch already finished")
	}
	for _, p := range b.files {
		if !p.closed {
			b.Abort()
			return fmt.Errorf("atomicfile: %s was not closed", p.path)
		}
	}
	var dirs []string
	for _, p := range b.files {
		if err := place(p.tmp, p.path); err != nil {
			b.Abort()
			return err
		}
		p.placed = true
		if d := filepath.Dir(p.path); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	for _, d := range b.dirs {
		if p := filepath.Dir(d); !slices.Contains(dirs, p) {
			dirs = append(dirs, p)
		}
	}
	for _, d := range dirs {
		if err := SyncDir(d); err != nil {
			b.Abort()
			return err
		}
	}
	b.done = true
	return nil
}

// Abort removes every file and directory the batch made. It is a no-op
// after a successful Commit.
func (b *Batch) Abort() {
	if b.done {
		return
	}
	b.done = true
	for _, p := range b.files {
		if !p.closed {
			p.f.Close()
		}
		os.Remove(p.tmp)
		if p.placed {
			os.Remove(p.path)
		}
	}
	for _, d := range slices.Backward(b.dirs) {
		os.Remove(d)
	}
}

// Creator returns a function that starts files in dir, for writers that
// name their own output files.
func (b *Batch) Creator(dir string, perm fs.FileMode) func(name string) (io.WriteCloser, error) {
	return func(name string) (io.WriteCloser, error) {
		return b.Create(filepath.Join(dir, name), perm)
	}
}
