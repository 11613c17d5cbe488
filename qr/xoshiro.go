package qr

import (
	"crypto/sha256"
	"math/bits"
)

// xoshiro is xoshiro256**, seeded as the Blockchain Commons fountain code
// does it: the SHA-256 of a seed, read as four big-endian 64-bit words.
// Every decision the fountain encoder makes (degree, fragment choice) comes
// from this generator, so it must match the reference bit for bit.
type xoshiro struct{ s [4]uint64 }

func newXoshiro(seed []byte) *xoshiro {
	d := sha256.Sum256(seed)
	var x xoshiro
	for i := range x.s {
		for _, b := range d[i*8 : i*8+8] {
			x.s[i] = x.s[i]<<8 | uint64(b)
		}
	}
	return &x
}

func (x *xoshiro) next() uint64 {
	s := &x.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// nextDouble is next() / 2^64 computed in float64, exactly as the reference
// does it (including the rare rounding up to 1.0, which callers clamp).
func (x *xoshiro) nextDouble() float64 {
	return float64(x.next()) / 18446744073709551616.0
}

// nextInt returns a value in [low, high]. The float64 path, not a modulo,
// is what the reference uses; it must be kept for interoperability.
func (x *xoshiro) nextInt(low, high uint64) uint64 {
	v := uint64(x.nextDouble()*float64(high-low+1)) + low
	if v > high { // nextDouble rounded up to 1.0; the reference would overrun
		v = high
	}
	return v
}

func (x *xoshiro) nextByte() byte { return byte(x.nextInt(0, 255)) }
