package btc

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// TestDescribeLongScript (review finding M2): an output script is shown
// whole as hex up to 520 bytes; a longer (non-standard) one by its length
// and SHA-256, never cut silently by the screen.
func TestDescribeLongScript(t *testing.T) {
	short := append([]byte{0x6a, 0x4c, 0x50}, bytes.Repeat([]byte{0xab}, 80)...) // OP_RETURN, 80 bytes
	if got := describeScript(short); !strings.HasSuffix(got, fmt.Sprintf("%x", short)) {
		t.Fatalf("short script: %s", got)
	}
	long := bytes.Repeat([]byte{0x51}, 600) // 600 x OP_1: non-standard
	got := describeScript(long)
	if want := fmt.Sprintf("non-standard script of 600 bytes, too long to show: SHA-256 %x", sha256.Sum256(long)); !strings.HasPrefix(got, want) {
		t.Fatalf("got %s, want it to start %s", got, want)
	}
	whole := bytes.Repeat([]byte{0x51}, 520)
	if got := describeScript(whole); !strings.Contains(got, fmt.Sprintf("%x", whole)) {
		t.Fatalf("a 520-byte script is not shown whole: %s", got[:80])
	}
}
