// Package plan defines the ceremony plan: the one file every party of a
// keygen, signing or resharing ceremony loads, and that every officer
// confirms aloud (by its fingerprint words) before anything secret is
// computed.
//
// A plan names the session, the protocol, the curve, the threshold in the
// user's wording (signers needed), and every party's card in full, so a
// party needs nothing else to know whom it talks to. Signing and resharing
// plans also carry the key (from public.json) and, for signing, exactly what
// will be signed.
//
// The encoding is a textrec record with magic "coldsig/plan/v1"; it is
// canonical, so the plan fingerprint (SHA-256 of the file's bytes) names its
// content. The format is specified in docs/format.md ("Ceremony plan").
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/txn"
)

// Magic is the first line of a plan file. MagicV2 starts a plan that uses
// what v1 cannot say: several items to sign (a batch), a derivation path,
// or a key with a chain code. A plan without any of them is written as v1,
// byte for byte as before, so older binaries still read it.
const (
	Magic   = "coldsig/plan/v1"
	MagicV2 = "coldsig/plan/v2"
)

// Bounds. They are part of the format: a plan outside them is refused.
const (
	// MaxParties bounds every committee: keygen parties, signers, the old
	// and the new committee of a resharing, and the key's own party list.
	// ECDSA keygen and resharing cost grows with n^2 messages of ~130 KB
	// each on air-gapped transport; 16 is far beyond any real ceremony.
	MaxParties = 16
	// MaxMessage bounds a message to sign, in bytes. Plans travel as QR
	// codes (2,953 bytes each) and officers read the message before signing.
	MaxMessage = 4096
	// MaxFileName bounds the recorded file name of a "file" payload.
	MaxFileName = 255
	// MaxItems bounds the payloads of one signing (a batch). Each item
	// adds its tss-lib messages to every envelope of the round: ECDSA
	// signing round 2 sends ~6.9 KB per item and recipient, so 64 items
	// stay below the envelope payload bound (512 KiB).
	MaxItems = 64
	// maxPlanSize bounds what Load reads. A maximal reshare plan (16 key
	// parties, 16 old, 16 new) is ~12 KB; a sign plan with MaxItems
	// messages of MaxMessage bytes is ~360 KB.
	maxPlanSize = 512 << 10
)

// Protocol is the ceremony a plan is for.
type Protocol string

// Protocols, as written in the "protocol" field.
const (
	Keygen  Protocol = "keygen"
	Sign    Protocol = "sign"
	Reshare Protocol = "reshare"
)

// Sentinel errors. Every validation error wraps ErrInvalid; the more
// specific ones are also wrapped where callers (and the CLI's hints) may
// want to branch.
var (
	ErrInvalid   = errors.New("invalid plan")
	ErrNotPlan   = errors.New("not a coldsig plan")
	ErrThreshold = errors.New("threshold out of range")
	ErrDuplicate = errors.New("duplicate party")
	ErrNotHolder = errors.New("not a holder of the key")
	ErrTooFew    = errors.New("too few parties")
	ErrTooMany   = errors.New("too many parties")
	ErrPayload   = errors.New("invalid payload")
	ErrTooLarge  = errors.New("file too large for a plan")
	// ErrPath: a derivation path the key cannot use (an Ed25519 key, a
	// key without a chain code, a hardened index).
	ErrPath = errors.New("derivation path refused")
	// ErrTransaction: the plan's transaction is refused for this key (the
	// chain package's named error, btc.ErrChange, eth.ErrChainID, ...,
	// is wrapped too).
	ErrTransaction = errors.New("transaction refused")
)

// Plan is a parsed or newly built ceremony plan. Build one with NewKeygen,
// NewSign or NewReshare (or Parse/Load); a Plan built by hand must pass
// Marshal's validation before it is used.
type Plan struct {
	Protocol Protocol
	// Session is the ceremony's random 256-bit id; every envelope of the
	// ceremony is bound to it.
	Session [32]byte
	Curve   string
	// Threshold is the user's number (signers needed): keygen: of the new
	// key; reshare: of the new committee; sign: the key's (Key.Threshold).
	// It is never tss-lib's t (= Threshold-1).
	Threshold int

	// Parties is the keygen committee, in tss-lib index order (keygen only).
	Parties []*identity.Card

	// Key is the key being used (sign and reshare only).
	Key *Key
	// Signers are the signing parties in ascending key index order (sign).
	Signers []*identity.Card
	// Items are what will be signed, one signature each, in order (sign
	// only; 1 to MaxItems). They are signed in the same rounds: a batch
	// costs the officers no more trips than one signature.
	Items []*Item
	// Tx is the transaction the items sign (nil: the items stand alone).
	// Its bytes are bound by the plan, so every officer's confirmation
	// covers the same transaction; each laptop derives from them the
	// summary it shows and the digest of every item, which must be the
	// items' own (v2 sign plans only).
	Tx *txn.Request

	// Old is the current committee taking part, in ascending key index
	// order; New is the new committee in its new index order (reshare).
	Old []*identity.Card
	New []*identity.Card
}

// Key is the key a signing or resharing plan uses, as recorded in
// public.json.
type Key struct {
	ID        [16]byte
	PublicKey []byte
	// Session is the session of the ceremony that produced this
	// committee's shares; it tells apart committees of the same key.
	Session [32]byte
	// ChainCode is the key's BIP32 chain code (32 bytes; nil for a key
	// without one), from public.json's xpub. A reshare hands it to the new
	// committee; a signing derives child keys with it.
	ChainCode []byte
	Threshold int
	Parties   []KeyParty
}

// KeyParty is one share holder of the key.
type KeyParty struct {
	// Index is 1-based, in public.json order (tss-lib index order).
	Index int
	Name  string
	Card  [32]byte
	// ShareKey is the tss-lib party key, minimal big-endian (no leading
	// zero byte); it identifies the share's evaluation point.
	ShareKey []byte
}

