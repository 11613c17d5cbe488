package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/coldsig/coldsig/internal/atomicfile"
)

const noOverwriteHint = "coldsig never overwrites a file; choose another name or move the file away"

// checkAbsent refuses an output path that exists before any work is done,
// so an officer does not wait for a computation whose result cannot be
// written. The final write re-checks atomically.
func checkAbsent(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return withHint(fmt.Errorf("%s: already exists", path), noOverwriteHint)
	}
	return nil
}

// createError words an atomicfile.Create failure for the officer.
func createError(path string, err error) error {
	if errors.Is(err, atomicfile.ErrExists) {
		return withHint(fmt.Errorf("%s: already exists", path), noOverwriteHint)
	}
	return err
}
