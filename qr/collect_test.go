package qr

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCollectorInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	payload := randomPayload(r, 1200)
	frames, err := Encode(payload, &Options{MaxFragmentLen: 200, Redundancy: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gifs := memFiles{}
	if err := WriteVerified(context.Background(), payload, frames[:3], RenderOptions{Format: GIF, Scale: 3}, gifs.create); err == nil {
		t.Fatal("three frames of seven verified as the payload")
	}
	// A directory: a GIF of some frames, PNGs of others, a text file of the
	// rest, and files that are not frames.
	g := &gif.GIF{}
	for _, f := range frames[:3] {
		img, _ := Render(f, 3)
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 10)
	}
	var gb bytes.Buffer
	gif.EncodeAll(&gb, g)
	os.WriteFile(filepath.Join(dir, "a.gif"), gb.Bytes(), 0o600)
	img, _ := Render(frames[3], 3)
	var pb bytes.Buffer
	png.Encode(&pb, img)
	os.WriteFile(filepath.Join(dir, "b.png"), pb.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "c.txt"), []byte("\n  "+strings.Join(frames[4:], "\r\n")+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "0-junk.png"), []byte("not a png"), 0o600)
	os.WriteFile(filepath.Join(dir, "ignored.bin"), []byte("x"), 0o600)

	var events []Event
	c := &Collector{Report: func(ev Event) { events = append(events, ev) }}
	if err := c.Path(context.Background(), dir); !errors.Is(err, ErrComplete) {
		t.Fatalf("Path: %v", err)
	}
	got, err := c.Decoder.Result()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("result: %v", err)
	}
	if c.Skipped() != 1 || events[0].Kind != Skipped || !strings.HasSuffix(events[0].Source, "0-junk.png") {
		t.Fatalf("skipped %d, events %+v", c.Skipped(), events)
	}
	var sources []string
	for _, ev := range events {
		if ev.Kind == Progress {
			sources = append(sources, filepath.Base(ev.Source))
		}
	}
	if want := "a.gif frame 1"; sources[0] != want {
		t.Fatalf("first progress from %q, want %q", sources[0], want)
	}
}

// TestCollectorLimits: images over the limits are refused from their
// headers, before they are decoded.
func TestCollectorLimits(t *testing.T) {
	var events []Event
	c := &Collector{Report: func(ev Event) { events = append(events, ev) }, MaxPixels: 100 * 100}
	check := func(name string, data []byte, want string) {
		t.Helper()
		events = nil
		if err := c.Reader(name, bytes.NewReader(data)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(events) != 1 || events[0].Kind != Skipped || !strings.Contains(events[0].Err.Error(), want) {
			t.Fatalf("%s: events %+v, want a skip with %q", name, events, want)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 101, 100)))
	check("wide.png", b.Bytes(), "101x100 pixels (limit 10000 pixels)")
	b.Reset()
	png.Encode(&b, image.NewRGBA64(image.Rect(0, 0, 100, 100)))
	check("deep.png", b.Bytes(), "take about")
	b.Reset()
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 101, 100)), nil)
	check("big.jpg", b.Bytes(), "image too large")
	b.Reset()
	g := &gif.GIF{Image: []*image.Paletted{
		image.NewPaletted(image.Rect(0, 0, 10, 10), palette),
		image.NewPaletted(image.Rect(0, 0, 200, 200), palette),
	}, Delay: []int{1, 1}, Config: image.Config{Width: 200, Height: 200}}
	gif.EncodeAll(&b, g)
	events = nil
	if err := c.Reader("big.gif", bytes.NewReader(b.Bytes())); err != nil {
		t.Fatal(err)
	}
	// The first frame is read (and has no code); the second is refused.
	if len(events) != 2 || !strings.Contains(events[1].Err.Error(), "frame 2: image too large: 200x200 pixels") {
		t.Fatalf("events %+v", events)
	}
}

func TestCollectorLongLine(t *testing.T) {
	var events []Event
	c := &Collector{Report: func(ev Event) { events = append(events, ev) }}
	in := strings.Repeat("x", MaxLine+10) + "\nur:bytes/zz\n"
	if err := c.Lines("stdin", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Source != "stdin line 1" || !strings.Contains(events[0].Err.Error(), "line longer") || events[1].Source != "stdin line 2" {
		t.Fatalf("events %+v", events)
	}
}

// gifSeeds are GIFs for the fuzzers: frames of our own, an interlaced and
// a transparent frame, a frame off the origin.
func gifSeeds(t testing.TB) [][]byte {
	var out [][]byte
	frames, _ := Encode([]byte("a small payload for the fuzzers"), nil)
	img, _ := Render(frames[0], 1)
	pal := color.Palette{color.White, color.Black, color.Transparent}
	sub := image.NewPaletted(image.Rect(3, 2, 9, 7), pal)
	for i := range sub.Pix {
		sub.Pix[i] = uint8(i % 3)
	}
	for _, g := range []*gif.GIF{
		{Image: []*image.Paletted{img}, Delay: []int{5}},
		{Image: []*image.Paletted{img, sub}, Delay: []int{5, 5}, Config: image.Config{Width: img.Rect.Dx(), Height: img.Rect.Dy()}},
	} {
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Bytes())
	}
	return out
}

