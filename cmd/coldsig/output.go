package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// coldsig never overwrites an output file. These are the one way commands
// say so; each caller gives a hint naming its own flag (-o PLAN, --dir,
// --keep FILE), never one the command lacks.

// existsError is the error for an output path that is taken.
func existsError(path, hint string) error {
	return withHint(fmt.Errorf("%s: already exists; not overwritten", termsafe.Path(path)), hint)
}

// checkAbsent refuses an output path that exists before any work is done,
// so an officer does not wait for a computation (or type a passphrase)
// whose result cannot be written. The final write re-checks atomically.
func checkAbsent(path, hint string) error {
	if _, err := os.Lstat(path); err == nil {
		return existsError(path, hint)
	}
	return nil
}

// createError words an atomicfile.Create failure for the officer.
func createError(path string, err error, hint string) error {
	if errors.Is(err, atomicfile.ErrExists) {
		return existsError(path, hint)
	}
	return err
}
