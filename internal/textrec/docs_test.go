package textrec

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// magicLit matches a Go string literal holding a versioned coldsig magic
// line or domain separator, with whatever follows it in the literal.
var magicLit = regexp.MustCompile(`"coldsig/[a-z0-9-]+/v[0-9]+[^"]*"`)

// TestMagicLinesDocumented: every magic line and domain separator the
// shipped code uses ("coldsig/KIND/vN", with a suffix such as " signature"
// or " mac") is written down in docs/format.md (or, for the tss-lib
// snapshot, docs/state-engine.md), so the specification cannot silently
// lag behind a new format or a new hash domain.
func TestMagicLinesDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	var docs strings.Builder
	for _, f := range []string{"docs/format.md", "docs/state-engine.md"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "dist", "bin", ".cache":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, lit := range magicLit.FindAllString(string(src), -1) {
			s, err := strconv.Unquote(lit)
			if err != nil {
				continue // a raw string or an escape the regexp cut short
			}
			// What is hashed after the separator (a zero byte, a newline
			// and a record) is not part of its name.
			s, _, _ = strings.Cut(s, "\x00")
			s, _, _ = strings.Cut(s, "\n")
			found++
			if !strings.Contains(docs.String(), s) {
				t.Errorf("%s: %q is not specified in docs/format.md (see \"Magic lines and domain separators\")", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 30 {
		t.Fatalf("found only %d magic lines in the code; is the walk rooted at the module?", found)
	}
}
