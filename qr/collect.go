package qr

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "image/jpeg" // photos of screens and printouts
	_ "image/png"

	"github.com/coldsig/coldsig/internal/boundedio"
)

// Limits on what a Collector reads (docs/format.md, "Decoder input
// limits"): each is checked before the memory for it is allocated, so a
// hostile image costs at most about MaxImageBytes plus a copy or two in
// grey, whatever its file size claims.
const (
	// MaxImagePixels bounds one image, or one frame of a GIF.
	MaxImagePixels = 24 << 20
	// MaxImageBytes bounds the memory an image decoder needs for one
	// image (its pixels in their colour model, and a progressive JPEG's
	// coefficients), plus the two grey copies the scanner makes.
	MaxImageBytes = 96 << 20
	// MaxGIFFrames bounds the frames read from one GIF: twice the frames
	// of the largest payload at the default settings.
	MaxGIFFrames = 2 * MaxSeqLen * 3 / 2
	// MaxTextFile bounds a text file of frames; MaxLine one line.
	MaxTextFile = 64 << 20
	MaxLine     = 1 << 20
)

// ErrImageTooLarge means an image was refused, unread, for its size.
var ErrImageTooLarge = errors.New("image too large")

// ErrComplete is returned by a Collector's readers once the payload is
// complete: the rest of the input need not be read.
var ErrComplete = errors.New("qr: payload complete")

// EventKind says what an Event reports.
type EventKind int

const (
	// Skipped: Source was not used (not a frame, damaged, another
	// payload's); Err says why.
	Skipped EventKind = iota
	// Progress: the share of the payload recovered changed.
	Progress
	// NoInput: a directory held no image or text file.
	NoInput
)

// Event is something a Collector reports while it reads: for the user,
// never an error of the whole decode.
type Event struct {
	Kind   EventKind
	Source string // a file, "FILE frame N", "SOURCE line N"
	Err    error  // Skipped
}

// Collector feeds a Decoder from files, directories of files and streams
// of lines, as 'coldsig qr decode' reads them: images (PNG, JPEG, GIF;
// every frame of a GIF), text files of frames and lines of text. Input
// that is not a frame of the payload is reported and skipped, never mixed
// in. The zero value is ready to use.
type Collector struct {
	Decoder Decoder
	// Report, if set, is told of every skipped input and progress.
	Report func(Event)
	// MaxPixels, if positive, lowers MaxImagePixels (and MaxImageBytes in
	// proportion), for tests and fuzzing.
	MaxPixels int

	skipped, others int
	lastPct         int
	started         bool
}

// Skipped is the number of inputs skipped; Others how many of them were
// frames of another payload.
func (c *Collector) Skipped() int { return c.skipped }
func (c *Collector) Others() int  { return c.others }

func (c *Collector) limits() (pixels, bytes int64) {
	if c.MaxPixels > 0 && c.MaxPixels < MaxImagePixels {
		return int64(c.MaxPixels), MaxImageBytes * int64(c.MaxPixels) / MaxImagePixels
	}
	return MaxImagePixels, MaxImageBytes
}

func (c *Collector) report(ev Event) {
	if c.Report != nil {
		c.Report(ev)
	}
}

func (c *Collector) skip(source string, err error) {
	c.skipped++
	if errors.Is(err, ErrOtherPayload) {
		c.others++
	}
	c.report(Event{Kind: Skipped, Source: source, Err: err})
}

// Add feeds one frame's text read from source. It returns ErrComplete once
// the payload is complete, and the decoder's terminal error (a payload that
// fails its checksum) naming source.
func (c *Collector) Add(source, frame string) error {
	if !c.started {
		c.started, c.lastPct = true, -1
	}
	p, err := c.Decoder.Add(frame)
	if err != nil {
		if c.Decoder.Err() != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		c.skip(source, err)
		return nil
	}
	if pct := int(p * 100); pct != c.lastPct || c.Decoder.Frames() == 1 {
		c.lastPct = pct
		c.report(Event{Kind: Progress, Source: source})
	}
	if c.Decoder.Complete() {
		return ErrComplete
	}
	return nil
}

