// Package qr carries a byte payload as Blockchain Commons Uniform Resources
// (UR, BCR-2020-005): a stream of `ur:bytes/<seq>-<len>/<bytewords>` text
// frames, fountain-coded so that a camera may miss frames and see them in
// any order, each small enough for a reliably scannable QR code. It knows
// nothing of what the payload means.
//
// Encode and Encoder turn a payload into frame strings; Decoder turns frame
// strings back into the payload. render.go draws frames as QR images and
// scan.go reads them back from pictures.
package qr

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/coldsig/coldsig/internal/bytewords"
)

// URType is the UR type of every coldsig frame: a CBOR byte string holding
// the payload, which generic UR tools understand.
const URType = "bytes"

const (
	// MaxPayload is the largest payload accepted by default, in bytes.
	// The largest coldsig file (a keygen round-1 envelope) is ~134 KB.
	MaxPayload = 1 << 20

	// DefaultMaxFragmentLen is the default fountain fragment size in bytes.
	// See docs/format.md, "QR transport frames", for why.
	DefaultMaxFragmentLen = 300

	// MinFragmentLen is the reference encoder's lower bound.
	MinFragmentLen = 10

	// MaxSeqLen bounds the number of fragments a decoder accepts, and with
	// it the decoder's work (O(seqLen) per part to place, O(seqLen^2) bits
	// of state). A MaxPayload payload at the default fragment size needs
	// about 3500.
	MaxSeqLen = 4096
)

// Errors returned while decoding frames. Add wraps one of them with the
// detail; callers branch with errors.Is.
var (
	ErrNotUR          = errors.New("not a UR frame")
	ErrType           = errors.New("unsupported UR type")
	ErrMalformed      = errors.New("malformed UR frame")
	ErrFrameChecksum  = errors.New("damaged frame (bytewords checksum mismatch)")
	ErrTooLarge       = errors.New("declared payload too large")
	ErrOtherPayload   = errors.New("frame belongs to another payload")
	ErrPayloadCorrupt = errors.New("reassembled payload does not match its checksum")
	ErrIncomplete     = errors.New("payload not complete")
)

// Defaults of the frames coldsig writes; every caller (qr encode, join and
// step --qr) takes them from here.
const (
	// DefaultRedundancy is the extra frames written beyond the minimum, as
	// a fraction of it: 0.5 means that with a quarter of the frames lost
	// the payload still arrives.
	DefaultRedundancy = 0.5
)

// Options tunes the encoder. A nil *Options means DefaultOptions.
type Options struct {
	// MaxFragmentLen is the largest fragment in bytes (0 means
	// DefaultMaxFragmentLen). Frames carry about twice that many
	// characters.
	MaxFragmentLen int
	// Redundancy is how many frames Frames and Encode return beyond the
	// minimum, as a fraction of it; 0 means none beyond the minimum.
	Redundancy float64
	// AnyOneMayBeLost makes Frames choose the extra frames (at least one)
	// so that the payload is rebuilt from the frames without any single
	// one of them: for printed pages, where one smudged page must not lose
	// the payload. Without it the extra frames are the next ones of the
	// fountain stream, which a camera that misses frames at random needs.
	AnyOneMayBeLost bool
}

// DefaultOptions are the frame settings of 'coldsig qr encode'.
var DefaultOptions = Options{MaxFragmentLen: DefaultMaxFragmentLen, Redundancy: DefaultRedundancy}

func (o *Options) orDefault() Options {
	if o == nil {
		return DefaultOptions
	}
	c := *o
	if c.MaxFragmentLen <= 0 {
		c.MaxFragmentLen = DefaultMaxFragmentLen
	}
	c.MaxFragmentLen = max(c.MaxFragmentLen, MinFragmentLen)
	return c
}

// Encoder produces an endless stream of frames for one payload. The first
// SeqLen frames carry one fragment each; later ones mix several, so any
// SeqLen-or-a-few-more distinct frames usually rebuild the payload.
type Encoder struct {
	opts   Options
	typ    string
	f      *fountainEncoder
	single string
}

// NewEncoder prepares payload for framing.
func NewEncoder(payload []byte, opts *Options) (*Encoder, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(payload), MaxPayload)
	}
	return NewTypedEncoder(URType, wrapBytes(payload), opts)
}

