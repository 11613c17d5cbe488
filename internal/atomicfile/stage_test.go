package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestGroupPlacesOnlyAfterSync(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "log.txt")
	if err := os.WriteFile(old, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var g Group
	defer g.Discard()
	a, err := g.Stage(filepath.Join(dir, "a"), []byte("new a"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	l, err := g.Stage(old, []byte("new log"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Create(); err == nil {
		t.Fatal("Create before Sync succeeded")
	}
	if got := names(t, dir); len(got) != 3 || !slices.Contains(got, "log.txt") || slices.Contains(got, "a") {
		t.Fatalf("staged files visible: %v", got)
	}
	if err := g.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Stage(filepath.Join(dir, "b"), nil, 0o600); err == nil {
		t.Fatal("Stage after Sync succeeded")
	}
	if err := a.Create(); err != nil {
		t.Fatal(err)
	}
	if err := a.Create(); err == nil {
		t.Fatal("placed twice")
	}
	if err := l.Replace(); err != nil {
		t.Fatal(err)
	}
	if err := SyncDirs(dir, dir); err != nil {
		t.Fatal(err)
	}
	g.Discard()
	if got := names(t, dir); !slices.Equal(got, []string{"a", "log.txt"}) {
		t.Fatalf("files %v", got)
	}
	for p, want := range map[string]string{"a": "new a", "log.txt": "new log"} {
		got, _ := os.ReadFile(filepath.Join(dir, p))
		if string(got) != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if fi, _ := os.Stat(old); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestGroupCreateNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "envelope")
	if err := os.WriteFile(p, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	var g Group
	f, err := g.Stage(p, []byte("second"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Create(); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over a file: %v, want ErrExists", err)
	}
	g.Discard()
	g.Discard()
	if got := names(t, dir); !slices.Equal(got, []string{"envelope"}) {
		t.Fatalf("files %v", got)
	}
	if got, _ := os.ReadFile(p); string(got) != "first" {
		t.Fatalf("content %q", got)
	}
}

func TestDiscardBeforeSync(t *testing.T) {
	dir := t.TempDir()
	var g Group
	for _, n := range []string{"a", "b"} {
		if _, err := g.Stage(filepath.Join(dir, n), []byte(n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	g.Discard()
	if got := names(t, dir); got != nil {
		t.Fatalf("left behind: %v", got)
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".log.txt.tmp-0123456789abcdef":     true,
		".a.tmp-ffffffffffffffff":           true,
		".log.txt.tmp-0123456789ABCDEF":     false,
		".log.txt.tmp-0123456789abcde":      false,
		"log.txt.tmp-0123456789abcdef":      false,
		"..tmp-0123456789abcdef":            false,
		".log.txt.tmp-0123456789abcdef.age": false,
		"log.txt":                           false,
	} {
		if IsTemp(name) != want {
			t.Errorf("IsTemp(%q) = %v", name, !want)
		}
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"log.txt", ".hidden", ".log.txt.tmp-zz", ".other.tmp-0123456789abcdef"}
	for _, n := range append(slices.Clone(keep), ".log.txt.tmp-0123456789abcdef", ".progress.txt.tmp-0123456789abcdef") {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory with a temporary name is not a temporary file.
	if err := os.Mkdir(filepath.Join(dir, ".progress.txt.tmp-fedcba9876543210"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := RemoveTemps(dir, "log.txt", "progress.txt"); err != nil {
		t.Fatal(err)
	}
	want := append(keep, ".progress.txt.tmp-fedcba9876543210")
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	if err := RemoveTemps(dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); slices.Contains(got, ".other.tmp-0123456789abcdef") {
		t.Fatalf("RemoveTemps without names kept %v", got)
	}
	if err := RemoveTemps(filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
}

// StageIn keeps the temporary file out of the destination directory: a
// reader of that directory sees nothing until the file is in place.
func TestStageIn(t *testing.T) {
	staging, dest := t.TempDir(), t.TempDir()
	path := filepath.Join(dest, "env.age")
	var g Group
	defer g.Discard()
	f, err := g.StageIn(staging, path, []byte("envelope"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Sync(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Fatalf("destination holds %v before the file is in place", entries)
	}
	if entries, _ := os.ReadDir(staging); len(entries) != 1 || !IsTemp(entries[0].Name()) || !strings.HasPrefix(entries[0].Name(), ".env.age.tmp-") {
		t.Fatalf("staging holds %v", entries)
	}
	if err := f.Create(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "envelope" {
		t.Fatalf("%q, %v", got, err)
	}
	if entries, _ := os.ReadDir(staging); len(entries) != 0 {
		t.Fatalf("staging still holds %v", entries)
	}
	if same, err := SameFileSystem(staging, dest); err != nil || !same {
		t.Fatalf("SameFileSystem = %v, %v", same, err)
	}
}
