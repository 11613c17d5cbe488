// Package vectortest holds the one vector contract every format's tests
// share: inputs under testdata/vectors/FORMAT, an invalid-* input has an
// .expect sidecar holding a substring of its expected error, a valid-* input
// has none. Test-only; imported from _test.go files.
package vectortest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files lists the vector inputs of one format under root: every file with
// the given extension.
func Files(t testing.TB, root, format, ext string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, format, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatalf("no %s vectors in %s", ext, filepath.Join(root, format))
	}
	return m
}

// Sidecar reads path+suffix; ok is false when it does not exist.
func Sidecar(t testing.TB, path, suffix string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(path + suffix)
	if os.IsNotExist(err) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// Read reads a vector file.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Check enforces the contract for one input's outcome and reports whether
// the input is valid.
func Check(t testing.TB, path string, err error) (valid bool) {
	t.Helper()
	expect, hasExpect := Sidecar(t, path, ".expect")
	expect = strings.TrimSuffix(expect, "\n")
	name := filepath.Base(path)
	switch {
	case strings.HasPrefix(name, "invalid-") != hasExpect:
		t.Fatalf("%s: invalid-* vectors need an .expect sidecar, valid-* ones must not have one", name)
	case hasExpect && err == nil:
		t.Fatalf("accepted; want error containing %q", expect)
	case hasExpect && !strings.Contains(err.Error(), expect):
		t.Fatalf("error %q; want it to contain %q", err, expect)
	case !hasExpect && err != nil:
		t.Fatalf("valid vector rejected: %v", err)
	}
	return !hasExpect
}

// Seed adds every vector input of a format to a fuzz corpus.
func Seed(f *testing.F, root, format string, exts ...string) {
	for _, ext := range exts {
		for _, p := range Files(f, root, format, ext) {
			f.Add(Read(f, p))
		}
	}
}