// Fingerprint is SHA-256 of the plan's canonical bytes. A Plan is an
// exported, mutable struct, so a hand-built or altered one may not encode:
// that is an error, never a fingerprint of something else.
func (p *Plan) Fingerprint() ([32]byte, error) { return p.fingerprint() }

func (p *Plan) fingerprint() ([32]byte, error) {
	b, err := p.Marshal()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Roster is every slot's card in slot order: keygen: the parties; sign: the
// signers; reshare: the old committee then the new committee. A continuing
// member of a resharing appears twice (once per committee).
func (p *Plan) Roster() []*identity.Card {
	switch p.Protocol {
	case Keygen:
		return append([]*identity.Card(nil), p.Parties...)
	case Sign:
		return append([]*identity.Card(nil), p.Signers...)
	case Reshare:
		r := append([]*identity.Card(nil), p.Old...)
		return append(r, p.New...)
	}
	return nil
}

// Slots returns every 1-based slot held by the card with fingerprint fp.
// Only a continuing member of a resharing holds two (old, then new).
func (p *Plan) Slots(fp [32]byte) []int {
	var s []int
	for i, c := range p.Roster() {
		if c.Fingerprint() == fp {
			s = append(s, i+1)
		}
	}
	return s
}

// Slot returns the first 1-based slot of the card with fingerprint fp. For
// a resharing the old committee holds slots 1..len(Old) and the new
// committee len(Old)+1..len(Old)+len(New); a continuing member's Slot is its
// old slot and NewSlot its new one.
func (p *Plan) Slot(fp [32]byte) (int, bool) {
	s := p.Slots(fp)
	if len(s) == 0 {
		return 0, false
	}
	return s[0], true
}

// NewSlot returns the slot of fp in the new committee of a resharing.
func (p *Plan) NewSlot(fp [32]byte) (int, bool) {
	if p.Protocol != Reshare {
		return 0, false
	}
	for i, c := range p.New {
		if c.Fingerprint() == fp {
			return len(p.Old) + i + 1, true
		}
	}
	return 0, false
}

// KeyParty returns the key's party entry for the card with fingerprint fp
// (sign and reshare plans), which maps a signer or old member to its share.
func (p *Plan) KeyParty(fp [32]byte) (KeyParty, bool) {
	if p.Key == nil {
		return KeyParty{}, false
	}
	for _, kp := range p.Key.Parties {
		if kp.Card == fp {
			return kp, true
		}
	}
	return KeyParty{}, false
}

// SignedBytes is exactly what item i's signature covers (sign plans):
// for secp256k1 the 32-byte digest given to ECDSA; for ed25519 the message
// given to Ed25519 (the text, or the file's SHA-256 digest). The ceremony
// must hand tss-lib its full length (EdDSA fullBytesLen), since a message
// with leading zero bytes is otherwise shortened by big.Int.
func (p *Plan) SignedBytes(i int) []byte {
	if i < 0 || i >= len(p.Items) || p.Items[i].Payload == nil {
		return nil
	}
	return p.Items[i].Payload.signedBytes(p.Curve)
}

// Account is the key's extended public key (nil for a key without a chain
// code).
func (k *Key) Account() *hd.Key {
	if k == nil || k.ChainCode == nil {
		return nil
	}
	var cc [32]byte
	copy(cc[:], k.ChainCode)
	m, err := hd.Master(k.PublicKey, cc)
	if err != nil {
		return nil
	}
	return m
}

// SigningKey is the public key item i is signed with: the key itself, or
// its child at the item's path; delta is the tweak a signer adds to its
// share (zero without a path).
func (p *Plan) SigningKey(i int) (pub []byte, delta *big.Int, err error) {
	if i < 0 || i >= len(p.Items) || p.Key == nil {
		return nil, nil, fmt.Errorf("no item %d", i+1)
	}
	it := p.Items[i]
	if it.Path == nil {
		return append([]byte(nil), p.Key.PublicKey...), new(big.Int), nil
	}
	m := p.Key.Account()
	if m == nil {
		return nil, nil, errNoChainCode(p.Key)
	}
	child, delta, err := m.Derive(it.Path)
	if err != nil {
		return nil, nil, err
	}
	return child.PublicKey, delta, nil
}

// Load reads and parses a plan file. Errors name the file.
func Load(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxPlanSize {
		return nil, fmt.Errorf("%s: %w (more than %d bytes)", path, ErrTooLarge, maxPlanSize)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// keyFromPublic copies what a plan records of a public.json.
func keyFromPublic(pub *keyshare.Public) (*Key, error) {
	if pub == nil {
		return nil, invalid(nil, "no key")
	}
	if err := pub.Validate(); err != nil {
		return nil, err
	}
	k := &Key{Threshold: pub.Threshold}
	if cc, ok := pub.ChainCode(); ok {
		k.ChainCode = cc[:]
	}
	id, _ := hex.DecodeString(pub.KeyID)
	copy(k.ID[:], id)
	k.PublicKey, _ = hex.DecodeString(pub.PublicKey)
	sess, _ := hex.DecodeString(pub.Session)
	copy(k.Session[:], sess)
	for _, pp := range pub.Parties {
		kp := KeyParty{Index: pp.Index, Name: pp.Name}
		fp, _ := hex.DecodeString(pp.Card)
		copy(kp.Card[:], fp)
		sk, _ := hex.DecodeString(pp.ShareKey)
		for len(sk) > 0 && sk[0] == 0 {
			sk = sk[1:]
		}
		kp.ShareKey = sk
		k.Parties = append(k.Parties, kp)
	}
	return k, nil
}
