package qr

import (
	"crypto/subtle"
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// This file is the Luby-transform fountain code of Blockchain Commons
// (BCR-2020-005 multipart URs). Part n <= seqLen carries fragment n-1 alone;
// every later part XORs a pseudo-random subset of fragments chosen from
// (seqNum, checksum), so any decoder that knows the rule can rebuild the
// message from enough distinct parts in any order.

// fragmentLen is the reference's nominal fragment length: the smallest
// number of equal fragments not longer than maxLen, but never fragments
// shorter than minLen (which wins over maxLen when they conflict).
func fragmentLen(messageLen, minLen, maxLen int) int {
	fl := messageLen
	for count := 1; count <= messageLen/minLen; count++ {
		fl = (messageLen + count - 1) / count
		if fl <= maxLen {
			break
		}
	}
	return fl
}

// partition splits message into fragments of fragLen bytes, zero-padding
// the last one.
func partition(message []byte, fragLen int) [][]byte {
	n := (len(message) + fragLen - 1) / fragLen
	frags := make([][]byte, n)
	for i := range frags {
		f := make([]byte, fragLen)
		copy(f, message[i*fragLen:])
		frags[i] = f
	}
	return frags
}

// sampler is the Walker-Vose alias method with the reference's exact
// construction order (indexes pushed in reverse), so that it maps the same
// random doubles to the same outcomes.
type sampler struct {
	probs   []float64
	aliases []int
}

func newSampler(probs []float64) *sampler {
	n := len(probs)
	sum := 0.0
	for _, p := range probs {
		sum += p
	}
	P := make([]float64, n)
	for i, p := range probs {
		P[i] = p * float64(n) / sum
	}
	var S, L []int
	for i := n - 1; i >= 0; i-- {
		if P[i] < 1 {
			S = append(S, i)
		} else {
			L = append(L, i)
		}
	}
	s := &sampler{probs: make([]float64, n), aliases: make([]int, n)}
	for len(S) > 0 && len(L) > 0 {
		a := S[len(S)-1]
		S = S[:len(S)-1]
		g := L[len(L)-1]
		L = L[:len(L)-1]
		s.probs[a] = P[a]
		s.aliases[a] = g
		P[g] += P[a] - 1
		if P[g] < 1 {
			S = append(S, g)
		} else {
			L = append(L, g)
		}
	}
	for _, i := range L {
		s.probs[i] = 1
	}
	for _, i := range S { // only through rounding
		s.probs[i] = 1
	}
	return s
}

func (s *sampler) next(rng *xoshiro) int {
	r1, r2 := rng.nextDouble(), rng.nextDouble()
	i := int(float64(len(s.probs)) * r1)
	if i >= len(s.probs) { // r1 rounded up to 1.0
		i = len(s.probs) - 1
	}
	if r2 < s.probs[i] {
		return i
	}
	return s.aliases[i]
}

// degreeSampler draws a part's degree with probability proportional to
// 1/degree. It depends only on seqLen, so it is built once per payload.
func degreeSampler(seqLen int) *sampler {
	probs := make([]float64, seqLen)
	for i := range probs {
		probs[i] = 1.0 / float64(i+1)
	}
	return newSampler(probs)
}

// chooseFragments returns the fragment indexes mixed into part seqNum.
func chooseFragments(seqNum uint32, seqLen int, checksum uint32, deg *sampler) []int {
	if uint64(seqNum) <= uint64(seqLen) {
		return []int{int(seqNum) - 1}
	}
	var seed [8]byte
	binary.BigEndian.PutUint32(seed[:4], seqNum)
	binary.BigEndian.PutUint32(seed[4:], checksum)
	rng := newXoshiro(seed[:])
	degree := deg.next(rng) + 1
	// The reference shuffles all indexes and keeps the first degree ones.
	// The first picks depend only on the first draws, so stopping after
	// degree picks gives the same set without the rest of the work.
	remaining := make([]int, seqLen)
	for i := range remaining {
		remaining[i] = i
	}
	out := make([]int, 0, degree)
	for len(out) < degree {
		k := int(rng.nextInt(0, uint64(len(remaining)-1)))
		out = append(out, remaining[k])
		remaining = append(remaining[:k], remaining[k+1:]...)
	}
	return out
}

// shuffled is the reference's full shuffle; only tests use it, to check
// the generator against the published shuffle vectors.
func shuffled[T any](items []T, rng *xoshiro) []T {
	remaining := append([]T(nil), items...)
	out := make([]T, 0, len(items))
	for len(remaining) > 0 {
		k := int(rng.nextInt(0, uint64(len(remaining)-1)))
		out = append(out, remaining[k])
		remaining = append(remaining[:k], remaining[k+1:]...)
	}
	return out
}

func xorInto(dst, src []byte) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// part is one fountain-coded frame before UR encoding.
type part struct {
	seqNum     uint32
	seqLen     int
	messageLen int
	checksum   uint32
	data       []byte
}

type fountainEncoder struct {
	messageLen int
	checksum   uint32
	fragLen    int
	fragments  [][]byte
	seqNum     uint32
	deg        *sampler
}

func newFountainEncoder(message []byte, maxFragLen, minFragLen int) *fountainEncoder {
	fl := fragmentLen(len(message), minFragLen, maxFragLen)
	e := &fountainEncoder{
		messageLen: len(message),
		checksum:   crc32.ChecksumIEEE(message),
		fragLen:    fl,
		fragments:  partition(message, fl),
	}
	e.deg = degreeSampler(len(e.fragments))
	return e
}

func (e *fountainEncoder) seqLen() int { return len(e.fragments) }

func (e *fountainEncoder) next() part {
	e.seqNum++ // wraps at 2^32 like the reference
	return e.partAt(e.seqNum)
}

// partAt returns part seqNum of the endless stream; next returns them in
// order.
func (e *fountainEncoder) partAt(seqNum uint32) part {
	data := make([]byte, e.fragLen)
	for _, i := range e.fragmentsOf(seqNum) {
		xorInto(data, e.fragments[i])
	}
	return part{seqNum, e.seqLen(), e.messageLen, e.checksum, data}
}

func (e *fountainEncoder) fragmentsOf(seqNum uint32) []int {
	return chooseFragments(seqNum, e.seqLen(), e.checksum, e.deg)
}

// bitset is a set of fragment indexes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) xor(c bitset) {
	for i := range b {
		b[i] ^= c[i]
	}
}

