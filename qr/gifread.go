package qr

import (
	"bufio"
	"compress/lzw"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// image/gif decodes a whole animation into memory before returning any
// frame, so a small file of many large frames (LZW compresses a blank
// frame a thousandfold) takes gigabytes. gifFrames reads one frame at a
// time instead, checks each frame's size before allocating it, and hands
// it on before reading the next. Frames are returned as stored, not
// composited onto the previous ones, as gif.DecodeAll returns them.

var errGIF = errors.New("gif")

// gifFrames calls f with each frame of the GIF in r, in order. A frame
// larger than maxPixels, or more than maxFrames frames, stop the reading
// with an error before anything is allocated for them.
func gifFrames(r io.Reader, maxPixels, maxFrames int, f func(i int, img *image.Paletted) error) error {
	br := bufio.NewReader(r)
	var hdr [13]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return fmt.Errorf("%w: reading header: %v", errGIF, err)
	}
	if s := string(hdr[:6]); s != "GIF87a" && s != "GIF89a" {
		return fmt.Errorf("%w: not a GIF file", errGIF)
	}
	screenW := int(binary.LittleEndian.Uint16(hdr[6:8]))
	screenH := int(binary.LittleEndian.Uint16(hdr[8:10]))
	var global color.Palette
	if hdr[10]&0x80 != 0 {
		var err error
		if global, err = readPalette(br, int(hdr[10]&7)); err != nil {
			return err
		}
	}
	transparent := -1
	frames := 0
	for {
		intro, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: %v", errGIF, io.ErrUnexpectedEOF)
		}
		switch intro {
		case 0x21: // extension
			label, err := br.ReadByte()
			if err != nil {
				return fmt.Errorf("%w: %v", errGIF, io.ErrUnexpectedEOF)
			}
			if label == 0xf9 { // graphic control: transparency for the next frame
				var gce [6]byte
				if _, err := io.ReadFull(br, gce[:]); err != nil || gce[0] != 4 {
					return fmt.Errorf("%w: bad graphic control extension", errGIF)
				}
				transparent = -1
				if gce[1]&1 != 0 {
					transparent = int(gce[4])
				}
				if gce[5] != 0 {
					return fmt.Errorf("%w: bad graphic control extension", errGIF)
				}
				continue
			}
			if err := skipBlocks(br); err != nil {
				return err
			}
		case 0x2c: // image descriptor
			if frames == maxFrames {
				return fmt.Errorf("%w: more than %d frames", errGIF, maxFrames)
			}
			img, err := readGIFFrame(br, screenW, screenH, global, transparent, maxPixels)
			if err != nil {
				return fmt.Errorf("frame %d: %w", frames+1, err)
			}
			transparent = -1
			if err := f(frames, img); err != nil {
				return err
			}
			frames++
		case 0x3b: // trailer
			if frames == 0 {
				return fmt.Errorf("%w: no image", errGIF)
			}
			return nil
		default:
			return fmt.Errorf("%w: unknown block type 0x%02x", errGIF, intro)
		}
	}
}

func readPalette(br *bufio.Reader, sizeBits int) (color.Palette, error) {
	n := 1 << (sizeBits + 1)
	raw := make([]byte, 3*n)
	if _, err := io.ReadFull(br, raw); err != nil {
		return nil, fmt.Errorf("%w: reading colour table: %v", errGIF, err)
	}
	p := make(color.Palette, n)
	for i := range p {
		p[i] = color.RGBA{raw[3*i], raw[3*i+1], raw[3*i+2], 0xff}
	}
	return p, nil
}

func readGIFFrame(br *bufio.Reader, screenW, screenH int, global color.Palette, transparent, maxPixels int) (*image.Paletted, error) {
	var d [9]byte
	if _, err := io.ReadFull(br, d[:]); err != nil {
		return nil, fmt.Errorf("%w: reading image descriptor: %v", errGIF, err)
	}
	left := int(binary.LittleEndian.Uint16(d[0:2]))
	top := int(binary.LittleEndian.Uint16(d[2:4]))
	w := int(binary.LittleEndian.Uint16(d[4:6]))
	h := int(binary.LittleEndian.Uint16(d[6:8]))
	if w == 0 || h == 0 || left+w > screenW || top+h > screenH {
		return nil, fmt.Errorf("%w: frame %dx%d at %d,%d outside the %dx%d screen", errGIF, w, h, left, top, screenW, screenH)
	}
	if w*h > maxPixels {
		return nil, fmt.Errorf("%w: %dx%d pixels is too large a frame (limit %d pixels)", ErrImageTooLarge, w, h, maxPixels)
	}
	pal := global
	if d[8]&0x80 != 0 {
		var err error
		if pal, err = readPalette(br, int(d[8]&7)); err != nil {
			return nil, err
		}
	}
	if len(pal) == 0 {
		return nil, fmt.Errorf("%w: no colour table", errGIF)
	}
	if transparent >= 0 && transparent < len(pal) {
		pal = append(color.Palette(nil), pal...)
		pal[transparent] = color.RGBA{}
	}
	litWidth, err := br.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errGIF, io.ErrUnexpectedEOF)
	}
	if litWidth < 2 || litWidth > 8 {
		return nil, fmt.Errorf("%w: LZW code size %d", errGIF, litWidth)
	}
	img := image.NewPaletted(image.Rect(left, top, left+w, top+h), pal)
	blocks := &subBlocks{r: br}
	lz := lzw.NewReader(blocks, lzw.LSB, int(litWidth))
	_, err = io.ReadFull(lz, img.Pix)
	lz.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: frame data: %v", errGIF, err)
	}
	// Anything after the pixels up to the block terminator is ignored.
	if err := blocks.drain(); err != nil {
		return nil, err
	}
	for _, p := range img.Pix {
		if int(p) >= len(pal) {
			return nil, fmt.Errorf("%w: invalid pixel value", errGIF)
		}
	}
	if d[8]&0x40 != 0 {
		deinterlace(img)
	}
	return img, nil
}

// subBlocks reads the data of a sequence of GIF sub-blocks.
type subBlocks struct {
	r    *bufio.Reader
	left int // bytes left in the current sub-block
	end  bool
}

func (s *subBlocks) Read(p []byte) (int, error) {
	for s.left == 0 {
		if s.end {
			return 0, io.EOF
		}
		n, err := s.r.ReadByte()
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		if n == 0 {
			s.end = true
			return 0, io.EOF
		}
		s.left = int(n)
	}
	n, err := s.r.Read(p[:min(len(p), s.left)])
	s.left -= n
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *subBlocks) drain() error {
	if _, err := io.Copy(io.Discard, s); err != nil {
		return fmt.Errorf("%w: %v", errGIF, err)
	}
	return nil
}

func skipBlocks(br *bufio.Reader) error {
	return (&subBlocks{r: br}).drain()
}

// deinterlace puts the rows of an interlaced frame (stored in passes: every
// 8th row from 0, every 8th from 4, every 4th from 2, every 2nd from 1) in
// order.
func deinterlace(img *image.Paletted) {
	h, stride := img.Rect.Dy(), img.Stride
	out := make([]byte, len(img.Pix))
	src := 0
	for _, pass := range []struct{ start, step int }{{0, 8}, {4, 8}, {2, 4}, {1, 2}} {
		for y := pass.start; y < h; y += pass.step {
			copy(out[y*stride:(y+1)*stride], img.Pix[src*stride:(src+1)*stride])
			src++
		}
	}
	img.Pix = out
}
