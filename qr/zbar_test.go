package qr

import (
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