// NewTypedEncoder frames message, the CBOR encoding of a value of a UR
// registry type (for example "eth-signature", "crypto-account"), as URs
// of that type, for wallets that speak it.
func NewTypedEncoder(urType string, message []byte, opts *Options) (*Encoder, error) {
	if !validType(urType) {
		return nil, fmt.Errorf("qr: invalid UR type %q", urType)
	}
	if len(message) == 0 || len(message) > MaxPayload+9 {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(message), MaxPayload)
	}
	o := opts.orDefault()
	if o.Redundancy < 0 || math.IsNaN(o.Redundancy) || math.IsInf(o.Redundancy, 0) {
		return nil, fmt.Errorf("qr: redundancy %g: must be 0 or more", o.Redundancy)
	}
	e := &Encoder{opts: o, typ: urType, f: newFountainEncoder(message, o.MaxFragmentLen, MinFragmentLen)}
	if e.f.seqLen() == 1 {
		e.single = "UR:" + strings.ToUpper(urType) + "/" + strings.ToUpper(bytewords.EncodeMinimal(message))
	}
	return e, nil
}

// SeqLen is the number of fragments: the fewest frames that can carry the
// payload.
func (e *Encoder) SeqLen() int { return e.f.seqLen() }

// Next returns the next frame, in upper case so that it fits the QR
// alphanumeric mode. A payload that fits one fragment is always the same
// single-part UR `UR:BYTES/<body>`.
func (e *Encoder) Next() string {
	if e.single != "" {
		return e.single
	}
	return e.formatPart(e.f.next())
}

func (e *Encoder) formatPart(p part) string {
	return fmt.Sprintf("UR:%s/%d-%d/%s", strings.ToUpper(e.typ), p.seqNum, p.seqLen,
		strings.ToUpper(bytewords.EncodeMinimal(p.cbor())))
}

// Frames returns the frames to write for the payload: SeqLen of them plus
// Redundancy times as many again, from the start of the stream whatever
// Next has returned. A payload that fits one fragment is a single frame,
// written twice when AnyOneMayBeLost.
func (e *Encoder) Frames() []string {
	extra := int(math.Ceil(float64(e.SeqLen())*e.opts.Redundancy - 1e-9))
	if e.opts.AnyOneMayBeLost {
		extra = max(extra, 1)
	}
	if e.single != "" {
		if e.opts.AnyOneMayBeLost {
			return []string{e.single, e.single}
		}
		return []string{e.single}
	}
	seqNums := make([]uint32, 0, e.SeqLen()+extra)
	for i := 1; i <= e.SeqLen(); i++ {
		seqNums = append(seqNums, uint32(i))
	}
	if e.opts.AnyOneMayBeLost {
		seqNums = append(seqNums, e.coveringParts(extra)...)
	} else {
		for i := 1; i <= extra; i++ {
			seqNums = append(seqNums, uint32(e.SeqLen()+i))
		}
	}
	out := make([]string, len(seqNums))
	for i, n := range seqNums {
		out[i] = e.formatPart(e.f.partAt(n))
	}
	return out
}

