package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// versionField returns the value of one "label value" line of
// 'coldsig version'.
func versionField(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + ` +(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in version output:\n%s", label, out)
	}
	return m[1]
}

// TestVersionHashesItsOwnBinary: the sha256 an officer compares with
// SHA256SUMS must be the hash of the file that is running.
func TestVersionHashesItsOwnBinary(t *testing.T) {
	bin := coldsigBinary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got, want := versionField(t, string(out), "sha256"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("version says sha256 %s, the binary's is %s", got, want)
	}
	if got := versionField(t, string(out), "binary"); got != bin {
		t.Errorf("binary %q, want %q", got, bin)
	}
	for label, want := range map[string]string{"tss-lib": "v2.0.2", "go": "go1."} {
		if got := versionField(t, string(out), label); !strings.HasPrefix(got, want) {
			t.Errorf("%s %q, want prefix %q", label, got, want)
		}
	}
	if got := versionField(t, string(out), "age"); !regexp.MustCompile(`^v1\.\d+\.\d+$`).MatchString(got) {
		t.Errorf("age version %q", got)
	}
}

// TestVersionReleaseStamp: the -X stamps scripts/release.sh passes reach
// the output (a renamed variable would silently print "(devel)").
func TestVersionReleaseStamp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "coldsig")
	pkg := "github.com/coldsig/coldsig/internal/buildinfo"
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-buildid= -X "+pkg+".version=v9.8.7-test -X "+pkg+".commit=0123456789abcdef0123456789abcdef01234567",
		"-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := versionField(t, string(out), "coldsig"); got != "v9.8.7-test" {
		t.Errorf("version %q", got)
	}
	if got := versionField(t, string(out), "commit"); got != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("commit %q", got)
	}
}