// imageExt are the file name extensions a directory is searched for.
var imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".txt": true}

// Path reads a file or, for a directory, its image and text files (not
// subdirectories) in name order.
func (c *Collector) Path(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return c.File(path)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	var names []string
	for _, ent := range ents {
		if ent.Type().IsRegular() && imageExt[strings.ToLower(filepath.Ext(ent.Name()))] {
			names = append(names, ent.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		c.report(Event{Kind: NoInput, Source: path})
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.File(filepath.Join(path, n)); err != nil {
			return err
		}
	}
	return nil
}

// File reads one file: text of frames if it starts with "ur:", otherwise
// an image.
func (c *Collector) File(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.Reader(path, f)
}

// Reader reads one file's content from r, named source in reports.
func (c *Collector) Reader(source string, r io.ReadSeeker) error {
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if bytes.HasPrefix(bytes.ToLower(bytes.TrimLeft(head, " \t\r\n")), []byte("ur:")) {
		if size, err := r.Seek(0, io.SeekEnd); err == nil && size > MaxTextFile {
			c.skip(source, fmt.Errorf("text file larger than %d bytes", MaxTextFile))
			return nil
		}
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return c.Lines(source, io.LimitReader(r, MaxTextFile))
	}
	return c.image(source, r)
}

func (c *Collector) image(source string, r io.ReadSeeker) error {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		c.skip(source, errors.New("not an image or a text of UR frames"))
		return nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	maxPixels, maxBytes := c.limits()
	if format == "gif" {
		err := gifFrames(r, int(maxPixels), MaxGIFFrames, func(i int, img *image.Paletted) error {
			return c.scan(fmt.Sprintf("%s frame %d", source, i+1), img)
		})
		if err != nil && !errors.Is(err, ErrComplete) && c.Decoder.Err() == nil {
			// The frames before the damage were used.
			c.skip(source, err)
			return nil
		}
		return err
	}
	if err := checkImageSize(cfg, format, r, maxPixels, maxBytes); err != nil {
		c.skip(source, err)
		return nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	img, _, err := image.Decode(r)
	if err != nil {
		c.skip(source, err)
		return nil
	}
	return c.scan(source, img)
}

func (c *Collector) scan(source string, img image.Image) error {
	text, err := Scan(img)
	if err != nil {
		c.skip(source, err)
		return nil
	}
	return c.Add(source, text)
}

// checkImageSize refuses, from its header, an image whose decoding would
// take more than MaxImagePixels or MaxImageBytes.
func checkImageSize(cfg image.Config, format string, r io.ReadSeeker, maxPixels, maxBytes int64) error {
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > maxPixels {
		return fmt.Errorf("%w: %dx%d pixels (limit %d pixels)", ErrImageTooLarge, cfg.Width, cfg.Height, maxPixels)
	}
	perPixel := int64(2) // the scanner's grey copies
	_, paletted := cfg.ColorModel.(color.Palette)
	switch {
	case paletted, cfg.ColorModel == color.GrayModel, cfg.ColorModel == color.AlphaModel:
		perPixel++
	case cfg.ColorModel == color.Gray16Model, cfg.ColorModel == color.Alpha16Model:
		perPixel += 2
	case cfg.ColorModel == color.RGBA64Model, cfg.ColorModel == color.NRGBA64Model:
		perPixel += 8
	default: // RGBA, NRGBA, YCbCr (4:4:4 at worst), CMYK, palettes
		perPixel += 4
	}
	if format == "jpeg" {
		if progressive, comps := jpegKind(r); progressive {
			// image/jpeg keeps every coefficient of a progressive image:
			// 64 int32 per 8x8 block of each component.
			perPixel += 4 * int64(comps)
		}
	}
	if px*perPixel > maxBytes {
		return fmt.Errorf("%w: %dx%d pixels take about %d MB to decode (limit %d MB); use a smaller image", ErrImageTooLarge,
			cfg.Width, cfg.Height, px*perPixel>>20, maxBytes>>20)
	}
	return nil
}

// jpegKind reads JPEG markers up to the frame header and reports whether
// the image is progressive and how many components it has. It assumes the
// worst (progressive, 4 components) when the header cannot be read.
func jpegKind(r io.ReadSeeker) (bool, int) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return true, 4
	}
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xff, 0xd8} {
		return true, 4
	}
	for i := 0; i < 1000; i++ {
		var m [4]byte
		if _, err := io.ReadFull(br, m[:2]); err != nil || m[0] != 0xff {
			return true, 4
		}
		for m[1] == 0xff { // fill bytes
			b, err := br.ReadByte()
			if err != nil {
				return true, 4
			}
			m[1] = b
		}
		if m[1] >= 0xd0 && m[1] <= 0xd7 || m[1] == 0x01 { // markers without a length
			continue
		}
		if _, err := io.ReadFull(br, m[2:4]); err != nil {
			return true, 4
		}
		n := int(binary.BigEndian.Uint16(m[2:4])) - 2
		if n < 0 {
			return true, 4
		}
		if m[1] >= 0xc0 && m[1] <= 0xcf && m[1] != 0xc4 && m[1] != 0xc8 && m[1] != 0xcc {
			var sof [6]byte
			if n < 6 {
				return true, 4
			}
			if _, err := io.ReadFull(br, sof[:]); err != nil {
				return true, 4
			}
			return m[1] == 0xc2 || m[1] == 0xc6 || m[1] == 0xca || m[1] == 0xce, max(1, int(sof[5]))
		}
		if _, err := br.Discard(n); err != nil {
			return true, 4
		}
	}
	return true, 4
}

