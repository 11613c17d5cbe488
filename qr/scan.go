package qr

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// ErrNoCode means no QR code could be read from an image.
var ErrNoCode = errors.New("no readable QR code")

// Scan reads one QR code from img (a screenshot or a photo) and returns its
// text. It tries progressively more expensive passes until one decodes:
//
//   - the image as is, then smoothly enlarged copies (1.5x, 2x, 2.5x, 3x).
//     Small modules blurred by resampling and JPEG leave finder patterns
//     whose 1:1:3:1:1 runs are a pixel or two wide; interpolation at a few
//     scales gives the detector several sub-pixel phases to lock onto.
//   - for each copy, after gozxing's own detector, a second detector that
//     does not trust the module count rounded from the finder patterns.
//     ZXing-style detectors estimate the code's width from the finder
//     patterns' spacing and module size, and at 2-4 pixels per module that
//     estimate is often off by two, which they reject outright ("dimension
//     = 91"); here the nearest valid widths are each tried, with and without
//     the alignment pattern, and the decoder's error correction and format
//     checks pick the right one.
func Scan(img image.Image) (string, error) {
	g := toGray(img)
	var last error
	for _, up := range scanScales {
		src := g
		if up != 1 {
			w, h := int(float64(g.Rect.Dx())*up), int(float64(g.Rect.Dy())*up)
			if w*h > maxUpscaledPixels {
				continue
			}
			src = resize(g, w, h)
		}
		text, err := decodeGray(src)
		if err == nil {
			return text, nil
		}
		last = err
	}
	return "", fmt.Errorf("%w (%v)", ErrNoCode, last)
}

// scanScales are the enlargements tried in turn; see Scan.
var scanScales = []float64{1, 1.5, 2, 3, 2.5}

// Maximum pixels in an upscaled copy; larger images are not enlarged
// (their modules are big enough already, or the input is unreasonable).
const maxUpscaledPixels = 24 << 20

var scanHints = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}

func decodeGray(g *image.Gray) (string, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(g)))
	if err != nil {
		return "", err
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, scanHints)
	if err == nil {
		return res.GetText(), nil
	}
	m, merr := bmp.GetBlackMatrix()
	if merr != nil {
		return "", err
	}
	if text, rerr := decodeMatrixRobust(m); rerr == nil {
		return text, nil
	}
	return "", err
}

// decodeMatrixRobust is the second detector described at Scan.
func decodeMatrixRobust(m *gozxing.BitMatrix) (string, error) {
	info, err := detector.NewFinderPatternFinder(m, nil).Find(scanHints)
	if err != nil {
		return "", err
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	ms := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	span := (gozxing.ResultPoint_Distance(tl, tr) + gozxing.ResultPoint_Distance(tl, bl)) / 2
	if ms < 1 || span < 7 {
		return "", ErrNoCode
	}
	raw := span/ms + 7
	// Valid widths are 17+4v for versions 1..40; try the three nearest.
	v0 := int(math.Round((raw - 17) / 4))
	var lastErr error = ErrNoCode
	for _, v := range []int{v0, v0 - 1, v0 + 1} {
		if v < 1 || v > 40 {
			continue
		}
		dim := 17 + 4*v
		version, err := decoder.Version_GetVersionForNumber(v)
		if err != nil {
			continue
		}
		moduleSize := span / float64(dim-7)
		var aps []*detector.AlignmentPattern
		if len(version.GetAlignmentPatternCenters()) > 0 {
			if ap := findAlignment(m, tl, tr, bl, moduleSize, dim); ap != nil {
				aps = append(aps, ap)
			}
		}
		aps = append(aps, nil)
		for _, ap := range aps {
			var alignment *detector.AlignmentPattern = ap
			tf := detector.Detector_createTransform(tl, tr, bl, alignment, dim)
			bits, err := detector.Detector_sampleGrid(m, tf, dim)
			if err != nil {
				lastErr = err
				continue
			}
			res, err := decoder.NewDecoder().Decode(bits, scanHints)
			if err != nil {
				lastErr = err
				continue
			}
			return res.GetText(), nil
		}
	}
	return "", lastErr
}

// findAlignment looks for the bottom-right alignment pattern where a code
// of width dim would have it, widening the search as gozxing does.
func findAlignment(m *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, moduleSize float64, dim int) *detector.AlignmentPattern {
	brX := tr.GetX() - tl.GetX() + bl.GetX()
	brY := tr.GetY() - tl.GetY() + bl.GetY()
	corr := 1.0 - 3.0/float64(dim-7)
	ex := int(tl.GetX() + corr*(brX-tl.GetX()))
	ey := int(tl.GetY() + corr*(brY-tl.GetY()))
	for f := 4; f <= 16; f <<= 1 {
		allow := int(float64(f) * moduleSize)
		x0, x1 := max(ex-allow, 0), min(ex+allow, m.GetWidth()-1)
		y0, y1 := max(ey-allow, 0), min(ey+allow, m.GetHeight()-1)
		if float64(x1-x0) < 3*moduleSize || float64(y1-y0) < 3*moduleSize {
			return nil
		}
		ap, err := detector.NewAlignmentPatternFinder(m, x0, y0, x1-x0, y1-y0, moduleSize, nil).Find()
		if err == nil {
			return ap
		}
	}
	return nil
}

func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

// resize resamples g to w x h with bilinear interpolation (pixel centres
// aligned), enough for enlarging; shrinking by more than 2x aliases.
func resize(g *image.Gray, w, h int) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	sx := float64(sw) / float64(w)
	sy := float64(sh) / float64(h)
	for y := 0; y < h; y++ {
		fy := (float64(y)+0.5)*sy - 0.5
		y0 := int(fy)
		if fy < 0 {
			fy, y0 = 0, 0
		}
		y1 := min(y0+1, sh-1)
		ty := fy - float64(y0)
		r0 := g.Pix[y0*g.Stride:]
		r1 := g.Pix[y1*g.Stride:]
		row := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			fx := (float64(x)+0.5)*sx - 0.5
			x0 := int(fx)
			if fx < 0 {
				fx, x0 = 0, 0
			}
			x1 := min(x0+1, sw-1)
			tx := fx - float64(x0)
			top := float64(r0[x0])*(1-tx) + float64(r0[x1])*tx
			bot := float64(r1[x0])*(1-tx) + float64(r1[x1])*tx
			row[x] = uint8(top*(1-ty) + bot*ty + 0.5)
		}
	}
	return out
}
