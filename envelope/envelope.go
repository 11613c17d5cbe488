package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"

	"filippo.io/age"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/textrec"

	"github.com/coldsig/coldsig/internal/agebytes"
)

// EnvelopeMagic is the magic line of an envelope's inner record.
const EnvelopeMagic = "coldsig/envelope/v1"

// ageMagic starts every binary age file.
const ageMagic = "age-encryption.org/v1\n"

// MaxEnvelopeSize bounds an envelope file (the outer age file). The largest
// tss-lib message (ECDSA resharing, ~175 KB) is ~240 KB once base64-encoded
// and encrypted; 1 MiB leaves room and stops a hostile file early.
const MaxEnvelopeSize = 1 << 20

// MaxPayloadSize bounds the tss-lib wire bytes in one envelope. Its base64
// form plus the header fields and the age overhead for any realistic number
// of recipients stays below MaxEnvelopeSize.
const MaxPayloadSize = 512 << 10

// MaxRound and MaxParty bound the header's numbers; real ceremonies use at
// most 9 rounds and a handful of parties.
const (
	MaxRound = 99
	MaxParty = 255
)

// SignatureDomain is prepended to the signed bytes so that an envelope
// signature can never be mistaken for a signature over anything else made
// with the same key.
const SignatureDomain = "coldsig/envelope/v1 signature\x00"

// Protocols lists the protocol names an envelope may carry.
var Protocols = []string{
	"ecdsa-keygen", "ecdsa-sign", "ecdsa-reshare",
	"eddsa-keygen", "eddsa-sign", "eddsa-reshare",
}

// Sentinel errors; returned errors wrap them with details.
var (
	ErrTooLarge     = boundedio.ErrTooLarge
	ErrNotEnvelope  = errors.New("not a coldsig envelope")
	ErrNotForMe     = errors.New("not encrypted to this party")
	ErrDamaged      = errors.New("damaged or tampered age file")
	ErrBadSignature = errors.New("bad envelope signature")
	ErrBadHeader    = errors.New("invalid envelope header")
	// ErrOtherAgeFile is an age file that decrypts with this party's
	// identity but holds no envelope: a key share, a backup shard or
	// pre-parameters left on a stick. It wraps ErrNotEnvelope.
	ErrOtherAgeFile = fmt.Errorf("%w: an age file encrypted to this party that holds something else", ErrNotEnvelope)
)

// ToAll is the Header.To value of a broadcast.
const ToAll = 0

// Header is the routing and binding information of an envelope. All of it
// is covered by the sender's signature.
type Header struct {
	// Session is the ceremony's session id; it binds every message to one
	// ceremony (tss-lib's own ssid does not, see docs/format.md).
	Session [32]byte
	// Protocol is one of Protocols.
	Protocol string
	// Round is the 1-based round number, at most MaxRound.
	Round int
	// From is the sender's 1-based slot in the plan's roster.
	From int
	// To is the recipient's slot, or ToAll for a broadcast.
	To int
	// Seq is the sender's per-session message counter.
	Seq uint64
	// Echo is the digest of the broadcasts the sender accepted in the
	// previous round (all zero in round 1); the ceremony layer defines it.
	Echo [32]byte
}

// Validate checks h's ranges.
func (h *Header) Validate() error {
	if h.Session == ([32]byte{}) {
		return fmt.Errorf("%w: all-zero session id", ErrBadHeader)
	}
	if !knownProtocol(h.Protocol) {
		return fmt.Errorf("%w: unknown protocol %q", ErrBadHeader, h.Protocol)
	}
	if h.Round < 1 || h.Round > MaxRound {
		return fmt.Errorf("%w: round %d out of range 1..%d", ErrBadHeader, h.Round, MaxRound)
	}
	if h.From < 1 || h.From > MaxParty {
		return fmt.Errorf("%w: sender slot %d out of range 1..%d", ErrBadHeader, h.From, MaxParty)
	}
	if h.To < 0 || h.To > MaxParty {
		return fmt.Errorf("%w: recipient slot %d out of range 1..%d", ErrBadHeader, h.To, MaxParty)
	}
	if h.To == h.From {
		return fmt.Errorf("%w: party %d addresses itself", ErrBadHeader, h.From)
	}
	return nil
}

func knownProtocol(p string) bool {
	for _, q := range Protocols {
		if p == q {
			return true
		}
	}
	return false
}

// ToString is the "to" field's value: a slot number or "all".
func (h *Header) ToString() string {
	if h.To == ToAll {
		return "all"
	}
	return strconv.Itoa(h.To)
}

