// Package backup splits a party's key share across custodians so that any
// K of M of them can restore it and fewer learn nothing, and detects a
// corrupted, truncated, swapped-in or foreign shard before combining.
//
// The inner share record (keyshare.ShareMagic) is encrypted once under a
// fresh random 256-bit data key with ChaCha20-Poly1305; the data key is
// split K-of-M with Shamir's scheme (hashicorp/vault/shamir). Every shard
// carries the whole encrypted share, its own Shamir part, and a manifest
// identical in every shard of a backup: the backup's metadata, the hash of
// the encrypted share and a commitment (hash) to every shard's part, signed
// with the share owner's Ed25519 key. A shard therefore verifies on its own,
// and a bad one is named, not silently combined. Each shard is then
// age-encrypted to its custodian. The format is specified in
// docs/format.md ("Share backups").
//
// This package never imports ceremony.
package backup

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/agebytes"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/keyshare"
)

// ShardMagic is the first line of a shard's inner record.
const ShardMagic = "coldsig/shard/v1"

// Domain separators. Each hash or signature input starts with one, so a
// value computed for one purpose is never valid for another.
const (
	signatureDomain  = "coldsig/shard/v1 manifest\x00"
	commitmentDomain = "coldsig/shard/v1 commitment\x00"
	aeadDomain       = "coldsig/shard/v1 share\x00"
)

// MaxShards is the largest M: Shamir over GF(2^8) has 255 non-zero points.
const MaxShards = 255

// partLen is the length of a Shamir part of the 32-byte data key: 32 bytes
// of y values and one byte holding the x coordinate.
const partLen = 33

// maxCiphertext bounds the encrypted share a shard may carry; an ECDSA
// share is about 25 KB.
const maxCiphertext = 1 << 20

// timeLayout is how "created" is written: UTC, whole seconds.
const timeLayout = "2006-01-02T15:04:05Z"

// ErrShard wraps every error about a shard that is malformed, corrupted
// or inconsistent with itself.
var ErrShard = errors.New("invalid backup shard")

// Custodian is one entry of the manifest: who holds shard Index and the
// commitment to that shard's Shamir part.
type Custodian struct {
	Index      int
	Name       string
	Commitment [32]byte
}

// Shard is one custodian's backup shard (the plaintext inside the age
// file). All fields up to Signature form the manifest, which is
// byte-identical in every shard of one backup.
type Shard struct {
	BackupID [16]byte
	Created  time.Time
	KeyID    string // hex, as public.json
	Curve    string
	Party    int // the share's 1-based party index
	Owner    *identity.Card
	// Threshold is K, the number of shards needed; Custodians lists all M.
	Threshold      int
	CiphertextHash [32]byte
	Custodians     []Custodian
	Signature      []byte

	// Per-shard fields.
	Index      int
	Part       []byte
	Ciphertext []byte
}

// Shards is M.
func (s *Shard) Shards() int { return len(s.Custodians) }

// Custodian returns the name of the custodian holding this shard.
func (s *Shard) Custodian() string { return s.Custodians[s.Index-1].Name }

// BackupIDHex is the backup id in hex.
func (s *Shard) BackupIDHex() string { return hex.EncodeToString(s.BackupID[:]) }

func shardErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrShard, fmt.Sprintf(format, args...))
}

// encodeManifest writes the manifest fields; it is the signed prefix.
func (s *Shard) encodeManifest() *textrec.Writer {
	w := textrec.NewWriter(ShardMagic)
	w.Hex("backup-id", s.BackupID[:])
	w.String("created", s.Created.UTC().Format(timeLayout))
	w.String("key-id", s.KeyID)
	w.String("curve", s.Curve)
	w.Uint("party", uint64(s.Party))
	if s.Owner != nil {
		w.String("owner-name", s.Owner.Name)
		if s.Owner.Recipient != nil {
			w.String("owner-recipient", s.Owner.Recipient.String())
		}
		w.Hex("owner-signing-key", s.Owner.SigningKey)
	}
	w.Uint("threshold", uint64(s.Threshold))
	w.Uint("shards", uint64(len(s.Custodians)))
	w.Hex("ciphertext-sha256", s.CiphertextHash[:])
	for _, c := range s.Custodians {
		w.String("custodian", fmt.Sprintf("%d %x %s", c.Index, c.Commitment, c.Name))
	}
	return w
}

// Manifest returns the signed manifest bytes.
func (s *Shard) Manifest() ([]byte, error) { return s.encodeManifest().Bytes() }

