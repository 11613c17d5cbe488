package qr

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/png"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// memFiles is a CreateFunc target in memory.
type memFiles map[string]*bytes.Buffer

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func (m memFiles) create(name string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m[name] = b
	return nopCloser{b}, nil
}

// TestGIFStreamMatchesEncodeAll checks that the streamed GIF is byte for
// byte what gif.EncodeAll writes for the whole animation in memory, as
// coldsig wrote it before the stream: frames centred on the largest size,
// one delay each, looping forever. Payload sizes give one frame, and codes
// of two sizes (the sequence number grows a digit).
func TestGIFStreamMatchesEncodeAll(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{100, 3100, 8000} {
		payload := randomPayload(r, n)
		frames, err := Encode(payload, nil)
		if err != nil {
			t.Fatal(err)
		}
		files := memFiles{}
		if err := WriteVerified(context.Background(), payload, frames, RenderOptions{Format: GIF, Scale: 2, FPS: 4}, files.create); err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || files[GIFName] == nil {
			t.Fatalf("files %v", files)
		}
		var imgs []*image.Paletted
		size := 0
		for _, f := range frames {
			img, err := Render(f, 2)
			if err != nil {
				t.Fatal(err)
			}
			imgs = append(imgs, img)
			size = max(size, img.Bounds().Dx())
		}
		g := &gif.GIF{}
		for _, img := range imgs {
			g.Image = append(g.Image, centre(img, size))
			g.Delay = append(g.Delay, 25)
		}
		var want bytes.Buffer
		if err := gif.EncodeAll(&want, g); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(files[GIFName].Bytes(), want.Bytes()) {
			t.Fatalf("%d bytes, %d frames: streamed GIF differs from gif.EncodeAll's", n, len(frames))
		}
		back, err := gif.DecodeAll(bytes.NewReader(files[GIFName].Bytes()))
		if err != nil || len(back.Image) != len(frames) {
			t.Fatalf("re-read: %v", err)
		}
	}
}

func TestWriteVerifiedPNG(t *testing.T) {
	payload := randomPayload(rand.New(rand.NewPCG(23, 24)), 1500)
	frames, err := Encode(payload, &Options{MaxFragmentLen: 200, Redundancy: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	files := memFiles{}
	label := func(i, n int) []string {
		return []string{"backup 0123abcd custodian bob", "shard 1 of 3", "page " + string(rune('1'+i)) + " of " + string(rune('0'+n))}
	}
	if err := WriteVerified(context.Background(), payload, frames, RenderOptions{Scale: 4, Caption: label}, files.create); err != nil {
		t.Fatal(err)
	}
	if len(files) != len(frames)+1 {
		t.Fatalf("%d files for %d frames", len(files), len(frames))
	}
	if got := files[TextName].String(); got != strings.Join(frames, "\n")+"\n" {
		t.Fatalf("frames.txt: %q", got)
	}
	img, err := png.Decode(files[PNGName(0)])
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dy() <= b.Dx() {
		t.Fatalf("captioned page %v: no room for the caption", b)
	}
}

// TestWriteVerifiedRefusesMismatch: frames of another payload are not
// written as verified.
func TestWriteVerifiedRefusesMismatch(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	frames, _ := Encode(randomPayload(r, 700), nil)
	err := WriteVerified(context.Background(), randomPayload(r, 700), frames, RenderOptions{Scale: 2}, memFiles{}.create)
	if err == nil || !strings.Contains(err.Error(), "different content") {
		t.Fatalf("got %v", err)
	}
}

// TestVerifiedPNG: the PNG scans back as the frame; a frame too long for
// a QR code is refused.
func TestVerifiedPNG(t *testing.T) {
	enc, err := NewTypedEncoder("crypto-account", []byte("pairing message"), nil)
	if err != nil {
		t.Fatal(err)
	}
	frame := enc.Frames()[0]
	data, err := VerifiedPNG(frame)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Scan(img); err != nil || got != frame {
		t.Fatalf("scanned %q, %v; want %q", got, err, frame)
	}
	if _, err := VerifiedPNG(strings.Repeat("A", 8000)); err == nil {
		t.Fatal("a frame too long for a QR code was rendered")
	}
}