// FuzzGIFFrames: the streaming reader never panics, keeps to its limits,
// and reads every GIF that image/gif reads to the same frames.
func FuzzGIFFrames(f *testing.F) {
	for _, s := range gifSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxPixels, maxFrames = 1 << 16, 64
		var got []*image.Paletted
		err := gifFrames(bytes.NewReader(data), maxPixels, maxFrames, func(i int, img *image.Paletted) error {
			if img.Rect.Dx()*img.Rect.Dy() > maxPixels || i >= maxFrames {
				t.Fatalf("frame %d of %v beyond the limits", i, img.Rect)
			}
			got = append(got, img)
			return nil
		})
		want, werr := gif.DecodeAll(bytes.NewReader(data))
		if werr != nil || len(want.Image) > maxFrames {
			return
		}
		for _, im := range want.Image {
			if im.Rect.Dx()*im.Rect.Dy() > maxPixels {
				return
			}
		}
		if err != nil {
			t.Fatalf("image/gif reads %d frames, gifFrames fails: %v", len(want.Image), err)
		}
		if len(got) != len(want.Image) {
			t.Fatalf("%d frames, image/gif %d", len(got), len(want.Image))
		}
		for i := range got {
			if got[i].Rect != want.Image[i].Rect || !bytes.Equal(got[i].Pix, want.Image[i].Pix) {
				t.Fatalf("frame %d differs from image/gif's", i+1)
			}
		}
	})
}

// FuzzCollector feeds arbitrary files to the collector, as 'qr decode'
// reads a stick: it never panics and never returns an error for content
// (only for I/O, which cannot fail here).
func FuzzCollector(f *testing.F) {
	for _, s := range gifSeeds(f) {
		f.Add(s)
	}
	frames, _ := Encode(randomPayload(rand.New(rand.NewPCG(1, 2)), 700), nil)
	f.Add([]byte(strings.Join(frames, "\n")))
	img, _ := Render(frames[0], 1)
	var b bytes.Buffer
	png.Encode(&b, img)
	f.Add(b.Bytes())
	b.Reset()
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collector{MaxPixels: 1 << 16}
		err := c.Reader("fuzz", bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrComplete) && c.Decoder.Err() == nil {
			t.Fatalf("error for content: %v", err)
		}
	})
}

// TestReadMessage: a plain file is read as it is; frames (a text file of
// them, an image, a directory) as the message of an accepted type; frames
// that do not make the message whole are an error naming the file.
func TestReadMessage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	types := []string{"crypto-psbt"}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var skipped []string
	report := func(ev Event) {
		if ev.Kind == Skipped {
			skipped = append(skipped, filepath.Base(ev.Source))
		}
	}

	// A .txt file that is not frames is a plain file (a base64 PSBT).
	plain := write("plain.txt", []byte("cHNidP8BAH0CAAAA"))
	data, typ, err := ReadMessage(ctx, plain, 100, types, report)
	if err != nil || typ != "" || string(data) != "cHNidP8BAH0CAAAA" {
		t.Fatalf("plain file: %q, %q, %v", data, typ, err)
	}
	if _, _, err := ReadMessage(ctx, plain, 8, types, report); err == nil {
		t.Fatal("a plain file over the limit was read")
	}

	msg := bytes.Repeat([]byte{0x42}, 900)
	enc, err := NewTypedEncoder("crypto-psbt", msg, &Options{MaxFragmentLen: 200})
	if err != nil {
		t.Fatal(err)
	}
	frames := enc.Frames()
	text := write("frames.txt", []byte(strings.Join(frames, "\n")+"\n"))
	data, typ, err = ReadMessage(ctx, text, 4096, types, report)
	if err != nil || typ != "crypto-psbt" || !bytes.Equal(data, msg) {
		t.Fatalf("text of frames: %d bytes, %q, %v", len(data), typ, err)
	}

	single, err := NewTypedEncoder("crypto-psbt", []byte("short"), nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Render(single.Frames()[0], 3)
	if err != nil {
		t.Fatal(err)
	}
	var pb bytes.Buffer
	png.Encode(&pb, img)
	imgDir := filepath.Join(dir, "images")
	os.Mkdir(imgDir, 0o700)
	pngPath := filepath.Join(imgDir, "a.png")
	os.WriteFile(pngPath, pb.Bytes(), 0o600)
	for _, p := range []string{pngPath, imgDir} {
		data, typ, err = ReadMessage(ctx, p, 4096, types, report)
		if err != nil || typ != "crypto-psbt" || string(data) != "short" {
			t.Fatalf("%s: %q, %q, %v", p, data, typ, err)
		}
	}

	part := write("part.txt", []byte(frames[0]+"\n"))
	if _, _, err := ReadMessage(ctx, part, 4096, types, report); !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), part) {
		t.Fatalf("one frame of several: %v", err)
	}
	other, err := Encode([]byte("an envelope"), nil)
	if err != nil {
		t.Fatal(err)
	}
	skipped = nil
	wrong := write("other.txt", []byte(other[0]+"\n"))
	if _, _, err := ReadMessage(ctx, wrong, 4096, types, report); !errors.Is(err, ErrIncomplete) || len(skipped) != 1 || skipped[0] != "other.txt line 1" {
		t.Fatalf("a frame of another type: %v, skipped %q", err, skipped)
	}
}
