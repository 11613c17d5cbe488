package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/keyshare"
)

var errRoundTrip = errors.New("does not re-encode to the same bytes")

func jsonIndent(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", " "); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func seedVectors(f *testing.F, kind, ext string) {
	files, _ := filepath.Glob(filepath.Join(vectorsDir(kind), "*"+ext))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzParseShard: whatever parses must verify-or-fail cleanly and re-encode
// to the same bytes.
func FuzzParseShard(f *testing.F) {
	seedVectors(f, "shard", ".shard")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseShard(data)
		if err != nil {
			if !errors.Is(err, ErrShard) {
				t.Fatalf("error does not wrap ErrShard: %v", err)
			}
			return
		}
		_ = s.Verify()
		again, err := s.Marshal()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzParsePaper: whatever parses has a file matching its digest, and
// no input panics.
func FuzzParsePaper(f *testing.F) {
	seedVectors(f, "shard", ".paper")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePaper(data)
		if err != nil {
			return
		}
		if len(p.File) == 0 || p.Index < 1 || p.Index > p.Shards {
			t.Fatalf("accepted inconsistent paper: %+v", p)
		}
	})
}

// FuzzParseShare: the share parser never panics on hostile input (tss-lib's
// JSON decoders sit under it), and whatever parses re-encodes identically.
func FuzzParseShare(f *testing.F) {
	seedVectors(f, "share", ".share")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := keyshare.ParseShare(data)
		if err != nil {
			if !errors.Is(err, keyshare.ErrShare) {
				t.Fatalf("error does not wrap ErrShare: %v", err)
			}
			return
		}
		again, err := keyshare.MarshalShare(s)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("round trip: %v", err)
		}
		if strings.Contains(string(data), "\r") {
			t.Fatal("accepted a CR")
		}
	})
}
