package boundedio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(small, 5); err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	_, err := ReadFile(small, 4)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), small) {
		t.Fatalf("over the limit: %v", err)
	}
	// A sparse file of 20 GB is refused from its size, without reading.
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(20 << 30); err != nil {
		t.Skip("file system cannot make a sparse file:", err)
	}
	f.Close()
	if _, err := ReadFile(sparse, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("sparse: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

func TestReadHead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("coldsig/card/v1\nrest"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadHead(p, 7); err != nil || string(b) != "coldsig" {
		t.Fatalf("head: %q, %v", b, err)
	}
	if b, err := ReadHead(p, 100); err != nil || string(b) != "coldsig/card/v1\nrest" {
		t.Fatalf("short file: %q, %v", b, err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	if b, err := ReadHead(empty, 4); err != nil || len(b) != 0 {
		t.Fatalf("empty file: %q, %v", b, err)
	}
	if _, err := ReadHead(dir, 4); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a directory: %v", err)
	}
	if _, err := ReadHead(filepath.Join(dir, "missing"), 4); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}