// coveringParts picks n mixed parts from the stream after the first SeqLen
// such that every fragment is in at least one of them, the fragments least
// covered so far first. Then any one frame may be lost: without a pure part
// i, the remaining pure parts and a mixed part holding fragment i give
// fragment i back; without a mixed part, the pure parts are all there.
func (e *Encoder) coveringParts(n int) []uint32 {
	const candidates = 4096
	seqLen := e.SeqLen()
	cover := make([]int, seqLen)
	used := map[uint32]bool{}
	var out []uint32
	for len(out) < n || slices.Contains(cover, 0) {
		least := slices.Min(cover)
		best, bestScore := uint32(0), -1
		for s := uint32(seqLen + 1); s <= uint32(seqLen+candidates); s++ {
			if used[s] {
				continue
			}
			score := 0
			for _, i := range e.f.fragmentsOf(s) {
				if cover[i] == least {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = s, score
			}
		}
		if bestScore <= 0 && least == 0 {
			// Not reached: among thousands of parts of random degree one
			// covers every fragment. Fall back to the plain stream.
			break
		}
		used[best] = true
		out = append(out, best)
		for _, i := range e.f.fragmentsOf(best) {
			cover[i]++
		}
	}
	return out
}

// Encode returns NewEncoder(payload, opts).Frames().
func Encode(payload []byte, opts *Options) ([]string, error) {
	e, err := NewEncoder(payload, opts)
	if err != nil {
		return nil, err
	}
	return e.Frames(), nil
}

// Decoder reassembles a payload from frames given in any order. The first
// valid frame fixes which payload is being decoded; frames of any other
// payload are refused with ErrOtherPayload and never mixed in. The zero
// value is ready to use and accepts payloads up to MaxPayload.
type Decoder struct {
	// MaxPayload overrides the package MaxPayload when positive.
	MaxPayload int
	// Types are the UR types accepted (nil: URType only). For a type
	// other than URType, Result returns the reassembled CBOR message
	// itself, for the caller to decode as its registry type says; Type
	// names the type of the payload being decoded.
	Types []string

	typ string

	f      *fountainDecoder
	single *singleState
	result []byte
	err    error
	frames int
}

type singleState struct {
	messageLen int
	checksum   uint32
}

// Add feeds one frame (surrounding white space is ignored, case is not
// significant) and returns the fraction of the payload's fragments
// recovered so far. Duplicates are accepted and change nothing. Once the
// payload is complete, further frames are ignored.
func (d *Decoder) Add(frame string) (float64, error) {
	if d.err != nil {
		return d.Progress(), d.err
	}
	if d.result != nil {
		return 1, nil
	}
	typ, seq, body, err := splitUR(frame)
	if err != nil {
		return d.Progress(), err
	}
	if err := d.acceptType(typ); err != nil {
		return d.Progress(), err
	}
	msg, err := bytewords.Decode(bytewords.Minimal, body)
	if err != nil {
		if errors.Is(err, bytewords.ErrChecksum) {
			return d.Progress(), fmt.Errorf("%w: %v", ErrFrameChecksum, err)
		}
		return d.Progress(), fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if seq == "" {
		return d.addSingle(typ, msg)
	}
	seqNum, seqLen, err := parseSeq(seq)
	if err != nil {
		return d.Progress(), err
	}
	p, err := parsePart(msg)
	if err != nil {
		return d.Progress(), err
	}
	if p.seqNum != seqNum || uint64(p.seqLen) != seqLen {
		return d.Progress(), fmt.Errorf("%w: sequence %s disagrees with the frame body (%d-%d)", ErrMalformed, seq, p.seqNum, p.seqLen)
	}
	if err := d.checkPart(p); err != nil {
		return d.Progress(), err
	}
	if d.single != nil {
		return d.Progress(), d.otherPayload(p.messageLen, p.checksum)
	}
	if d.f == nil {
		d.f = newFountainDecoder(p)
	} else if p.seqLen != d.f.seqLen || p.messageLen != d.f.messageLen || p.checksum != d.f.checksum || len(p.data) != d.f.fragLen {
		return d.Progress(), d.otherPayload(p.messageLen, p.checksum)
	}
	d.frames++
	d.typ = typ
	d.f.add(p)
	if d.f.complete() {
		d.finish(d.f.message(), d.f.checksum)
	}
	return d.Progress(), d.err
}

func (d *Decoder) acceptType(typ string) error {
	types := d.Types
	if types == nil {
		types = []string{URType}
	}
	if !slices.Contains(types, typ) {
		return fmt.Errorf("%w %q (want %s)", ErrType, clip(typ), strings.Join(types, " or "))
	}
	if d.typ != "" && typ != d.typ {
		return fmt.Errorf("%w: a %s frame while decoding %s", ErrOtherPayload, typ, d.typ)
	}
	return nil
}

// Type is the UR type of the payload being decoded ("" before the first
// frame).
func (d *Decoder) Type() string { return d.typ }

func validType(t string) bool {
	if t == "" {
		return false
	}
	for _, c := range t {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (d *Decoder) maxMessage() int {
	m := d.MaxPayload
	if m <= 0 {
		m = MaxPayload
	}
	return len(appendHead(nil, 2, uint64(m))) + m
}

// checkPart rejects parts whose header is impossible or too large before
// anything is allocated for them.
func (d *Decoder) checkPart(p part) error {
	switch {
	case p.seqNum == 0:
		return fmt.Errorf("%w: sequence number 0", ErrMalformed)
	case p.seqLen == 0:
		return fmt.Errorf("%w: sequence length 0", ErrMalformed)
	case p.messageLen == 0:
		return fmt.Errorf("%w: message length 0", ErrMalformed)
	case len(p.data) == 0:
		return fmt.Errorf("%w: empty fragment", ErrMalformed)
	case p.messageLen > d.maxMessage():
		return fmt.Errorf("%w: frame declares %d bytes, the limit is %d", ErrTooLarge, p.messageLen, d.maxMessage())
	case p.seqLen > MaxSeqLen:
		return fmt.Errorf("%w: frame declares %d fragments, the limit is %d", ErrTooLarge, p.seqLen, MaxSeqLen)
	case p.seqLen != (p.messageLen+len(p.data)-1)/len(p.data):
		return fmt.Errorf("%w: %d fragments of %d bytes cannot hold exactly %d bytes", ErrMalformed, p.seqLen, len(p.data), p.messageLen)
	}
	return nil
}

func (d *Decoder) addSingle(typ string, msg []byte) (float64, error) {
	sum := crc32.ChecksumIEEE(msg)
	if len(msg) > d.maxMessage() {
		return d.Progress(), fmt.Errorf("%w: frame holds %d bytes, the limit is %d", ErrTooLarge, len(msg), d.maxMessage())
	}
	if d.f != nil {
		return d.Progress(), d.otherPayload(len(msg), sum)
	}
	d.frames++
	d.typ = typ
	d.single = &singleState{len(msg), sum}
	d.finish(msg, sum)
	return d.Progress(), d.err
}

func (d *Decoder) otherPayload(messageLen int, checksum uint32) error {
	wantLen, wantSum := 0, uint32(0)
	if d.f != nil {
		wantLen, wantSum = d.f.messageLen, d.f.checksum
	} else if d.single != nil {
		wantLen, wantSum = d.single.messageLen, d.single.checksum
	}
	return fmt.Errorf("%w (%d bytes, checksum %08x; decoding %d bytes, checksum %08x)",
		ErrOtherPayload, messageLen, checksum, wantLen, wantSum)
}

func (d *Decoder) finish(msg []byte, sum uint32) {
	if crc32.ChecksumIEEE(msg) != sum {
		d.err = ErrPayloadCorrupt
		return
	}
	if d.typ != URType {
		d.result = msg
		return
	}
	payload, err := unwrapBytes(msg)
	if err != nil {
		d.err = err
		return
	}
	if payload == nil {
		payload = []byte{}
	}
	d.result = payload
}

// Progress is the fraction of the payload recovered, from 0 to 1: the rank
// of the received parts over the number of fragments. It only grows, and it
// is 1 exactly when the payload is complete.
func (d *Decoder) Progress() float64 {
	switch {
	case d.result != nil:
		return 1
	case d.f != nil:
		return float64(d.f.rank()) / float64(d.f.seqLen)
	}
	return 0
}

// Frames is the number of valid frames of this payload accepted so far,
// duplicates included.
func (d *Decoder) Frames() int { return d.frames }

// SeqLen is the payload's number of fragments, or 0 before the first
// multipart frame.
func (d *Decoder) SeqLen() int {
	if d.f != nil {
		return d.f.seqLen
	}
	if d.single != nil {
		return 1
	}
	return 0
}

// Err returns the decoder's terminal error: non-nil once all fragments
// arrived but the reassembled payload failed its checksum or is not a CBOR
// byte string. Every later Add returns it too.
func (d *Decoder) Err() error { return d.err }

// Complete reports whether the payload is recovered and its checksum
// verified.
func (d *Decoder) Complete() bool { return d.result != nil }

// Result returns the payload once Complete; ErrPayloadCorrupt if the
// reassembled payload failed its checksum, ErrMalformed if it is not a CBOR
// byte string, or ErrIncomplete.
func (d *Decoder) Result() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.result == nil {
		// Counted as an officer counts: frames that brought something new,
		// against the fewest that can rebuild the file.
		got := 0
		if d.f != nil {
			got = d.f.rank()
		}
		return nil, fmt.Errorf("%w: %d of at least %d frames", ErrIncomplete, got, d.SeqLen())
	}
	return d.result, nil
}

// splitUR splits `ur:<type>[/<seq>]/<body>` (any case, surrounding space
// ignored) into lowercase components.
func splitUR(s string) (typ, seq, body string, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	rest, ok := strings.CutPrefix(s, "ur:")
	if !ok {
		return "", "", "", fmt.Errorf("%w: does not start with \"ur:\" (%q)", ErrNotUR, clip(s))
	}
	comps := strings.Split(rest, "/")
	for _, c := range comps {
		if c == "" {
			return "", "", "", fmt.Errorf("%w: empty path component", ErrMalformed)
		}
	}
	switch len(comps) {
	case 2:
		typ, body = comps[0], comps[1]
	case 3:
		typ, seq, body = comps[0], comps[1], comps[2]
	default:
		return "", "", "", fmt.Errorf("%w: %d path components, want 2 or 3", ErrMalformed, len(comps))
	}
	for _, c := range typ {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return "", "", "", fmt.Errorf("%w: invalid type %q", ErrMalformed, clip(typ))
		}
	}
	return typ, seq, body, nil
}

// parseSeq parses `<seqNum>-<seqLen>`, both positive decimal.
func parseSeq(s string) (uint32, uint64, error) {
	a, b, ok := strings.Cut(s, "-")
	n, err1 := parseDecimal(a)
	l, err2 := parseDecimal(b)
	if !ok || err1 != nil || err2 != nil || n == 0 || l == 0 || n > 0xffffffff {
		return 0, 0, fmt.Errorf("%w: bad sequence %q", ErrMalformed, clip(s))
	}
	return uint32(n), l, nil
}

func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 10, 64)
}

func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}
