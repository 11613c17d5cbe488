package plan

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/vectortest"
)

const vectorRoot = "../testdata/vectors"

func formatEntries(es []BatchEntry) string {
	var b strings.Builder
	for _, e := range es {
		p := "-"
		if e.Path != nil {
			p = e.Path.String()
		}
		fmt.Fprintf(&b, "%d %s %s %s\n", e.Line, p, e.Kind, e.Value)
	}
	return b.String()
}

// TestBatchVectors runs testdata/vectors/batch: a valid file's entries
// must match its .entries sidecar ("LINE PATH|- KIND VALUE" per entry).
func TestBatchVectors(t *testing.T) {
	for _, path := range vectortest.Files(t, vectorRoot, "batch", ".batch") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			es, err := ParseBatch(vectortest.Read(t, path))
			if !vectortest.Check(t, path, err) {
				return
			}
			want, ok := vectortest.Sidecar(t, path, ".entries")
			if !ok {
				t.Fatal("valid batch vector without .entries")
			}
			if got := formatEntries(es); got != want {
				t.Fatalf("entries:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func FuzzParseBatch(f *testing.F) {
	vectortest.Seed(f, vectorRoot, "batch", ".batch")
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseBatch(data)
		if err != nil {
			return
		}
		if len(es) == 0 || len(es) > MaxItems {
			t.Fatalf("%d entries accepted", len(es))
		}
		for _, e := range es {
			if e.Value == "" || e.Line < 2 || (e.Path != nil && len(e.Path) == 0) {
				t.Fatalf("bad entry %+v", e)
			}
			switch e.Kind {
			case BatchDigest, BatchMessage, BatchFile:
			default:
				t.Fatalf("kind %q accepted", e.Kind)
			}
		}
	})
}
