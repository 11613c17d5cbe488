package qr

import (
	"context"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestZbarimgReadsFrames checks our PNG frames with a QR decoder we did not
// write: zbarimg from Debian's zbar-tools (CI installs it).
func TestZbarimgReadsFrames(t *testing.T) {
	const zbarimg = "/usr/bin/zbarimg"
	if _, err := os.Stat(zbarimg); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed in CI (.ci/run installs zbar-tools)", zbarimg)
		}
		t.Skipf("SKIPPED: %s not installed (apt-get install zbar-tools); our PNG frames are not checked with an independent decoder", zbarimg)
	}
	r := rand.New(rand.NewPCG(3, 4))
	payload := randomPayload(r, 3000)
	frames, err := Encode(payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var d Decoder
	for i, f := range frames {
		img, err := Render(f, 3)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "f.png")
		fh, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(fh, img); err != nil {
			t.Fatal(err)
		}
		fh.Close()
		out, err := exec.Command(zbarimg, "--raw", "-q", p).Output()
		if err != nil {
			t.Fatalf("frame %d: zbarimg: %v", i+1, err)
		}
		got := strings.TrimRight(string(out), "\n")
		if got != f {
			t.Fatalf("frame %d: zbarimg read %q, want %q", i+1, got, f)
		}
		if _, err := d.Add(got); err != nil {
			t.Fatal(err)
		}
	}
	res, err := d.Result()
	if err != nil || string(res) != string(payload) {
		t.Fatalf("payload from zbarimg's reads: %v", err)
	}
}

// TestZbarimgReadsCaptionedPages: a caption under the code (backup pages)
// does not keep an independent decoder from reading it.
func TestZbarimgReadsCaptionedPages(t *testing.T) {
	const zbarimg = "/usr/bin/zbarimg"
	if _, err := os.Stat(zbarimg); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed in CI (.ci/run installs zbar-tools)", zbarimg)
		}
		t.Skipf("SKIPPED: %s not installed (apt-get install zbar-tools)", zbarimg)
	}
	payload := randomPayload(rand.New(rand.NewPCG(5, 6)), 3500)
	frames, err := Encode(payload, &Options{MaxFragmentLen: 1000, Redundancy: 0.25, AnyOneMayBeLost: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	label := func(i, n int) []string {
		return []string{"coldsig backup shard, page 1 of 5", "backup 0123456789abcdef0123456789abcdef", "custodian bob - shard 1 of 3 (any 2)", "any one page of the 5 may be missing"}
	}
	files := memFiles{}
	if err := WriteVerified(context.Background(), payload, frames, RenderOptions{Scale: 4, Caption: label}, files.create); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		p := filepath.Join(dir, PNGName(i))
		if err := os.WriteFile(p, files[PNGName(i)].Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbarimg, "--raw", "-q", p).Output()
		if err != nil {
			t.Fatalf("page %d: zbarimg: %v", i+1, err)
		}
		if got := strings.TrimRight(string(out), "\n"); got != f {
			t.Fatalf("page %d: zbarimg read %q, want %q", i+1, got, f)
		}
	}
}
