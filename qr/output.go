package qr

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"io"
	"runtime"
	"strings"
	"sync"

	goqrcode "github.com/skip2/go-qrcode"
	"golang.org/x/sync/errgroup"

	"github.com/coldsig/coldsig/internal/atomicfile"
)

// Format is the kind of image output WriteVerified produces.
type Format int

const (
	// PNG writes one image per frame, PNGName(i), and TextName.
	PNG Format = iota
	// GIF writes one endless animation, GIFName.
	GIF
)

// DefaultFPS is the frame rate of GIFs and of the terminal view.
const DefaultFPS = 5

// Output file names of WriteVerified.
const (
	GIFName  = "frames.gif"
	TextName = "frames.txt"
)

// PNGName is the file name of frame i (0-based) in PNG output.
func PNGName(i int) string { return fmt.Sprintf("frame-%04d.png", i+1) }

// RenderOptions say how WriteVerified draws frames.
type RenderOptions struct {
	Format Format
	// Scale is the pixels per module (0 means DefaultScale).
	Scale int
	// FPS is the GIF frame rate (0 means DefaultFPS).
	FPS float64
	// Caption, if set, gives the text lines printed under PNG frame i of
	// n (0-based), for pages that must say what they are.
	Caption func(i, n int) []string
}

// CreateFunc opens a new output file by name. The caller decides where it
// goes and, once WriteVerified returns, keeps or discards everything it
// created: WriteVerified only ever writes complete, verified frames, but an
// error can come after some of them.
type CreateFunc func(name string) (io.WriteCloser, error)

