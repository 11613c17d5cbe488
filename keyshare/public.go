// Package keyshare defines a threshold key's results: the public key file
// (public.json), identical on every party, and each party's encrypted key
// share (share.age).
package keyshare

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/strictjson"
)

// PublicFormat is the magic value of public.json's "format" member.
const PublicFormat = "coldsig/public/v1"

// Curve names as they appear in files and on the command line.
const (
	CurveSecp256k1 = "secp256k1"
	CurveEd25519   = "ed25519"
)

// Public is public.json: what every party of a key agrees on after keygen
// or resharing. It holds nothing secret.
type Public struct {
	Format string `json:"format"`
	Curve  string `json:"curve"`
	// Threshold is the number of signers needed (the user's number: 2 for
	// 2-of-3), not tss-lib's t.
	Threshold int `json:"threshold"`
	// Parties is the committee holding shares, in tss-lib index order.
	Parties []Party `json:"parties"`
	// PublicKey is hex: 33-byte compressed SEC1 for secp256k1, 32 bytes for
	// ed25519.
	PublicKey string `json:"public_key"`
	// EthAddress is the EIP-55 address (secp256k1 only).
	EthAddress string `json:"eth_address,omitempty"`
	// KeyID is the first 16 bytes of SHA-256("coldsig key id v1\x00" ||
	// curve || 0x00 || public key bytes), hex.
	KeyID string `json:"key_id"`
	// Session is the hex session id of the ceremony that produced this
	// committee's shares (keygen or reshare).
	Session string `json:"session"`
	// Transcript is the hex digest of the ceremony transcript; it is the
	// same on every honest party.
	Transcript string `json:"transcript"`
}

// Party is one share holder as listed in public.json.
type Party struct {
	// Index is the 1-based position in the committee.
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Card is the hex SHA-256 fingerprint of the party's card.
	Card string `json:"card"`
	// ShareKey is the tss-lib party key (hex big-endian), which identifies
	// the share's evaluation point; fresh per committee.
	ShareKey string `json:"share_key"`
}

// Fingerprint is the party's card fingerprint (Validate has checked that
// Card is 32 bytes of lowercase hex).
func (p Party) Fingerprint() [32]byte {
	var fp [32]byte
	hex.Decode(fp[:], []byte(p.Card))
	return fp
}

// ErrPublic wraps every validation error of a public.json.
var ErrPublic = errors.New("invalid public key file")

// MaxPublicSize bounds a public.json file: the largest committee
// (MaxParties parties, about 330 bytes each) is under 100 KB.
const MaxPublicSize = 256 << 10

// LoadPublic reads, size-checks and parses a public.json file. It is the
// one loader every command uses; errors name the file.
func LoadPublic(path string) (*Public, error) {
	data, err := boundedio.ReadFile(path, MaxPublicSize)
	if err != nil {
		return nil, err
	}
	p, err := ParsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePublic decodes and validates public.json. Unknown members,
// duplicate keys and trailing data are refused (strictjson), so that a
// newer file is not silently half-read and a file means one thing to
// every reader.
func ParsePublic(data []byte) (*Public, error) {
	if len(data) > MaxPublicSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrPublic, len(data), MaxPublicSize)
	}
	var p Public
	if err := strictjson.Decode(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPublic, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks the invariants of a public key file.
func (p *Public) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrPublic, fmt.Sprintf(format, args...))
	}
	if p.Format != PublicFormat {
		if p.Format == "" {
			return bad("no \"format\" member; not a coldsig public key file")
		}
		return bad("format %q is not supported (this coldsig reads %q)", p.Format, PublicFormat)
	}
	var keyLen int
	switch p.Curve {
	case CurveSecp256k1:
		keyLen = 33
	case CurveEd25519:
		keyLen = 32
		if p.EthAddress != "" {
			return bad("eth_address is only defined for secp256k1")
		}
	default:
		return bad("unknown curve %q", p.Curve)
	}
	pk, err := hex.DecodeString(p.PublicKey)
	if err != nil || len(pk) != keyLen || hex.EncodeToString(pk) != p.PublicKey {
		return bad("public_key must be %d bytes of lowercase hex for %s", keyLen, p.Curve)
	}
	// Nothing in public.json is signed: every derived value is recomputed
	// from the key, and a key that is not a proper point is refused.
	if err := CheckPublicKey(p.Curve, pk); err != nil {
		return bad("public_key: %v", err)
	}
	if id := KeyID(p.Curve, pk); p.KeyID != id {
		return bad("key_id %s is not the key id of public_key (%s)", p.KeyID, id)
	}
	if p.Curve == CurveSecp256k1 && p.EthAddress != "" {
		// Optional (coldsig always writes it); never trusted when present.
		addr, err := EthAddress(pk)
		if err != nil || p.EthAddress != addr {
			return bad("eth_address %q is not the address of public_key (%s)", p.EthAddress, addr)
		}
	}
	if len(p.Parties) < 2 || len(p.Parties) > MaxParties {
		return bad("%d parties; a threshold key has 2 to %d", len(p.Parties), MaxParties)
	}
	if p.Threshold < 2 || p.Threshold > len(p.Parties) {
		return bad("threshold %d is outside 2..%d", p.Threshold, len(p.Parties))
	}
	seen := map[string]bool{}
	for i, party := range p.Parties {
		if party.Index != i+1 {
			return bad("party %d has index %d", i+1, party.Index)
		}
		// Lowercase only: a fingerprint has one spelling, so every
		// comparison (and the duplicate check below) is exact.
		if c, err := hex.DecodeString(party.Card); err != nil || len(c) != 32 || hex.EncodeToString(c) != party.Card {
			return bad("party %d: card must be a 32-byte fingerprint in lowercase hex", i+1)
		}
		if err := identity.ValidName(party.Name); err != nil {
			return bad("party %d: %v", i+1, err)
		}
		if seen[party.Card] {
			return bad("party %d: card %s appears twice", i+1, party.Card)
		}
		seen[party.Card] = true
		if _, err := hex.DecodeString(party.ShareKey); err != nil || party.ShareKey == "" {
			return bad("party %d: share_key must be hex", i+1)
		}
	}
	for name, v := range map[string]string{"key_id": p.KeyID, "session": p.Session, "transcript": p.Transcript} {
		want := map[string]int{"key_id": 16, "session": 32, "transcript": 32}[name]
		if b, err := hex.DecodeString(v); err != nil || len(b) != want {
			return bad("%s must be %d bytes of hex", name, want)
		}
	}
	return nil
}

// Marshal encodes public.json with stable member order and indentation, so
// every party writes identical bytes.
func (p *Public) Marshal() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
