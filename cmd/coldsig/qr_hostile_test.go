package main

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/qr"
)

// qrMemoryCeiling is the most resident memory any qr command may use on
// any input (issue #15: hostile images made 'qr decode' take 4.6 GB).
const qrMemoryCeiling = 256 << 20

// TestQRHostileMemory runs the real binary on hostile inputs, made here at
// test time (a few MB on disk, gigabytes once decoded naively), and checks
// the peak resident memory the kernel reports for the process
// (ru_maxrss), not the time. Each case also checks the outcome: refused
// with a named reason, or decoded.
func TestQRHostileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and decodes large images")
	}
	bin := coldsigBinary(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bw := palettedGIFFrame(t, 7000, 7000)
	var bomb bytes.Buffer
	bomb.Write(gifHead(7000, 7000))
	for i := 0; i < 200; i++ {
		bomb.Write(bw)
	}
	bomb.WriteByte(0x3b)
	gifBomb := write("bomb.gif", bomb.Bytes())

	// Frames just under the pixel limit are decoded one at a time.
	edge := 4800 // 4800x4800 < qr.MaxImagePixels
	fr := palettedGIFFrame(t, edge, edge)
	var many bytes.Buffer
	many.Write(gifHead(edge, edge))
	for i := 0; i < 4; i++ {
		many.Write(fr)
	}
	many.WriteByte(0x3b)
	gifMany := write("many.gif", many.Bytes())

	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, edge, edge)))
	grayPNG := write("gray.png", b.Bytes())
	b.Reset()
	png.Encode(&b, image.NewRGBA64(image.Rect(0, 0, 4000, 4000)))
	deepPNG := write("deep.png", b.Bytes())
	hugePNG := write("huge.png", pngHeaderOnly(60000, 60000))
	b.Reset()
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 2000, 2000)), nil)
	photo := write("photo.jpg", b.Bytes())
	longLine := write("long.txt", append([]byte("ur:"), bytes.Repeat([]byte("a"), 100<<20)...))

	payload := make([]byte, qr.MaxPayload)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	mib := write("payload-1mib", payload)

	cases := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"gif of 200 frames of 7000x7000", []string{"qr", "decode", gifBomb, "-o", filepath.Join(dir, "o1")}, "", 3, "frame 1: image too large: 7000x7000 pixels"},
		{"gif of 4 frames of 4800x4800", []string{"qr", "decode", gifMany, "-o", filepath.Join(dir, "o2")}, "", 3, "many.gif frame 4: no readable QR code"},
		{"png of 4800x4800 grey", []string{"qr", "decode", grayPNG, "-o", filepath.Join(dir, "o3")}, "", 3, "gray.png: no readable QR code"},
		{"png of 16-bit colour", []string{"qr", "decode", deepPNG, "-o", filepath.Join(dir, "o4")}, "", 3, "deep.png: image too large: 4000x4000 pixels take about"},
		{"png header of 60000x60000", []string{"qr", "decode", hugePNG, "-o", filepath.Join(dir, "o5")}, "", 3, "huge.png: image too large: 60000x60000 pixels"},
		{"jpeg", []string{"qr", "decode", photo, "-o", filepath.Join(dir, "o6")}, "", 3, "photo.jpg: no readable QR code"},
		{"100 MB line in a file", []string{"qr", "decode", longLine, "-o", filepath.Join(dir, "o7")}, "", 3, "long.txt: text file larger than"},
		{"100 MB line on stdin", []string{"qr", "decode", "-o", filepath.Join(dir, "o8")}, strings.Repeat("x", 100<<20), 3, "standard input line 1: line longer than"},
		{"qr encode --gif of 1 MiB", []string{"qr", "encode", mib, "--gif", "--fragment", "1000", "--redundancy", "0", "--scale", "1", "-o", filepath.Join(dir, "o9")}, "", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			m := measureRSS(t, strings.NewReader(c.stdin), io.Discard, &stderr, bin, c.args...)
			rss, code := m.maxRSS, m.code
			t.Logf("peak RSS %d MB, exit %d", rss>>20, code)
			if rss > qrMemoryCeiling {
				t.Errorf("peak RSS %d MB, more than %d MB", rss>>20, qrMemoryCeiling>>20)
			}
			if code != c.code || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, clip(stderr.String()), c.code, c.stderr)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

// palettedGIFFrame is the frame block (image descriptor to the end of its
// data) of one white w x h frame, cut from image/gif's encoding.
func palettedGIFFrame(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	if err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{img}, Delay: []int{0}, Config: image.Config{Width: w, Height: h}}); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	return data[13 : len(data)-1]
}

func gifHead(w, h int) []byte {
	return []byte{'G', 'I', 'F', '8', '9', 'a', byte(w), byte(w >> 8), byte(h), byte(h >> 8), 0, 0, 0}
}

// pngHeaderOnly is a PNG signature and IHDR claiming w x h RGBA pixels,
// with no image data.
func pngHeaderOnly(w, h int) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1, 1)))
	data := b.Bytes()
	// IHDR data starts after the 8-byte signature, length and type.
	ihdr := data[8 : 8+25]
	put := func(off, v int) {
		ihdr[off], ihdr[off+1], ihdr[off+2], ihdr[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(8, w)
	put(12, h)
	crc := crc32.ChecksumIEEE(ihdr[4:21])
	put(21, int(crc))
	return append([]byte(nil), data[:8+25]...)
}
