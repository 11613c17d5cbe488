package buildinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHashFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("coldsig"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("coldsig"))
	if got != hex.EncodeToString(want[:]) {
		t.Fatalf("HashFile = %s", got)
	}
	if _, err := HashFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("no error for a missing file")
	}
}

func TestLinesAndString(t *testing.T) {
	in := Info{Version: "v1.0.0", Commit: "abc", GoVersion: "go1.26.8", Platform: "linux/amd64",
		TSSLib: "v2.0.2", Age: "v1.3.2", Executable: "/bin/co\x1b[2Jldsig", SHA256: strings.Repeat("ab", 32)}
	var labels []string
	for _, l := range in.Lines() {
		labels = append(labels, l[0])
	}
	if got := strings.Join(labels, " "); got != "coldsig commit go tss-lib age binary sha256" {
		t.Fatalf("labels %q", got)
	}
	s := in.String()
	if strings.Contains(s, "\x1b") {
		t.Fatalf("escape sequence printed raw: %q", s)
	}
	if !strings.Contains(s, "sha256    "+strings.Repeat("ab", 32)+"\n") {
		t.Fatalf("no sha256 line: %q", s)
	}
	in.Modified = true
	if !strings.Contains(in.CommitString(), "modified") {
		t.Fatal("modified tree not marked")
	}
	in.SHA256, in.HashErr = "", os.ErrPermission
	if !strings.Contains(in.String(), "sha256    unavailable: permission denied") {
		t.Fatalf("hash error not reported: %q", in.String())
	}
}

// TestReadHashesRunningBinary: Read hashes the test binary itself.
func TestReadHashesRunningBinary(t *testing.T) {
	in := Read()
	if in.HashErr != nil {
		t.Fatal(in.HashErr)
	}
	want, err := HashFile(in.Executable)
	if err != nil || want != in.SHA256 {
		t.Fatalf("Read sha256 %s, file %s (%v)", in.SHA256, want, err)
	}
}
