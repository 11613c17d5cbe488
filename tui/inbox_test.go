package tui

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/internal/boundedio"
)

// TestCopyOutboxLimit: the outbox copy reads a file under the envelope
// limit (envelope.MaxEnvelopeSize), the largest file any reader accepts as
// an envelope; a bigger one is refused and nothing is copied.
func TestCopyOutboxLimit(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	ok := filepath.Join(src, "ok.age")
	if err := os.WriteFile(ok, make([]byte, envelope.MaxEnvelopeSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, _, err := copyFiles([]string{ok}, dst); err != nil || n != 1 {
		t.Fatalf("a file at the limit: copied %d, %v", n, err)
	}
	big := filepath.Join(src, "big.age")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, envelope.MaxEnvelopeSize+1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := copyFiles([]string{big}, dst); !errors.Is(err, boundedio.ErrTooLarge) {
		t.Fatalf("a file over envelope.MaxEnvelopeSize: got %v, want a too-large error", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "big.age")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused file was copied: %v", err)
	}
}
