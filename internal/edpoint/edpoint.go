// Package edpoint checks Ed25519 and X25519 public points received from
// files nobody signed (public.json, signature.json, cards): a key of small
// order makes a signature check or a key agreement meaningless. An Ed25519
// point of small order "verifies" forged signatures (the identity as key,
// R = identity, S = 0 verifies every message); an X25519 point of low order
// gives an all-zero shared secret.
package edpoint

import (
	"bytes"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
	"golang.org/x/crypto/curve25519"
)

// ErrWeak is wrapped by every refusal.
var ErrWeak = errors.New("not a valid public key")

// Check refuses an Ed25519 encoding that is not canonical, the identity,
// and any point outside the prime-order subgroup (small-order and
// mixed-order points). what names the value in the error.
func Check(b []byte, what string) error {
	if len(b) != 32 {
		return fmt.Errorf("%w: an ed25519 %s is 32 bytes", ErrWeak, what)
	}
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		return fmt.Errorf("%w: the ed25519 %s is not a curve point", ErrWeak, what)
	}
	// SetBytes accepts non-canonical encodings (y >= p, or x = 0 with the
	// sign bit set); a point has exactly one canonical encoding.
	if !bytes.Equal(p.Bytes(), b) {
		return fmt.Errorf("%w: the ed25519 %s is not canonically encoded", ErrWeak, what)
	}
	id := edwards25519.NewIdentityPoint()
	if p.Equal(id) == 1 {
		return fmt.Errorf("%w: the ed25519 %s is the identity point", ErrWeak, what)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(id) == 1 {
		return fmt.Errorf("%w: the ed25519 %s has small order", ErrWeak, what)
	}
	// [L]P is the identity exactly for points of the prime-order subgroup;
	// a Scalar cannot hold L, so [L]P = [L-1]P + P.
	lp := new(edwards25519.Point).ScalarMult(ellMinusOne, p)
	if lp.Add(lp, p).Equal(id) != 1 {
		return fmt.Errorf("%w: the ed25519 %s is not in the prime-order subgroup", ErrWeak, what)
	}
	return nil
}

var ellMinusOne = func() *edwards25519.Scalar {
	var one [32]byte
	one[0] = 1
	s, err := edwards25519.NewScalar().SetCanonicalBytes(one[:])
	if err != nil {
		panic(err)
	}
	return edwards25519.NewScalar().Negate(s)
}()

// CheckScalar refuses an Ed25519 signature scalar S that is not below the
// group order.
func CheckScalar(s []byte) error {
	if _, err := edwards25519.NewScalar().SetCanonicalBytes(s); err != nil {
		return fmt.Errorf("%w: the ed25519 signature scalar S is not below the group order", ErrWeak)
	}
	return nil
}

// probe is a fixed clamped scalar for X25519Key: X25519(probe, u) is equal
// for every encoding of one point (u and u + p, the top bit set or not),
// and all-zero exactly for the low-order points.
var probe = func() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(0x5a + i)
	}
	return b
}()

// X25519Key checks an X25519 public key u (32 bytes, as age recipients
// carry it): canonical (u < p, top bit clear) and not of low order. It
// returns X25519(probe, u), which identifies the point, for comparing keys.
func X25519Key(u []byte) ([]byte, error) {
	if len(u) != 32 {
		return nil, fmt.Errorf("%w: an X25519 key is 32 bytes", ErrWeak)
	}
	if u[31]&0x80 != 0 || !belowP(u) {
		return nil, fmt.Errorf("%w: the X25519 key is not canonically encoded", ErrWeak)
	}
	out, err := curve25519.X25519(probe, u)
	if err != nil {
		return nil, fmt.Errorf("%w: the X25519 key has low order", ErrWeak)
	}
	return out, nil
}

// belowP reports whether the little-endian u (top bit clear) is < 2^255-19.
func belowP(u []byte) bool {
	// p = 2^255 - 19: little-endian ed ff ... ff 7f.
	if u[31] != 0x7f {
		return true
	}
	for i := 30; i >= 1; i-- {
		if u[i] != 0xff {
			return true
		}
	}
	return u[0] < 0xed
}
