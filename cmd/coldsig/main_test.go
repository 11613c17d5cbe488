package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// testMainHooks lets test files in this package make costly things cheap
// (for example the scrypt work factor) in the test binary only; the shipped
// binary never reads them.
var testMainHooks []func()

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(cleanupM{m}, map[string]func() int{
		"coldsig": func() int {
			for _, h := range testMainHooks {
				h()
			}
			return Main()
		},
		"coldsig-testonly": func() int {
			for _, h := range testMainHooks {
				h()
			}
			return testOnlyMain()
		},
	}))
}

// cleanupM runs the tests, then removes the binaries the tests built into
// temporary dirs (testscript.RunMain ends with os.Exit, so this cannot
// follow it). A run killed by -timeout or a signal never gets there: each
// run first removes such leftovers older than staleTestBin, so they stay
// bounded.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	pruneTestBinDirs(os.TempDir(), time.Now().Add(-staleTestBin))
	before, err := strayFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "listing the source tree:", err)
		return 1
	}
	code := c.m.Run()
	after, err := strayFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "listing the source tree:", err)
		code = 1
	}
	for _, f := range after {
		if !slices.Contains(before, f) {
			// A join with an identity of testdata/keys (the hostile
			// corpus's $KEYS) records a ledger beside the key: tests must
			// join with a copy in a temporary directory.
			fmt.Fprintf(os.Stderr, "FAIL: the tests left %s in the source tree\n", f)
			code = 1
		}
	}
	testBinMu.Lock()
	for _, d := range testBinDirs {
		os.RemoveAll(d)
	}
	testBinMu.Unlock()
	return code
}

// testBinPrefix starts the name of every temporary dir a test builds a
// binary into (testBinDir).
const testBinPrefix = "coldsig-testbin-"

// staleTestBin: no test run lasts this long (CI's cap is 90 minutes), so
// an older build dir is a killed run's leftover, not another run's binary.
const staleTestBin = 6 * time.Hour

var (
	testBinMu   sync.Mutex
	testBinDirs []string
)

// testBinDir makes a temporary dir for a binary a test builds (name says
// which), removed when the tests end.
func testBinDir(name string) (string, error) {
	dir, err := os.MkdirTemp("", testBinPrefix+name+"-")
	if err != nil {
		return "", err
	}
	testBinMu.Lock()
	testBinDirs = append(testBinDirs, dir)
	testBinMu.Unlock()
	return dir, nil
}

// pruneTestBinDirs removes test build dirs in tmp last changed before
// cutoff (and those of the names used before testBinDir existed).
func pruneTestBinDirs(tmp string, cutoff time.Time) {
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || !(strings.HasPrefix(n, testBinPrefix) || strings.HasPrefix(n, "coldsig-e2e-bin") ||
			strings.HasPrefix(n, "coldsig-fault-bin") || strings.HasPrefix(n, "coldsig-rsslaunch")) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			os.RemoveAll(filepath.Join(tmp, n))
		}
	}
}

var testdataDir = func() string {
	d, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		panic(err)
	}
	return d
}()

// TestScripts runs the txtar scripts in testdata/script against the real
// coldsig entry point, each in its own process.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", e.WorkDir)
			// The committed TEST-ONLY fixtures, to copy (never to use in
			// place: a join writes a ledger beside its key).
			e.Setenv("TESTDATA", testdataDir)
			return nil
		},
	})
}

// strayFiles lists what tests must never write into the source tree: every
// file in testdata/keys (the committed TEST-ONLY fixtures) and every join
// ledger (*.key.joins) anywhere in the module.
func strayFiles() ([]string, error) {
	root := filepath.Join("..", "..")
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(d.Name(), ".key.joins") || strings.HasPrefix(filepath.ToSlash(rel), "testdata/keys/")) {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}
