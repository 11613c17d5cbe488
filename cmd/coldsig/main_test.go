package main

import (
	"os"
	"path/filepath"
	"testing"

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

// cleanupM runs the tests, then removes the shipped binary the e2e tests
// built into a temporary dir (testscript.RunMain ends with os.Exit, so
// this cannot follow it).
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	if launchBin != "" {
		os.RemoveAll(filepath.Dir(launchBin))
	}
	return code
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