// Lines feeds one frame per non-empty line of r (surrounding white space
// ignored), named "source line N" in reports. A line longer than MaxLine
// is skipped without being held in memory.
func (c *Collector) Lines(source string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			src := fmt.Sprintf("%s line %d", source, n)
			if len(line) > MaxLine {
				c.skip(src, fmt.Errorf("line longer than %d bytes", MaxLine))
			} else if s := strings.TrimSpace(string(line)); s != "" {
				if err := c.Add(src, s); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
}

// readLine reads one line, keeping at most MaxLine+1 bytes of it so that a
// line without end cannot exhaust memory.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) <= MaxLine {
			line = append(line, chunk[:min(len(chunk), MaxLine+1-len(line))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), err
	}
}

// ReadMessage reads path as a file of at most max bytes, or as the UR
// frames of one message of the given types: frames when path is a
// directory, an image (by its extension) or a text file starting with
// "ur:". typ is the UR type read ("" for a plain file, whose bytes are
// data), data the message. report, if set, is told what the Collector
// skips. A message that did not decode whole is an error wrapping
// ErrIncomplete or ErrPayloadCorrupt, naming path.
func ReadMessage(ctx context.Context, path string, max int, types []string, report func(Event)) (data []byte, typ string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	frames := fi.IsDir()
	// Not imageExt: a .txt file may be a plain file (a base64 PSBT).
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		frames = true
	}
	if !frames {
		data, err := boundedio.ReadFile(path, int64(max))
		if err != nil {
			return nil, "", err
		}
		if !bytes.HasPrefix(bytes.ToLower(bytes.TrimLeft(data, " \t\r\n")), []byte("ur:")) {
			return data, "", nil
		}
	}
	c := &Collector{Decoder: Decoder{Types: types, MaxPayload: max}, Report: report}
	if err := c.Path(ctx, path); err != nil && !errors.Is(err, ErrComplete) {
		return nil, "", err
	}
	msg, err := c.Decoder.Result()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return msg, c.Decoder.Type(), nil
}
