// Package keyshare defines a threshold key's results: the public key file
// (public.json), identical on every party, and each party's encrypted key
// share (share.age).
package keyshare

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/strictjson"
)

// PublicFormat is the magic value of public.json's "format" member.
// PublicFormatV2 adds the HD members (xpub, xpub_fingerprint, descriptor)
// of a key with a chain code; a key without one is written as v1, byte for
// byte as before.
const (
	PublicFormat   = "coldsig/public/v1"
	PublicFormatV2 = "coldsig/public/v2"
)

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
	// XPub is the account extended public key (BIP32, mainnet "xpub",
	// depth 0): the public key with the key's chain code (v2 only).
	XPub string `json:"xpub,omitempty"`
	// XPubFingerprint is HASH160(public key)[:4], hex: the key origin
	// fingerprint wallets show (v2 only).
	XPubFingerprint string `json:"xpub_fingerprint,omitempty"`
	// Descriptor is the watch-only output descriptor of the receive
	// addresses m/0/i: wpkh([fingerprint]xpub/0/*)#checksum (v2 only).
	Descriptor string `json:"descriptor,omitempty"`
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
	if p.Format != PublicFormat && p.Format != PublicFormatV2 {
		if p.Format == "" {
			return bad("no \"format\" member; not a coldsig public key file")
		}
		return bad("format %q is not supported (this coldsig reads %q and %q)", p.Format, PublicFormat, PublicFormatV2)
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
	if err := p.validateHD(pk); err != nil {
		return bad("%v", err)
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

// validateHD checks the v2 members: present exactly in v2, for secp256k1,
// and all three derived from the public key and one chain code.
func (p *Public) validateHD(pub []byte) error {
	if p.Format == PublicFormat {
		if p.XPub != "" || p.XPubFingerprint != "" || p.Descriptor != "" {
			return errors.New("xpub, xpub_fingerprint and descriptor need format " + PublicFormatV2)
		}
		return nil
	}
	if p.Curve != CurveSecp256k1 {
		return fmt.Errorf("an xpub is defined for secp256k1 keys only, not %s (%s is for HD keys)", p.Curve, PublicFormatV2)
	}
	k, err := hd.ParseXPub(p.XPub)
	if err != nil {
		return fmt.Errorf("xpub: %w", err)
	}
	if k.Depth != 0 || k.ChildIndex != 0 || k.ParentFP != ([4]byte{}) || !bytes.Equal(k.PublicKey, pub) {
		return errors.New("xpub is not the account key of public_key (depth 0, same key)")
	}
	if k.ChainCode == ([32]byte{}) {
		return errors.New("xpub has an all-zero chain code")
	}
	fp := k.Fingerprint()
	if p.XPubFingerprint != hex.EncodeToString(fp[:]) {
		return fmt.Errorf("xpub_fingerprint %q is not %x", p.XPubFingerprint, fp)
	}
	if want := k.ReceiveDescriptor(); p.Descriptor != want {
		return fmt.Errorf("descriptor %q is not %q", p.Descriptor, want)
	}
	return nil
}

// ChainCode returns the key's BIP32 chain code, if it has one (v2).
func (p *Public) ChainCode() ([32]byte, bool) {
	if p.XPub == "" {
		return [32]byte{}, false
	}
	k, err := hd.ParseXPub(p.XPub)
	if err != nil {
		return [32]byte{}, false
	}
	return k.ChainCode, true
}

// xpubWordsDomain separates the xpub words from every other digest shown
// as words.
const xpubWordsDomain = "coldsig/xpub-words/v1\x00"

// XPubWords are the fingerprint words of the key's xpub ("" without one):
// the bytewords of SHA-256(xpubWordsDomain || xpub). public.json is not
// signed, and an edited chain code in its xpub would pair a watch-only
// wallet with addresses the key can never sign for; officers read these
// words aloud when the keygen finishes, record them, and compare them
// before pairing a wallet ('coldsig account').
func (p *Public) XPubWords() string {
	if p.XPub == "" {
		return ""
	}
	return identity.DigestWords(sha256.Sum256([]byte(xpubWordsDomain + p.XPub)))
}

// Account returns the key's extended public key (nil without a chain code).
func (p *Public) Account() *hd.Key {
	if p.XPub == "" {
		return nil
	}
	k, err := hd.ParseXPub(p.XPub)
	if err != nil {
		return nil
	}
	return k
}

// SetChainCode makes p an HD key file (v2) with the given chain code;
// nil leaves it without (v1). PublicKey must be set.
func (p *Public) SetChainCode(cc []byte) error {
	if cc == nil {
		p.Format, p.XPub, p.XPubFingerprint, p.Descriptor = PublicFormat, "", "", ""
		return nil
	}
	pub, err := hex.DecodeString(p.PublicKey)
	if err != nil {
		return err
	}
	var c [32]byte
	if len(cc) != 32 {
		return errors.New("chain code must be 32 bytes")
	}
	copy(c[:], cc)
	k, err := hd.Master(pub, c)
	if err != nil {
		return err
	}
	fp := k.Fingerprint()
	p.Format, p.XPub, p.XPubFingerprint, p.Descriptor = PublicFormatV2, k.XPub(), hex.EncodeToString(fp[:]), k.ReceiveDescriptor()
	return nil
}

// KeyAt is the compressed public key that signs at path: the key itself
// for an empty path, else its non-hardened BIP32 child (derived from the
// xpub, so a key without a chain code has no children).
func (p *Public) KeyAt(path hd.Path) ([]byte, error) {
	pub, err := hex.DecodeString(p.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: public_key: %v", ErrPublic, err)
	}
	if len(path) == 0 {
		return pub, nil
	}
	acct := p.Account()
	if acct == nil {
		return nil, fmt.Errorf("key %s has no chain code, so it has no child %s", p.KeyID, path)
	}
	child, _, err := acct.Derive(path)
	if err != nil {
		return nil, err
	}
	return child.PublicKey, nil
}

// Holds reports whether the card with fingerprint fp holds a share of the
// key: a card of another committee, or a renewed card, does not.
func (p *Public) Holds(fp [32]byte) bool {
	for _, q := range p.Parties {
		if q.Fingerprint() == fp {
			return true
		}
	}
	return false
}
