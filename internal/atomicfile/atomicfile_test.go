package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCreateNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	if err := Create(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Create(p, []byte("two"), 0o600)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: got %v, want ErrExists", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "one" {
		t.Fatalf("content changed to %q", got)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestCreateRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if err := Create(link, []byte("x"), 0o600); !errors.Is(err, ErrExists) {
		t.Fatalf("Create through dangling symlink: got %v, want ErrExists", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("symlink target was written")
	}
}

func TestWriteReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, s := range []string{"a", "bb"} {
		if err := Write(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != s {
			t.Fatalf("got %q want %q", got, s)
		}
	}
}

func TestMkdirPrivateRejectsOpenDir(t *testing.T) {
	d := filepath.Join(t.TempDir(), "w")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	if err := MkdirPrivate(d); err == nil {
		t.Fatal("MkdirPrivate accepted a 0755 directory")
	}
	os.Chmod(d, 0o700)
	if err := MkdirPrivate(d); err != nil {
		t.Fatal(err)
	}
}

// withoutHardLinks makes Create see a file system without hard links, as
// on the FAT and exFAT sticks officers carry keys and shards on (Linux vfat
// answers link(2) with EPERM).
func withoutHardLinks(t *testing.T, exclusiveRename bool) {
	t.Helper()
	oldLink, oldRename := link, renameExclusive
	t.Cleanup(func() { link, renameExclusive = oldLink, oldRename })
	link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	if !exclusiveRename {
		renameExclusive = func(string, string) error { return errors.ErrUnsupported }
	}
}

func TestCreateWithoutHardLinks(t *testing.T) {
	for _, tc := range []struct {
		name            string
		exclusiveRename bool
	}{{"renameat2", true}, {"reservation", false}} {
		t.Run(tc.name, func(t *testing.T) {
			withoutHardLinks(t, tc.exclusiveRename)
			dir := t.TempDir()
			p := filepath.Join(dir, "alice.key")
			if err := Create(p, []byte("one"), 0o600); err != nil {
				t.Fatalf("Create on a file system without hard links: %v", err)
			}
			if err := Create(p, []byte("two"), 0o600); !errors.Is(err, ErrExists) {
				t.Fatalf("second Create: got %v, want ErrExists", err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != "one" {
				t.Fatalf("content %q, want %q", got, "one")
			}
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("temporary files left behind: %v", entries)
			}
		})
	}
}

// TestCreateWithoutHardLinksRace checks the fallback against a file that
// appears after Create's first existence check: it must not be replaced.
func TestCreateWithoutHardLinksRace(t *testing.T) {
	for _, exclusiveRename := range []bool{true, false} {
		withoutHardLinks(t, exclusiveRename)
		dir := t.TempDir()
		p := filepath.Join(dir, "share.age")
		link = func(string, string) error {
			if err := os.WriteFile(p, []byte("theirs"), 0o600); err != nil {
				t.Fatal(err)
			}
			return &os.LinkError{Op: "link", Err: syscall.EPERM}
		}
		if err := Create(p, []byte("ours"), 0o600); !errors.Is(err, ErrExists) {
			t.Fatalf("exclusiveRename=%v: got %v, want ErrExists", exclusiveRename, err)
		}
		if got, _ := os.ReadFile(p); string(got) != "theirs" {
			t.Fatalf("exclusiveRename=%v: existing file replaced: %q", exclusiveRename, got)
		}
	}
}

// TestRemoveChecked: only the regular file that was checked is removed; a
// link, a directory, or another file put under the name is refused.
func TestRemoveChecked(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "share.age")
	os.WriteFile(p, []byte("share"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(p, link)
	if _, err := RegularFile(link); !errors.Is(err, ErrSymlink) {
		t.Fatalf("a link: %v", err)
	}
	if fi, err := RegularFile(dir); !errors.Is(err, ErrNotRegular) || fi == nil || !fi.IsDir() {
		t.Fatalf("a directory: %v", err)
	}
	checked, err := RegularFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Another file under the name since the check is not removed.
	os.Rename(p, p+".old")
	os.WriteFile(p, []byte("other"), 0o600)
	if err := RemoveChecked(p, checked); !errors.Is(err, ErrChanged) {
		t.Fatalf("another file: %v", err)
	}
	os.Remove(p)
	os.Symlink(p+".old", p)
	if err := RemoveChecked(p, checked); !errors.Is(err, ErrChanged) {
		t.Fatalf("a link to the checked file: %v", err)
	}
	os.Remove(p)
	os.Rename(p+".old", p)
	if err := RemoveChecked(p, checked); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the checked file is still there: %v", err)
	}
	if err := RemoveChecked(p, checked); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing file: %v", err)
	}
}
