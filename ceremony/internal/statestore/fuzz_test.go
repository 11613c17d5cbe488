package statestore

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func seedFromVectors(f *testing.F, ext string) {
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*"+ext))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no %s vectors: %v", ext, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzStateRecord checks that the step file plaintext parser never panics
// and accepts only canonical input: whatever it accepts re-encodes to the
// same bytes. The MAC would stop almost every mutation early, so the field
// parser is also driven directly, without the MAC check.
func FuzzStateRecord(f *testing.F) {
	seedFromVectors(f, ".inner")
	k := vectorKeys(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if rec, err := decodeRecord(data, k.mac); err == nil {
			re, err := rec.encode(k.mac)
			if err != nil {
				t.Fatalf("accepted record does not re-encode: %v", err)
			}
			if !bytes.Equal(re, data) {
				t.Fatalf("accepted non-canonical record:\n%q\nre-encodes as\n%q", data, re)
			}
		}
		tr, macField, err := parseSyntax(data)
		if err != nil {
			return
		}
		rec, err := parseFields(tr)
		if err != nil {
			return
		}
		re, err := rec.encode(k.mac)
		if err != nil {
			t.Fatalf("parsed fields do not re-encode: %v", err)
		}
		if body := data[:macField.Offset]; !bytes.HasPrefix(re, body) || bytes.IndexByte(re[len(body):], '\n') != len(re)-len(body)-1 {
			t.Fatalf("parsed fields are not canonical:\n%q\nre-encode as\n%q", body, re)
		}
	})
}

// FuzzSessionRecord checks the session record parser the same way.
func FuzzSessionRecord(f *testing.F) {
	seedFromVectors(f, ".session")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseStatus(data)
		if err != nil {
			return
		}
		re, err := s.encode()
		if err != nil {
			t.Fatalf("accepted record does not re-encode: %v", err)
		}
		if !bytes.Equal(re, data) {
			t.Fatalf("accepted non-canonical record:\n%q\nre-encodes as\n%q", data, re)
		}
	})
}
