package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// A directory given with a trailing slash (as in "-o frames/") is made
// once, and removed again by Abort.
func TestBatchMkdirAllTrailingSlash(t *testing.T) {
	root := t.TempDir()
	var b Batch
	if err := b.MkdirAll(filepath.Join(root, "a", "frames") + "/"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "a", "frames")); err != nil || !fi.IsDir() {
		t.Fatalf("not made: %v", err)
	}
	b.Abort()
	if _, err := os.Stat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Fatalf("Abort left %s: %v", filepath.Join(root, "a"), err)
	}
}