// WriteVerified renders frames (Encoder.Frames of payload) as images and
// checks every image as a receiver would before it is written: the image
// is encoded, decoded again from its bytes, scanned, and must give back
// its frame's text; at the end the payload is rebuilt from the scanned
// texts and compared. Frames are rendered and checked a few at a time on
// all CPUs and written in order as they pass, so memory stays flat
// whatever the payload size; a GIF is written as a stream, one frame after
// the other.
func WriteVerified(ctx context.Context, payload []byte, frames []string, o RenderOptions, create CreateFunc) error {
	if len(frames) == 0 {
		return errors.New("qr: no frames")
	}
	scale := o.Scale
	if scale <= 0 {
		scale = DefaultScale
	}
	w := &frameWriter{frames: frames, scale: scale, opts: o, create: create}
	if o.Format == GIF {
		if o.Caption != nil {
			return errors.New("qr: captions are only drawn on PNG frames")
		}
		fps := o.FPS
		if fps <= 0 {
			fps = DefaultFPS
		}
		w.delay = int(100/fps + 0.5)
		for _, f := range frames {
			n, err := moduleCount(f)
			if err != nil {
				return err
			}
			w.size = max(w.size, n*scale)
		}
		f, err := create(GIFName)
		if err != nil {
			return err
		}
		w.gif = f
		if _, err := f.Write(gifHeader(w.size, len(frames) > 1)); err != nil {
			return err
		}
	}
	if err := w.run(ctx, payload); err != nil {
		return err
	}
	if o.Format == GIF {
		if _, err := w.gif.Write([]byte{gifTrailer}); err != nil {
			return err
		}
		return w.gif.Close()
	}
	f, err := create(TextName)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, strings.Join(frames, "\n")+"\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteDir writes frames into dir as WriteVerified does, all or nothing:
// dir is created (0700, with missing parents) unless it exists, files are
// created 0600 and never over existing ones, and after any error nothing
// it wrote is left, nor any directory it made.
func WriteDir(ctx context.Context, dir string, payload []byte, frames []string, o RenderOptions) error {
	var b atomicfile.Batch
	if err := b.MkdirAll(dir); err != nil {
		return err
	}
	if err := WriteVerified(ctx, payload, frames, o, b.Creator(dir, 0o600)); err != nil {
		b.Abort()
		return err
	}
	return b.Commit()
}

type frameWriter struct {
	frames []string
	scale  int
	opts   RenderOptions
	create CreateFunc
	// GIF output
	gif   io.WriteCloser
	size  int // common frame size in pixels
	delay int // hundredths of a second
}

// run renders and checks frames in windows of a few per CPU, then writes
// each window in order: the window bounds memory, the order is the GIF's.
func (w *frameWriter) run(ctx context.Context, payload []byte) error {
	workers := runtime.GOMAXPROCS(0)
	window := 4 * workers
	out := make([][]byte, window)
	var d Decoder
	for start := 0; start < len(w.frames); start += window {
		end := min(start+window, len(w.frames))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for i := start; i < end; i++ {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				data, err := w.renderChecked(i)
				out[i-start] = data
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for i := start; i < end; i++ {
			if err := w.write(i, out[i-start]); err != nil {
				return err
			}
			out[i-start] = nil
			if _, err := d.Add(w.frames[i]); err != nil {
				return fmt.Errorf("verify: frame %d: %w", i+1, err)
			}
		}
	}
	got, err := d.Result()
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !bytes.Equal(got, payload) {
		return errors.New("verify: the frames decode to different content")
	}
	return nil
}

func (w *frameWriter) write(i int, data []byte) error {
	if w.gif != nil {
		_, err := w.gif.Write(data)
		return err
	}
	f, err := w.create(PNGName(i))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderChecked renders frame i, encodes it as it will be written, and
// decodes and scans those very bytes.
func (w *frameWriter) renderChecked(i int) ([]byte, error) {
	img, err := Render(w.frames[i], w.scale)
	if err != nil {
		return nil, err
	}
	var data []byte
	var back image.Image
	if w.gif != nil {
		data, err = gifFrame(centre(img, w.size), w.size, w.delay)
		if err != nil {
			return nil, err
		}
		back, err = gif.Decode(bytes.NewReader(singleFrameGIF(w.size, data)))
		if err != nil {
			return nil, fmt.Errorf("verify: re-reading frame %d: %w", i+1, err)
		}
	} else {
		var pic image.Image = img
		if w.opts.Caption != nil {
			pic = caption(img, w.opts.Caption(i, len(w.frames)))
		}
		var buf bytes.Buffer
		if err := pngEncoder.Encode(&buf, pic); err != nil {
			return nil, err
		}
		data = buf.Bytes()
		if back, err = png.Decode(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("verify: re-reading frame %d: %w", i+1, err)
		}
	}
	text, err := Scan(back)
	if err != nil {
		return nil, fmt.Errorf("verify: frame %d does not scan: %w", i+1, err)
	}
	if text != w.frames[i] {
		return nil, fmt.Errorf("verify: frame %d scans as different text", i+1)
	}
	return data, nil
}

// pngEncoder reuses its compressor across frames: a fresh one per frame
// is most of the garbage of the pipeline.
var pngEncoder = &png.Encoder{BufferPool: &pngBuffers{}}

type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	if e, ok := b.p.Get().(*png.EncoderBuffer); ok {
		return e
	}
	return nil
}
func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// moduleCount is the width in modules (quiet zone included) of frame's
// code, without drawing it: choosing the version is cheap, masking is not.
func moduleCount(frame string) (int, error) {
	q, err := goqrcode.New(frame, level)
	if err != nil {
		return 0, fmt.Errorf("qr: encoding a frame of %d characters: %w", len(frame), err)
	}
	return 17 + 4*q.VersionNumber + 2*QuietZone, nil
}

// centre puts a code smaller than size on a white square of that size, so
// that an animation does not jump.
func centre(img *image.Paletted, size int) *image.Paletted {
	d := img.Bounds().Dx()
	if d >= size {
		return img
	}
	bg := image.NewPaletted(image.Rect(0, 0, size, size), palette)
	off := (size - d) / 2
	for y := 0; y < d; y++ {
		copy(bg.Pix[bg.PixOffset(off, off+y):], img.Pix[img.PixOffset(0, y):img.PixOffset(d, y)])
	}
	return bg
}

// A GIF is a header, one block per frame and a trailer byte, so it can be
// written one frame at a time. image/gif can only encode a whole animation
// held in memory; each frame block here is cut from image/gif's encoding
// of that frame alone, so the frame bytes are exactly what gif.EncodeAll
// writes for the whole animation (see TestGIFStreamMatchesEncodeAll), and
// only the header, which gif.EncodeAll writes from the frame count, is
// written here.

const (
	gifHeaderLen = 13 // "GIF89a", logical screen descriptor
	gifTrailer   = 0x3b
)

// gifHeader is the header gif.EncodeAll writes for frames of size x size
// without a global colour table, with the endless-loop extension when
// animated.
func gifHeader(size int, animated bool) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(size))
	b = binary.LittleEndian.AppendUint16(b, uint16(size))
	b = append(b, 0, 0, 0) // no global colour table, background 0, aspect 0
	if animated {
		b = append(b, 0x21, 0xff, 0x0b)
		b = append(b, "NETSCAPE2.0"...)
		b = append(b, 0x03, 0x01, 0x00, 0x00, 0x00) // loop count 0: forever
	}
	return b
}

// gifFrame returns the bytes of one frame block: graphic control extension
// (the delay), image descriptor, local colour table and LZW data.
func gifFrame(img *image.Paletted, size, delay int) ([]byte, error) {
	var buf bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{img}, Delay: []int{delay}, Config: image.Config{Width: size, Height: size}}
	if err := gif.EncodeAll(&buf, g); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if len(b) < gifHeaderLen+1 || !bytes.Equal(b[:gifHeaderLen], gifHeader(size, false)) || b[len(b)-1] != gifTrailer {
		return nil, errors.New("qr: unexpected GIF layout from image/gif")
	}
	return b[gifHeaderLen : len(b)-1], nil
}

func singleFrameGIF(size int, frame []byte) []byte {
	b := gifHeader(size, false)
	b = append(b, frame...)
	return append(b, gifTrailer)
}

// VerifiedPNG renders one frame (a single-part UR such as a wallet
// pairing code) as a PNG at DefaultScale and checks, as WriteVerified
// does, that the PNG's own bytes decode and scan back as the frame.
func VerifiedPNG(frame string) ([]byte, error) {
	img, err := Render(frame, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, img); err != nil {
		return nil, err
	}
	back, err := png.Decode(bytes.NewReader(buf.Bytes()))
	got := ""
	if err == nil {
		got, err = Scan(back)
	}
	if err != nil || !strings.EqualFold(got, frame) {
		return nil, fmt.Errorf("the rendered QR code does not read back (%v)", err)
	}
	return buf.Bytes(), nil
}
