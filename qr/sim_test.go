package qr

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Simulated captures for tests and benchmarks: a frame's modules resampled
// to a non-integer module size, as a scaled screenshot or a camera sees
// them, then degraded.

// sampleModules renders m at s pixels per module by exact area averaging,
// offset by (ox, oy) pixels, rotated by angle radians about the centre,
// with a white margin.
func sampleModules(m [][]bool, s, ox, oy, angle float64) *image.Gray {
	n := float64(len(m))
	size := int(math.Ceil(n*s*(math.Abs(math.Cos(angle))+math.Abs(math.Sin(angle))))) + 4
	img := image.NewGray(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	cos, sin := math.Cos(-angle), math.Sin(-angle)
	const ss = 3 // supersampling per axis
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			dark := 0
			for j := 0; j < ss; j++ {
				for i := 0; i < ss; i++ {
					x := float64(px) + (float64(i)+0.5)/ss - c - ox
					y := float64(py) + (float64(j)+0.5)/ss - c - oy
					// back-rotate into code space, in modules
					u := (x*cos-y*sin)/s + n/2
					v := (x*sin+y*cos)/s + n/2
					if u >= 0 && v >= 0 && u < n && v < n && m[int(v)][int(u)] {
						dark++
					}
				}
			}
			img.Pix[py*img.Stride+px] = uint8(255 - 255*dark/(ss*ss))
		}
	}
	return img
}

func jpegRoundTrip(g *image.Gray, quality int) image.Image {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: quality}); err != nil {
		panic(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return img
}

// blur applies a 3x3 Gaussian-like kernel (1 2 1) passes times.
func blur(g *image.Gray, passes int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for p := 0; p < passes; p++ {
		out := image.NewGray(g.Rect)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				sum, wt := 0, 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := x+dx, y+dy
						if xx < 0 || yy < 0 || xx >= w || yy >= h {
							continue
						}
						k := (2 - abs(dx)) * (2 - abs(dy))
						sum += k * int(g.Pix[yy*g.Stride+xx])
						wt += k
					}
				}
				out.Pix[y*out.Stride+x] = uint8((sum + wt/2) / wt)
			}
		}
		g = out
	}
	return g
}

// photo simulates a camera capture: rotation, blur, uneven lighting,
// sensor noise, JPEG.
func photo(m [][]bool, s, angle float64, r *rand.Rand) image.Image {
	g := sampleModules(m, s, r.Float64(), r.Float64(), angle)
	g = blur(g, 1)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	gx, gy := r.Float64()*0.3, r.Float64()*0.3
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float64(g.Pix[y*g.Stride+x])
			// contrast squeezed to 30..220, lighting gradient, noise
			v = 30 + v*190/255
			v *= 1 - gx*float64(x)/float64(w) - gy*float64(y)/float64(h)
			v += r.NormFloat64() * 6
			g.Pix[y*g.Stride+x] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	return jpegRoundTrip(g, 75)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// scaleNearest renders m at s pixels per module with nearest-neighbour
// sampling: module edges snap to whole pixels, so modules come out 1 or 2
// pixels wide at s = 1.8, as with naive image scaling.
func scaleNearest(m [][]bool, s float64) *image.Gray {
	n := len(m)
	size := int(float64(n)*s + 0.5)
	img := image.NewGray(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		v := min(int((float64(py)+0.5)/s), n-1)
		for px := 0; px < size; px++ {
			u := min(int((float64(px)+0.5)/s), n-1)
			if !m[v][u] {
				img.Pix[py*img.Stride+px] = 255
			}
		}
	}
	return img
}

// scaleBilinear renders m at one pixel per module and enlarges that with
// bilinear interpolation, as image viewers and browsers scale a small
// screenshot.
func scaleBilinear(m [][]bool, s float64) *image.Gray {
	n := len(m)
	one := image.NewGray(image.Rect(0, 0, n, n))
	for y, row := range m {
		for x, dark := range row {
			if !dark {
				one.Pix[y*one.Stride+x] = 255
			}
		}
	}
	size := int(float64(n)*s + 0.5)
	return resize(one, size, size)
}