// FileName is the conventional file name of an envelope:
//
//	cs-<first 8 hex digits of session>-<protocol>-r<round, 2 digits>-p<from>-to-p<to>.age
//	cs-<first 8 hex digits of session>-<protocol>-r<round, 2 digits>-p<from>-to-all.age
//
// The name only helps people sort a stick; readers trust the signed header,
// never the name.
func FileName(h Header) string {
	to := "all"
	if h.To != ToAll {
		to = "p" + strconv.Itoa(h.To)
	}
	return fmt.Sprintf("cs-%s-%s-r%02d-p%d-to-%s.age", hex.EncodeToString(h.Session[:4]), h.Protocol, h.Round, h.From, to)
}

// NameInfo is what an envelope's conventional file name says. Names are
// not authenticated: they only let a party see, without decrypting
// anything, what a stick seems to hold.
type NameInfo struct {
	// SessionPrefix is the first 4 bytes of the session id.
	SessionPrefix [4]byte
	Protocol      string
	Round, From   int
	// To is a slot, or ToAll.
	To int
}

var fileNameRE = regexp.MustCompile(`^cs-([0-9a-f]{8})-([a-z0-9-]+)-r([0-9]{2})-p([0-9]+)-to-(all|p[0-9]+)\.age$`)

// LastRound is the envelope files of paths (an outbox) of the highest
// round their names (FileName) say, in the order given: what the party's
// last committed step handed on. Other names are ignored.
func LastRound(paths []string) []string {
	last := 0
	var out []string
	for _, p := range paths {
		info, ok := ParseFileName(filepath.Base(p))
		switch {
		case !ok || info.Round < last:
		case info.Round > last:
			last, out = info.Round, []string{p}
		default:
			out = append(out, p)
		}
	}
	return out
}

// ParseFileName reads a name made by FileName; ok is false for any other
// name.
func ParseFileName(name string) (info NameInfo, ok bool) {
	m := fileNameRE.FindStringSubmatch(name)
	if m == nil {
		return info, false
	}
	hex.Decode(info.SessionPrefix[:], []byte(m[1]))
	info.Protocol = m[2]
	var err error
	if info.Round, err = strconv.Atoi(m[3]); err != nil || info.Round < 1 {
		return info, false
	}
	if info.From, err = strconv.Atoi(m[4]); err != nil || info.From < 1 || info.From > MaxParty {
		return info, false
	}
	if m[5] != "all" {
		if info.To, err = strconv.Atoi(m[5][1:]); err != nil || info.To < 1 || info.To > MaxParty {
			return info, false
		}
	}
	h := Header{Protocol: info.Protocol, Round: info.Round, From: info.From, To: info.To}
	copy(h.Session[:4], info.SessionPrefix[:])
	if FileName(h) != name {
		return info, false
	}
	return info, true
}

// Envelope is a decrypted, parsed envelope. Its signature is not checked
// until Verify.
type Envelope struct {
	Header
	Payload []byte
	// Inner is the decrypted record, signature line included.
	Inner []byte
	// Digest is SHA-256 of Inner; ceremonies use it to name and echo
	// envelopes.
	Digest    [32]byte
	Signature []byte
	// Path is the file the envelope was read from, set by Collect.
	Path string

	signedLen int
}

// Signed returns the record bytes the signature covers (without the domain
// prefix): everything before the signature line.
func (e *Envelope) Signed() []byte { return e.Inner[:e.signedLen] }

// DigestWords is the first 8 bytes of Digest as bytewords.
func (e *Envelope) DigestWords() string { return identity.DigestWords(e.Digest) }

// Verify checks the envelope's signature against the sender's card.
func (e *Envelope) Verify(sender *identity.Card) error {
	if sender == nil || len(sender.SigningKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: no signing key for party %d", ErrBadSignature, e.From)
	}
	if !ed25519.Verify(sender.SigningKey, signedMessage(e.Signed()), e.Signature) {
		return fmt.Errorf("%w: not signed by %s (party %d)", ErrBadSignature, sender.Name, e.From)
	}
	return nil
}

func signedMessage(record []byte) []byte {
	m := make([]byte, 0, len(SignatureDomain)+len(record))
	m = append(m, SignatureDomain...)
	return append(m, record...)
}

// SealInner builds and signs the inner record without encrypting it.
func SealInner(h Header, payload []byte, sender *identity.Identity) ([]byte, error) {
	if sender == nil || len(sender.Signing) != ed25519.PrivateKeySize {
		return nil, errors.New("no signing key")
	}
	signed, err := encodeSigned(h, payload)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(sender.Signing, signedMessage(signed))
	return append(signed, "signature: "+hex.EncodeToString(sig)+"\n"...), nil
}

