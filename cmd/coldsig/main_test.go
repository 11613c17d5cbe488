package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// testMainHooks lets test files in this package make costly things cheap
// (for example the scrypt work factor) in the test binary only; the shipped
// binary never reads them.
var testMainHooks []func()

func TestMain(m *testing.M) {
	if os.Getenv(rssLauncherEnv) != "" {
		os.Exit(rssLaunch())
	}
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"coldsig": func() int {
			for _, h := range testMainHooks {
				h()
			}
			return Main()
		},
	}))
}

// TestScripts runs the txtar scripts in testdata/script against the real
// coldsig entry point, each in its own process.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", e.WorkDir)
			return nil
		},
	})
}