// ManifestDigest is SHA-256 of the manifest and its signature: equal in
// every shard of a backup, so custodians can compare it aloud.
func (s *Shard) ManifestDigest() ([32]byte, error) {
	m, err := s.Manifest()
	if err != nil {
		return [32]byte{}, err
	}
	h := sha256.New()
	h.Write(m)
	h.Write(s.Signature)
	var d [32]byte
	h.Sum(d[:0])
	return d, nil
}

// Marshal encodes the shard's inner record.
func (s *Shard) Marshal() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	w := s.encodeManifest()
	w.Hex("signature", s.Signature)
	w.Uint("index", uint64(s.Index))
	w.Hex("part", s.Part)
	w.Base64("ciphertext", s.Ciphertext)
	return w.Bytes()
}

// validate checks the structural invariants every shard must meet.
func (s *Shard) validate() error {
	if _, err := hex.DecodeString(s.KeyID); err != nil || len(s.KeyID) != 32 || strings.ToLower(s.KeyID) != s.KeyID {
		return shardErr("key-id must be 16 bytes of lowercase hex")
	}
	if s.Curve != keyshare.CurveSecp256k1 && s.Curve != keyshare.CurveEd25519 {
		return shardErr("unknown curve %q", s.Curve)
	}
	if s.Party < 1 || s.Party > keyshare.MaxParties {
		return shardErr("party %d is outside 1..%d", s.Party, keyshare.MaxParties)
	}
	if s.Owner == nil {
		return shardErr("no owner card")
	}
	if err := s.Owner.Validate(); err != nil {
		return shardErr("owner card: %v", err)
	}
	m := len(s.Custodians)
	if m < 2 || m > MaxShards {
		return shardErr("%d shards; a backup has 2..%d", m, MaxShards)
	}
	if s.Threshold < 2 || s.Threshold > m {
		return shardErr("threshold %d is outside 2..%d", s.Threshold, m)
	}
	names := map[string]bool{}
	for i, c := range s.Custodians {
		if c.Index != i+1 {
			return shardErr("custodian entry %d has index %d", i+1, c.Index)
		}
		if err := identity.ValidName(c.Name); err != nil {
			return shardErr("custodian %d: %v", i+1, err)
		}
		if names[c.Name] {
			return shardErr("custodian %s holds two shards", c.Name)
		}
		names[c.Name] = true
	}
	if len(s.Signature) != ed25519.SignatureSize {
		return shardErr("signature must be %d bytes", ed25519.SignatureSize)
	}
	if s.Index < 1 || s.Index > m {
		return shardErr("index %d is outside 1..%d", s.Index, m)
	}
	if len(s.Part) != partLen || s.Part[partLen-1] == 0 {
		return shardErr("part must be %d bytes with a non-zero last byte", partLen)
	}
	if len(s.Ciphertext) == 0 || len(s.Ciphertext) > maxCiphertext {
		return shardErr("ciphertext must be 1..%d bytes", maxCiphertext)
	}
	if s.Created.IsZero() || s.Created.Year() < 2000 || s.Created.Year() > 9999 {
		return shardErr("created time out of range")
	}
	return nil
}

