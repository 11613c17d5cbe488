package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPruneTestBinDirs: a killed run's build dirs are removed by a later
// run once stale; fresh ones (another run's, in use) and other files stay.
func TestPruneTestBinDirs(t *testing.T) {
	tmp := t.TempDir()
	old := time.Now().Add(-7 * time.Hour)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFileT(t, filepath.Join(p, "coldsig"), []byte("binary"))
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := []string{mk(testBinPrefix+"e2e-1", old), mk("coldsig-e2e-bin123", old), mk("coldsig-fault-bin9", old), mk("coldsig-rsslaunch7", old)}
	kept := []string{mk(testBinPrefix+"e2e-2", time.Now()), mk("coldsig-e2e-bin456", time.Now()), mk("unrelated", old)}
	pruneTestBinDirs(tmp, time.Now().Add(-staleTestBin))
	for _, p := range gone {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: stale, not removed (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: removed: %v", p, err)
		}
	}
}
