// Package ur encodes and decodes the UR registry types wallets use to talk
// to an offline signer over QR codes: crypto-psbt (BCR-2020-006),
// eth-sign-request and eth-signature (EIP-4527), crypto-keypath and
// crypto-hdkey (BCR-2020-007) and crypto-account (BCR-2020-015). It deals in
// the CBOR message of one UR; package qr carries it as frames.
//
// CBOR comes from fxamacker/cbor, decoding with duplicate map keys,
// indefinite lengths and unknown fields refused and with small nesting and
// size limits, and encoding in core deterministic form, so that a value
// has one encoding.
package ur

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// UR registry type names.
const (
	TypeCryptoPSBT     = "crypto-psbt"
	TypePSBT           = "psbt" // the newer name of crypto-psbt
	TypeEthSignRequest = "eth-sign-request"
	TypeEthSignature   = "eth-signature"
	TypeCryptoHDKey    = "crypto-hdkey"
	TypeCryptoAccount  = "crypto-account"
)

// CBOR tags of the registry (BCR-2020-006).
const (
	tagUUID          = 37
	tagCryptoHDKey   = 303
	tagCryptoKeypath = 304
	tagCoinInfo      = 305
	tagWPKH          = 404
)

// MaxMessage bounds a CBOR message decoded here.
const MaxMessage = 512 << 10

// ErrUR wraps every decoding error.
var ErrUR = errors.New("invalid UR message")

var (
	decMode cbor.DecMode
	encMode cbor.EncMode
)

// decOptions refuse what could make two readers see different values:
// duplicate keys, indefinite lengths, unknown fields, invalid UTF-8; and
// bound the work.
func decOptions() cbor.DecOptions {
	return cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   8,
		MaxArrayElements:  64,
		MaxMapPairs:       16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}
}

func decode(data []byte, v any) error {
	if len(data) > MaxMessage {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrUR, len(data), MaxMessage)
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrUR, err)
	}
	return nil
}

// PSBT returns the PSBT a crypto-psbt (or psbt) message carries: a CBOR
// byte string.
func PSBT(msg []byte) ([]byte, error) {
	// The decoder would also fill a []byte from an array of small
	// integers; the type is a byte string, nothing else.
	if len(msg) == 0 || msg[0]>>5 != 2 {
		return nil, fmt.Errorf("%w: a crypto-psbt message is a CBOR byte string", ErrUR)
	}
	var b []byte
	if err := decode(msg, &b); err != nil {
		return nil, err
	}
	return b, nil
}

// EncodePSBT is the crypto-psbt message of a binary PSBT.
func EncodePSBT(psbt []byte) ([]byte, error) { return encMode.Marshal(psbt) }

// Keypath is a crypto-keypath: a derivation path, the fingerprint of the
// key it starts from, and optionally the depth of the derived key.
type Keypath struct {
	// Path are the child indexes; Hardened marks the hardened ones (a
	// threshold key refuses them, but they are decoded to say so).
	Path     []uint32
	Hardened []bool
	// SourceFingerprint is the BIP32 fingerprint (big-endian, as wallets
	// print it) of the key the path starts from; 0 when absent.
	SourceFingerprint uint32
	Depth             *uint8
}

type keypathCBOR struct {
	Components        []cbor.RawMessage `cbor:"1,keyasint"`
	SourceFingerprint uint32            `cbor:"2,keyasint,omitempty"`
	Depth             *uint8            `cbor:"3,keyasint,omitempty"`
}

func (k Keypath) cbor() keypathCBOR {
	c := keypathCBOR{Components: []cbor.RawMessage{}, SourceFingerprint: k.SourceFingerprint, Depth: k.Depth}
	for i, x := range k.Path {
		idx, _ := encMode.Marshal(x)
		h, _ := encMode.Marshal(i < len(k.Hardened) && k.Hardened[i])
		c.Components = append(c.Components, idx, h)
	}
	return c
}

func keypathFrom(c keypathCBOR) (*Keypath, error) {
	if len(c.Components)%2 != 0 {
		return nil, fmt.Errorf("%w: keypath components come in pairs (index, hardened)", ErrUR)
	}
	k := &Keypath{SourceFingerprint: c.SourceFingerprint, Depth: c.Depth}
	for i := 0; i < len(c.Components); i += 2 {
		var idx uint32
		if err := decMode.Unmarshal(c.Components[i], &idx); err != nil {
			return nil, fmt.Errorf("%w: keypath component %d is not a single child index (ranges and wildcards name no one key): %v", ErrUR, i/2, err)
		}
		if idx >= 1<<31 {
			return nil, fmt.Errorf("%w: keypath index %d is not below 2^31", ErrUR, idx)
		}
		var h bool
		if err := decMode.Unmarshal(c.Components[i+1], &h); err != nil {
			return nil, fmt.Errorf("%w: keypath component %d: hardened flag: %v", ErrUR, i/2, err)
		}
		k.Path = append(k.Path, idx)
		k.Hardened = append(k.Hardened, h)
	}
	return k, nil
}

// String is the path as text, hardened indexes marked with "'".
func (k *Keypath) String() string {
	s := "m"
	for i, x := range k.Path {
		s += fmt.Sprintf("/%d", x)
		if k.Hardened[i] {
			s += "'"
		}
	}
	return s
}