// ParseShard decodes a shard's inner record. It checks syntax and
// structure only; Verify checks the cryptographic bindings.
func ParseShard(inner []byte) (*Shard, error) {
	rec, err := textrec.Parse(inner, ShardMagic)
	if err != nil {
		if errors.Is(err, textrec.ErrNotRecord) {
			return nil, shardErr("not a coldsig backup shard (expected first line %q)", ShardMagic)
		}
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	r := rec.Reader()
	s := &Shard{}
	copy(s.BackupID[:], r.Hex("backup-id", 16))
	cf := r.Field("created")
	if r.Err() == nil {
		t, err := time.Parse(timeLayout, cf.Value)
		if err != nil || t.Format(timeLayout) != cf.Value {
			r.Fail(cf, "created: want a UTC time like 2006-01-02T15:04:05Z")
		}
		s.Created = t
	}
	s.KeyID = hex.EncodeToString(r.Hex("key-id", 16))
	s.Curve = r.String("curve")
	s.Party = r.IntIn("party", 1, keyshare.MaxParties)
	owner := &identity.Card{}
	nf := r.Field("owner-name")
	if r.Err() == nil {
		if err := identity.ValidName(nf.Value); err != nil {
			r.Fail(nf, "owner-name: %v", err)
		}
		owner.Name = nf.Value
	}
	rf := r.Field("owner-recipient")
	if r.Err() == nil {
		rcpt, err := age.ParseX25519Recipient(rf.Value)
		if err != nil || rcpt.String() != rf.Value {
			r.Fail(rf, "owner-recipient: not a canonical age X25519 recipient")
		}
		owner.Recipient = rcpt
	}
	owner.SigningKey = r.Hex("owner-signing-key", ed25519.PublicKeySize)
	s.Owner = owner
	s.Threshold = r.IntIn("threshold", 2, MaxShards)
	m := r.IntIn("shards", 2, MaxShards)
	copy(s.CiphertextHash[:], r.Hex("ciphertext-sha256", 32))
	for i := 1; i <= m && r.Err() == nil; i++ {
		f := r.Field("custodian")
		if r.Err() != nil {
			break
		}
		c, err := parseCustodian(f.Value, i)
		if err != nil {
			r.Fail(f, "custodian: %v", err)
			break
		}
		s.Custodians = append(s.Custodians, c)
	}
	sf := r.Field("signature")
	s.Signature = r.ParseHex(sf, ed25519.SignatureSize)
	s.Index = r.IntIn("index", 1, m)
	s.Part = r.Hex("part", partLen)
	s.Ciphertext = r.Base64("ciphertext")
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseCustodian parses "<index> <commitment hex> <name>".
func parseCustodian(v string, want int) (Custodian, error) {
	idx, rest, ok1 := strings.Cut(v, " ")
	com, name, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return Custodian{}, errors.New(`want "<index> <commitment> <name>"`)
	}
	if idx != strconv.Itoa(want) {
		return Custodian{}, fmt.Errorf("entry %d has index %q", want, idx)
	}
	b, err := hex.DecodeString(com)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != com {
		return Custodian{}, errors.New("commitment must be 32 bytes of lowercase hex")
	}
	if err := identity.ValidName(name); err != nil {
		return Custodian{}, err
	}
	c := Custodian{Index: want, Name: name}
	copy(c.Commitment[:], b)
	return c, nil
}

// commitment binds a Shamir part to its backup and index.
func commitment(backupID [16]byte, index int, part []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(commitmentDomain))
	h.Write(backupID[:])
	h.Write([]byte{byte(index)})
	h.Write(part)
	var c [32]byte
	h.Sum(c[:0])
	return c
}

func signedMessage(manifest []byte) []byte {
	return append([]byte(signatureDomain), manifest...)
}

// Verify checks that the shard is intact on its own: the owner's signature
// over the manifest, this shard's part against its commitment, and the
// encrypted share against its hash. It cannot tell whether the owner card
// is the right one; VerifyOwner (or a check against public.json) does.
func (s *Shard) Verify() error {
	if err := s.validate(); err != nil {
		return err
	}
	m, err := s.Manifest()
	if err != nil {
		return shardErr("%v", err)
	}
	if !ed25519.Verify(s.Owner.SigningKey, signedMessage(m), s.Signature) {
		return shardErr("the manifest signature does not verify with the owner's key (the shard was altered)")
	}
	if commitment(s.BackupID, s.Index, s.Part) != s.Custodians[s.Index-1].Commitment {
		return shardErr("shard %d's part does not match its commitment in the signed manifest (the shard was altered)", s.Index)
	}
	if sha256.Sum256(s.Ciphertext) != s.CiphertextHash {
		return shardErr("the encrypted share does not match its hash in the signed manifest (the shard was altered or truncated)")
	}
	return nil
}

// ErrWrongOwner means a shard is intact but signed by someone other than
// the expected share owner.
var ErrWrongOwner = errors.New("backup made by another owner")

// VerifyOwner checks that the shard was made by the holder of owner's card.
func (s *Shard) VerifyOwner(owner *identity.Card) error {
	if !s.Owner.Equal(owner) {
		return fmt.Errorf("%w: the shard's owner card is %s (%s), expected %s (%s)", ErrWrongOwner,
			s.Owner.Name, s.Owner.FingerprintHex(), owner.Name, owner.FingerprintHex())
	}
	return nil
}

// maxShardFile bounds what OpenShard reads after decryption.
const maxShardFile = 2 * maxCiphertext

// SealShard encrypts a shard's inner record to its custodian.
func SealShard(s *Shard, r age.Recipient) ([]byte, error) {
	inner, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	return agebytes.Encrypt(inner, r)
}