// encodeSigned encodes every line of the record except the signature.
func encodeSigned(h Header, payload []byte) ([]byte, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrBadHeader)
	}
	if len(payload) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrTooLarge, len(payload), MaxPayloadSize)
	}
	w := textrec.NewWriter(EnvelopeMagic)
	w.Hex("session", h.Session[:])
	w.String("protocol", h.Protocol)
	w.Uint("round", uint64(h.Round))
	w.Uint("from", uint64(h.From))
	w.String("to", h.ToString())
	w.Uint("seq", h.Seq)
	w.Hex("echo", h.Echo[:])
	w.Base64("payload", payload)
	return w.Bytes()
}

// Seal signs h and payload with sender's key and encrypts the record to
// recipients (the recipient's card for a message to one party, every
// session party for a broadcast). The result is a plain age file.
func Seal(h Header, payload []byte, sender *identity.Identity, recipients []age.Recipient) ([]byte, error) {
	inner, err := SealInner(h, payload, sender)
	if err != nil {
		return nil, err
	}
	if len(recipients) == 0 {
		return nil, errors.New("no recipients")
	}
	out, err := agebytes.Encrypt(inner, recipients...)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: sealed envelope is %d bytes, limit %d", ErrTooLarge, len(out), MaxEnvelopeSize)
	}
	return out, nil
}

// Open checks the size bound, decrypts data with me's age identity and
// parses the inner record. It returns an error wrapping ErrNotForMe when no
// recipient stanza is for me. The signature is not checked: call Verify
// with the sender's card.
func Open(data []byte, me *identity.Identity) (*Envelope, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxEnvelopeSize)
	}
	if !bytes.HasPrefix(data, []byte(ageMagic)) {
		return nil, fmt.Errorf("%w: not an age file", ErrNotEnvelope)
	}
	r, err := age.Decrypt(bytes.NewReader(data), me.X25519)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, ErrNotForMe
		}
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	inner, err := io.ReadAll(io.LimitReader(r, MaxEnvelopeSize+1))
	if err != nil {
		clear(inner)
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	e, err := ParseInner(inner)
	if err != nil {
		// Not an envelope after all: a key share or a backup shard
		// encrypted to this identity (a stick holds them) decrypts here,
		// and must not stay on the heap in the clear.
		clear(inner)
		if err == ErrNotEnvelope {
			return nil, ErrOtherAgeFile
		}
	}
	return e, err
}

// ParseInner parses a decrypted envelope record.
func ParseInner(inner []byte) (*Envelope, error) {
	if len(inner) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: inner record of %d bytes", ErrTooLarge, len(inner))
	}
	rec, err := textrec.Parse(inner, EnvelopeMagic)
	if err != nil {
		if errors.Is(err, textrec.ErrNotRecord) {
			return nil, ErrNotEnvelope
		}
		return nil, err
	}
	r := rec.Reader()
	e := &Envelope{Inner: inner, Digest: sha256.Sum256(inner)}
	copy(e.Session[:], r.Hex("session", 32))
	protoF := r.Field("protocol")
	if r.Err() == nil {
		if !knownProtocol(protoF.Value) {
			r.Fail(protoF, "protocol: unknown protocol %q", protoF.Value)
		}
		e.Protocol = protoF.Value
	}
	e.Round = r.IntIn("round", 1, MaxRound)
	e.From = r.IntIn("from", 1, MaxParty)
	toF := r.Field("to")
	if r.Err() == nil && toF.Value != "all" {
		n, err := textrec.ParseUint(toF.Value, 1, MaxParty)
		if err != nil {
			r.Fail(toF, `to: want "all" or a party slot 1..%d`, MaxParty)
		} else if int(n) == e.From {
			r.Fail(toF, "to: party %d addresses itself", n)
		} else {
			e.To = int(n)
		}
	}
	e.Seq = r.Uint("seq")
	copy(e.Echo[:], r.Hex("echo", 32))
	payF := r.Field("payload")
	if r.Err() == nil {
		p, err := base64.StdEncoding.Strict().DecodeString(payF.Value)
		switch {
		case err != nil:
			r.Fail(payF, "payload: invalid base64")
		case len(p) > MaxPayloadSize:
			r.Fail(payF, "payload: %d bytes exceeds %d", len(p), MaxPayloadSize)
		default:
			e.Payload = p
		}
	}
	sigF := r.Field("signature")
	if r.Err() == nil {
		e.signedLen = sigF.Offset
		e.Signature = r.ParseHex(sigF, ed25519.SignatureSize)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if e.Session == ([32]byte{}) {
		return nil, &textrec.LineError{Line: 2, Msg: "session: all-zero session id"}
	}
	return e, nil
}
