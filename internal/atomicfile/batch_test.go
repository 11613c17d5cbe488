package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestBatchCommit(t *testing.T) {
	root := t.TempDir()
	var b Batch
	sub := filepath.Join(root, "out")
	if err := b.Mkdir(sub); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(filepath.Join(sub, "a"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := b.Create(filepath.Join(root, "b"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("b"))
	if _, err := os.Stat(filepath.Join(root, "b")); err == nil {
		t.Fatal("file visible before Commit")
	}
	p.Close()
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{filepath.Join(sub, "a"): "a", filepath.Join(root, "b"): "b"} {
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("%s: %q %v", path, got, err)
		}
	}
	fi, _ := os.Stat(filepath.Join(root, "b"))
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", fi.Mode())
	}
	ents, _ := os.ReadDir(sub)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

// TestBatchUndo: a file that appears under a final name before Commit
// makes the whole batch fail and leaves nothing of it behind, not even
// the files already placed or the directories it made.
func TestBatchUndo(t *testing.T) {
	root := t.TempDir()
	var b Batch
	sub := filepath.Join(root, "out")
	if err := b.Mkdir(sub); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(filepath.Join(root, "first"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(filepath.Join(sub, "x"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(filepath.Join(root, "taken"), []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "taken"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); !errors.Is(err, ErrExists) {
		t.Fatalf("Commit over an existing file: %v", err)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 || ents[0].Name() != "taken" {
		t.Fatalf("left behind: %v", ents)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "taken")); string(got) != "old" {
		t.Fatalf("existing file changed: %q", got)
	}
	if _, err := b.Create(filepath.Join(root, "taken"), 0o600); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over an existing file: %v", err)
	}
}

// TestBatchCreateOrMatch: an existing file is accepted only when the same
// bytes are written again, and is never changed.
func TestBatchCreateOrMatch(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "f")
	os.WriteFile(path, []byte("same"), 0o600)
	for _, c := range []struct {
		write string
		ok    bool
	}{{"same", true}, {"sam", false}, {"samex", false}, {"other", false}} {
		var b Batch
		w, existed, err := b.CreateOrMatch(path, 0o600)
		if err != nil || !existed {
			t.Fatalf("%q: %v %v", c.write, existed, err)
		}
		w.Write([]byte(c.write[:2]))
		w.Write([]byte(c.write[2:]))
		err = w.Close()
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrExists)) {
			t.Fatalf("%q: Close: %v", c.write, err)
		}
		if got, _ := os.ReadFile(path); string(got) != "same" {
			t.Fatalf("file changed to %q", got)
		}
	}
	var b Batch
	w, existed, err := b.CreateOrMatch(filepath.Join(root, "new"), 0o600)
	if err != nil || existed {
		t.Fatal(existed, err)
	}
	w.Write([]byte("x"))
	w.Close()
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}
