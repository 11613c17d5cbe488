package qr

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"sort"

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
//   - a direct read of an axis-aligned code (screenshots, our renders);
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
	if text, err := decodePure(g); err == nil {
		return text, nil
	}
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

// decodePure reads an unrotated, undistorted code with its quiet zone, as
// in a screenshot or our own renders, without finder-pattern detection.
func decodePure(g *image.Gray) (string, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(g)))
	if err != nil {
		return "", err
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

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

// decodeMatrixRobust is the second detector described at Scan. It also
// tries other triples of finder-pattern candidates than the one gozxing
// picks, because data modules sometimes form a convincing false finder
// pattern.
func decodeMatrixRobust(m *gozxing.BitMatrix) (string, error) {
	finder := detector.NewFinderPatternFinder(m, nil)
	info, ferr := finder.Find(scanHints)
	if ferr != nil {
		return "", ferr
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	text, err := decodeTriple(m, tl, tr, bl)
	if err == nil {
		return text, nil
	}
	// gozxing's finder stops scanning once it has three confirmed
	// candidates, so a false one above a true finder pattern hides it.
	// Scanning flipped copies reaches the bottom and right edges first.
	centers := finder.GetPossibleCenters()
	w, h := m.GetWidth(), m.GetHeight()
	for _, flip := range []struct{ x, y bool }{{false, true}, {true, false}} {
		fm := flipMatrix(m, flip.x, flip.y)
		ff := detector.NewFinderPatternFinder(fm, nil)
		if _, err := ff.Find(scanHints); err != nil && len(ff.GetPossibleCenters()) == 0 {
			continue
		}
		for _, c := range ff.GetPossibleCenters() {
			x, y := c.GetX(), c.GetY()
			if flip.x {
				x = float64(w) - x
			}
			if flip.y {
				y = float64(h) - y
			}
			dup := false
			for _, o := range centers {
				if o.AboutEquals(c.GetEstimatedModuleSize(), y, x) {
					dup = true
					break
				}
			}
			if !dup {
				centers = append(centers, detector.NewFinderPattern(x, y, c.GetEstimatedModuleSize(), c.GetCount()))
			}
		}
	}
	for _, t := range otherTriples(centers, tl, tr, bl) {
		if text, terr := decodeTriple(m, t[0], t[1], t[2]); terr == nil {
			return text, nil
		}
	}
	return "", err
}

func flipMatrix(m *gozxing.BitMatrix, fx, fy bool) *gozxing.BitMatrix {
	w, h := m.GetWidth(), m.GetHeight()
	out, _ := gozxing.NewBitMatrix(w, h)
	for y := 0; y < h; y++ {
		sy := y
		if fy {
			sy = h - 1 - y
		}
		for x := 0; x < w; x++ {
			sx := x
			if fx {
				sx = w - 1 - x
			}
			if m.Get(sx, sy) {
				out.Set(x, y)
			}
		}
	}
	return out
}

// Limits on the alternative finder-pattern triples tried.
const (
	maxFinderCandidates = 9
	maxTriples          = 12
)

// otherTriples returns plausible (top-left, top-right, bottom-left) triples
// from the best-confirmed finder candidates, most right-isosceles first,
// excluding the one already tried.
func otherTriples(centers []*detector.FinderPattern, tl0, tr0, bl0 *detector.FinderPattern) [][3]*detector.FinderPattern {
	cs := append([]*detector.FinderPattern(nil), centers...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].GetCount() > cs[j].GetCount() })
	if len(cs) > maxFinderCandidates {
		cs = cs[:maxFinderCandidates]
	}
	type scored struct {
		t [3]*detector.FinderPattern
		d float64
	}
	var ts []scored
	for i := 0; i < len(cs); i++ {
		for j := i + 1; j < len(cs); j++ {
			for k := j + 1; k < len(cs); k++ {
				a, b, c := cs[i], cs[j], cs[k]
				lo := math.Min(a.GetEstimatedModuleSize(), math.Min(b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize()))
				hi := math.Max(a.GetEstimatedModuleSize(), math.Max(b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize()))
				if hi > 1.4*lo {
					continue
				}
				pa, pb, pc := gozxing.ResultPoint_OrderBestPatterns(a, b, c)
				bl, tl, tr := pa.(*detector.FinderPattern), pb.(*detector.FinderPattern), pc.(*detector.FinderPattern)
				if tl == tl0 && tr == tr0 && bl == bl0 {
					continue
				}
				// Distance from a right isosceles triangle, as gozxing
				// scores it.
				x := gozxing.ResultPoint_Distance(tl, tr)
				y := gozxing.ResultPoint_Distance(tl, bl)
				z := gozxing.ResultPoint_Distance(tr, bl)
				d := math.Abs(z*z-2*x*x) + math.Abs(z*z-2*y*y)
				ts = append(ts, scored{[3]*detector.FinderPattern{tl, tr, bl}, d / (z * z)})
			}
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].d < ts[j].d })
	var out [][3]*detector.FinderPattern
	for _, t := range ts {
		if len(out) == maxTriples || t.d > 0.5 {
			break
		}
		out = append(out, t.t)
	}
	return out
}

// decodeTriple samples and decodes the code framed by three finder
// patterns, trying the valid widths nearest to the estimate.
func decodeTriple(m *gozxing.BitMatrix, tl, tr, bl *detector.FinderPattern) (string, error) {
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
			tf := detector.Detector_createTransform(tl, tr, bl, ap, dim)
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