func (b bitset) first() int {
	for i, w := range b {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// row is one equation: the XOR of the fragments in set equals data.
type row struct {
	set   bitset
	pivot int
	data  []byte
}

// fountainDecoder solves for the fragments by Gaussian elimination over
// GF(2), keeping its rows in reduced row-echelon form: each row has a pivot
// fragment that appears in no other row. Every part that is not a linear
// combination of earlier ones raises the rank by one, and the message is
// complete at full rank. This uses every received part to the full, which
// the reference's peeling decoder does not: with frames lost, its mixed
// parts (of average degree about seqLen/ln(seqLen)) rarely peel, while here
// a few more parts than fragments suffice. Memory is bounded by seqLen rows
// whatever is received.
type fountainDecoder struct {
	seqLen     int
	messageLen int
	checksum   uint32
	fragLen    int
	deg        *sampler

	rows    []*row
	byPivot []*row // pivot fragment -> its row
}

func newFountainDecoder(p part) *fountainDecoder {
	return &fountainDecoder{
		seqLen:     p.seqLen,
		messageLen: p.messageLen,
		checksum:   p.checksum,
		fragLen:    len(p.data),
		deg:        degreeSampler(p.seqLen),
		byPivot:    make([]*row, p.seqLen),
	}
}

func (d *fountainDecoder) rank() int      { return len(d.rows) }
func (d *fountainDecoder) complete() bool { return len(d.rows) == d.seqLen }

// add feeds one part that already matches the payload's parameters and
// reports whether it added information.
func (d *fountainDecoder) add(p part) bool {
	if d.complete() {
		return false
	}
	x := &row{set: newBitset(d.seqLen), data: append([]byte(nil), p.data...)}
	idx := chooseFragments(p.seqNum, d.seqLen, d.checksum, d.deg)
	for _, i := range idx {
		x.set.set(i)
	}
	// Eliminate the existing pivots from x. A row holds its pivot and
	// otherwise only non-pivot fragments, so XORing it in clears that one
	// pivot and touches no other: the pivots to clear are those among idx.
	for _, i := range idx {
		if r := d.byPivot[i]; r != nil {
			x.set.xor(r.set)
			subtle.XORBytes(x.data, x.data, r.data)
		}
	}
	x.pivot = x.set.first()
	if x.pivot < 0 {
		return false // a combination of parts already received
	}
	// Keep the form reduced: remove the new pivot from the other rows.
	for _, r := range d.rows {
		if r.set.has(x.pivot) {
			r.set.xor(x.set)
			subtle.XORBytes(r.data, r.data, x.data)
		}
	}
	d.rows = append(d.rows, x)
	d.byPivot[x.pivot] = x
	return true
}

// message joins the fragments; it is only valid when complete, when every
// row has been reduced to its pivot alone.
func (d *fountainDecoder) message() []byte {
	out := make([]byte, 0, d.seqLen*d.fragLen)
	for _, r := range d.byPivot {
		out = append(out, r.data...)
	}
	return out[:d.messageLen]
}
