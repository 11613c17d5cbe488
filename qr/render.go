package qr

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"

	goqrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// DefaultScale is the default number of pixels per QR module in rendered
// images. Whole numbers keep every module edge on a pixel boundary, which is
// what makes a screen or a printout sharp for a camera.
const DefaultScale = 6

// QuietZone is the white border, in modules, that the QR standard requires
// around a code.
const QuietZone = 4

// Level is the QR error-correction level used for frames: M restores about
// 15% of damaged codewords, a margin for glare, blur and compression that
// costs about a fifth more modules than L.
const level = goqrcode.Medium

// Palette of rendered frames: index 0 white, 1 black.
var palette = color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0x00}}

// Modules returns the QR code for frame as a square matrix of modules
// (true = dark), quiet zone included.
func Modules(frame string) ([][]bool, error) {
	q, err := goqrcode.New(frame, level)
	if err != nil {
		return nil, fmt.Errorf("qr: encoding a frame of %d characters: %w", len(frame), err)
	}
	return q.Bitmap(), nil
}

// Render draws frame as a QR code with scale pixels per module (at least
// 1; 0 means DefaultScale), quiet zone included.
func Render(frame string, scale int) (*image.Paletted, error) {
	m, err := Modules(frame)
	if err != nil {
		return nil, err
	}
	return renderModules(m, scale), nil
}

func renderModules(m [][]bool, scale int) *image.Paletted {
	if scale <= 0 {
		scale = DefaultScale
	}
	n := len(m) * scale
	img := image.NewPaletted(image.Rect(0, 0, n, n), palette)
	for y, row := range m {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				off := img.PixOffset(x*scale, y*scale+dy)
				for dx := 0; dx < scale; dx++ {
					img.Pix[off+dx] = 1
				}
			}
		}
	}
	return img
}

// Terminal draws frame for a terminal with Unicode half blocks: each
// character cell holds two modules, one above the other, so the code keeps
// its square shape in a typical 1:2 cell. Dark modules are drawn in the
// foreground colour and light ones left as background, so the result only
// scans in dark-on-light colours; TerminalANSI sets them explicitly.
func Terminal(frame string) (string, error) {
	m, err := Modules(frame)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for y := 0; y < len(m); y += 2 {
		for x := range m[y] {
			top := m[y][x]
			bottom := y+1 < len(m) && m[y+1][x]
			switch {
			case top && bottom:
				sb.WriteRune('█')
			case top:
				sb.WriteRune('▀')
			case bottom:
				sb.WriteRune('▄')
			default:
				sb.WriteByte(' ')
			}
		}
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}

// TerminalANSI is Terminal with each line set in black on white (ANSI SGR
// 30;107), so the code scans on dark and light terminal themes alike.
func TerminalANSI(frame string) (string, error) {
	t, err := Terminal(frame)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimSuffix(t, "\n"), "\n") {
		sb.WriteString("\x1b[30;107m")
		sb.WriteString(strings.TrimSuffix(line, "\n"))
		sb.WriteString("\x1b[0m\n")
	}
	return sb.String(), nil
}

// caption returns img with lines of text printed under it, black on white,
// in a fixed-width bitmap font enlarged to the largest whole factor (at
// most 3) at which every line fits the image's width. The text sits below
// the code's quiet zone, so the code itself is unchanged.
func caption(img *image.Paletted, lines []string) *image.Paletted {
	face := basicfont.Face7x13
	w := img.Bounds().Dx()
	longest := 1
	for _, l := range lines {
		longest = max(longest, len(l))
	}
	margin := 2 * face.Advance
	k := max(1, min(3, (w-2*margin)/(face.Advance*longest)))
	lineH := face.Height + 3
	text := image.NewGray(image.Rect(0, 0, w/k, lineH*len(lines)+face.Height/2))
	draw.Draw(text, text.Rect, image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: text, Src: image.Black, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(margin/k, lineH*i+face.Ascent)
		d.DrawString(l)
	}
	h := img.Bounds().Dy()
	out := image.NewPaletted(image.Rect(0, 0, w, h+text.Rect.Dy()*k), palette)
	copy(out.Pix, img.Pix)
	for y := 0; y < text.Rect.Dy()*k; y++ {
		for x := 0; x < text.Rect.Dx()*k; x++ {
			if text.GrayAt(x/k, y/k).Y < 0x80 {
				out.Pix[out.PixOffset(x, h+y)] = 1
			}
		}
	}
	return out
}
