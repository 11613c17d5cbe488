// Package identity holds a party's long-term keys: its secret identity
// (NAME.key: an age X25519 key and an Ed25519 signing key, encrypted with a
// passphrase) and its public card (NAME.card), whose fingerprint words
// officers read aloud.
package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/coldsig/coldsig/internal/agebytes"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/bytewords"
	"github.com/coldsig/coldsig/internal/textrec"
)

// Magic lines of the formats in this package.
const (
	CardMagic     = "coldsig/card/v1"
	IdentityMagic = "coldsig/identity/v1"
)

// MaxNameLen bounds a party name in bytes. Names become file names and are
// read aloud, so they are short.
const MaxNameLen = 64

// maxCardSize and maxIdentitySize bound what LoadCard and LoadIdentity read;
// a real card is ~200 bytes and a real identity ~400 bytes (plus ~200 bytes of
// age header when encrypted).
const (
	maxCardSize     = 4 << 10
	maxIdentitySize = 16 << 10
)

// ageMagic starts every binary age file.
const ageMagic = "age-encryption.org/v1\n"

// Sentinel errors; the returned errors wrap them and add the file and detail.
var (
	ErrNotCard         = errors.New("not a coldsig card")
	ErrNotIdentity     = errors.New("not a coldsig identity")
	ErrWrongPassphrase = errors.New("wrong passphrase (or the file is damaged)")
	ErrBadName         = errors.New("invalid party name")
)

// ValidName reports whether name may be used as a party name: 1 to
// MaxNameLen bytes of ASCII letters, digits, '.', '_' and '-', starting with
// a letter or digit. Names become file names (NAME.key, NAME.card) on every
// operating system and on FAT-formatted sticks, so the set is deliberately
// narrow.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrBadName)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadName, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("%w: %q must start with a letter or digit", ErrBadName, name)
		}
		if !alnum && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%w: %q contains %q (allowed: letters, digits, '.', '_', '-')", ErrBadName, name, rune(c))
		}
	}
	return nil
}

// Card is a party's public card: what the other parties need to encrypt to
// it and to check its signatures.
type Card struct {
	Name       string
	Recipient  *age.X25519Recipient
	SigningKey ed25519.PublicKey
}

// Validate checks that c can be marshaled.
func (c *Card) Validate() error {
	if err := ValidName(c.Name); err != nil {
		return err
	}
	if c.Recipient == nil {
		return errors.New("card has no age recipient")
	}
	if len(c.SigningKey) != ed25519.PublicKeySize {
		return fmt.Errorf("card signing key is %d bytes, want %d", len(c.SigningKey), ed25519.PublicKeySize)
	}
	return nil
}

// Marshal returns the canonical encoding of c, or the reason c is not a
// valid card (Card is an exported struct anyone can fill in; cards from
// ParseCard and Identity.Card are always valid).
func (c *Card) Marshal() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w := textrec.NewWriter(CardMagic)
	w.String("name", c.Name)
	w.String("age-recipient", c.Recipient.String())
	w.Hex("signing-key", c.SigningKey)
	return w.Bytes()
}

// encoding is what the fingerprint covers: the canonical encoding of a
// valid card. An invalid card (built by hand) gets the same layout without
// the checks, which no parser accepts, so its fingerprint can never equal a
// real card's; there is no panic and no error to thread through every
// caller that only compares fingerprints.
func (c *Card) encoding() []byte {
	if b, err := c.Marshal(); err == nil {
		return b
	}
	rcpt := ""
	if c.Recipient != nil {
		rcpt = c.Recipient.String()
	}
	return []byte(fmt.Sprintf("%s\nname: %s\nage-recipient: %s\nsigning-key: %x\n", CardMagic+"!invalid", c.Name, rcpt, []byte(c.SigningKey)))
}

// Fingerprint is SHA-256 of the card's canonical bytes.
func (c *Card) Fingerprint() [32]byte { return sha256.Sum256(c.encoding()) }

// FingerprintHex is the fingerprint in lowercase hex.
func (c *Card) FingerprintHex() string {
	fp := c.Fingerprint()
	return hex.EncodeToString(fp[:])
}

// FingerprintWords is the first 8 bytes of the fingerprint as bytewords,
// space separated, for reading aloud.
func (c *Card) FingerprintWords() string {
	fp := c.Fingerprint()
	return DigestWords(fp)
}

// DigestWords renders the first 8 bytes of a SHA-256 digest as bytewords.
func DigestWords(d [32]byte) string { return strings.Join(bytewords.Words(d[:8]), " ") }

// Equal reports whether two cards have the same canonical bytes.
func (c *Card) Equal(o *Card) bool { return bytes.Equal(c.encoding(), o.encoding()) }

// ParseCard parses a card. Only the canonical encoding is accepted, so equal
// cards have equal bytes and equal fingerprints.
func ParseCard(data []byte) (*Card, error) {
	rec, err := textrec.Parse(data, CardMagic)
	if err != nil {
		return nil, recordErr(err, ErrNotCard)
	}
	r := rec.Reader()
	c := &Card{}
	nameF := r.Field("name")
	if r.Err() == nil {
		if err := ValidName(nameF.Value); err != nil {
			r.Fail(nameF, "name: %v", err)
		}
		c.Name = nameF.Value
	}
	recF := r.Field("age-recipient")
	if r.Err() == nil {
		rcpt, err := age.ParseX25519Recipient(recF.Value)
		switch {
		case err != nil:
			r.Fail(recF, "age-recipient: %v", err)
		case rcpt.String() != recF.Value:
			r.Fail(recF, "age-recipient: not in canonical lowercase form")
		default:
			c.Recipient = rcpt
		}
	}
	c.SigningKey = r.Hex("signing-key", ed25519.PublicKeySize)
	if err := r.Done(); err != nil {
		return nil, err
	}
	if err := c.CheckKeys(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadCard reads and parses a card file; errors name the file.
func LoadCard(path string) (*Card, error) {
	data, err := boundedio.ReadFile(path, maxCardSize)
	if err != nil {
		return nil, err
	}
	c, err := ParseCard(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Identity is a party's secret identity: its age decryption key and its
// Ed25519 signing key.
type Identity struct {
	Name    string
	X25519  *age.X25519Identity
	Signing ed25519.PrivateKey
}

// NewIdentity generates a fresh identity from crypto/rand.
func NewIdentity(name string) (*Identity, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	x, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Identity{Name: name, X25519: x, Signing: sk}, nil
}

// Card returns the public card of id.
func (id *Identity) Card() *Card {
	return &Card{
		Name:       id.Name,
		Recipient:  id.X25519.Recipient(),
		SigningKey: id.Signing.Public().(ed25519.PublicKey),
	}
}

// marshalPlain is the unencrypted identity record.
func (id *Identity) marshalPlain() ([]byte, error) {
	if err := ValidName(id.Name); err != nil {
		return nil, err
	}
	if id.X25519 == nil || len(id.Signing) != ed25519.PrivateKeySize {
		return nil, errors.New("incomplete identity")
	}
	w := textrec.NewWriter(IdentityMagic)
	w.String("name", id.Name)
	w.String("age-secret-key", id.X25519.String())
	w.Hex("signing-seed", id.Signing.Seed())
	return w.Bytes()
}

// MarshalIdentity encodes id. With a non-empty passphrase the record is
// age-encrypted to an scrypt recipient with age's default work factor; with
// a nil passphrase it is returned unencrypted, for drills and tests only.
func MarshalIdentity(id *Identity, passphrase []byte) ([]byte, error) {
	return EncryptIdentity(id, passphrase, 0)
}

// EncryptIdentity is MarshalIdentity with an explicit scrypt work factor
// 2^logN; logN 0 means age's default. Only tests should pass anything else.
func EncryptIdentity(id *Identity, passphrase []byte, logN int) ([]byte, error) {
	plain, err := id.marshalPlain()
	if err != nil {
		return nil, err
	}
	if passphrase == nil {
		return plain, nil
	}
	if len(passphrase) == 0 {
		return nil, errors.New("empty passphrase")
	}
	r, err := ScryptRecipient(passphrase, logN)
	if err != nil {
		return nil, err
	}
	return agebytes.Encrypt(plain, r)
}

// ScryptRecipient encrypts to passphrase with scrypt work factor 2^logN;
// logN 0 means age's default. Only tests should pass anything else.
func ScryptRecipient(passphrase []byte, logN int) (*age.ScryptRecipient, error) {
	r, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return nil, err
	}
	if logN != 0 {
		if logN < 1 || logN > 30 {
			return nil, fmt.Errorf("scrypt work factor 2^%d out of range", logN)
		}
		r.SetWorkFactor(logN)
	}
	return r, nil
}

// IdentityEncrypted reports whether data is a passphrase-encrypted identity
// (an age file) rather than a plaintext record.
func IdentityEncrypted(data []byte) bool { return bytes.HasPrefix(data, []byte(ageMagic)) }

// ParseIdentity parses a plaintext identity record.
func ParseIdentity(data []byte) (*Identity, error) {
	rec, err := textrec.Parse(data, IdentityMagic)
	if err != nil {
		return nil, recordErr(err, ErrNotIdentity)
	}
	r := rec.Reader()
	id := &Identity{}
	nameF := r.Field("name")
	if r.Err() == nil {
		if err := ValidName(nameF.Value); err != nil {
			r.Fail(nameF, "name: %v", err)
		}
		id.Name = nameF.Value
	}
	keyF := r.Field("age-secret-key")
	if r.Err() == nil {
		x, err := age.ParseX25519Identity(keyF.Value)
		switch {
		case err != nil:
			// age's message may quote the key; never echo secret material.
			r.Fail(keyF, "age-secret-key: malformed")
		case x.String() != keyF.Value:
			r.Fail(keyF, "age-secret-key: not in canonical uppercase form")
		default:
			id.X25519 = x
		}
	}
	seedF := r.Field("signing-seed")
	if r.Err() == nil {
		seed, err := hex.DecodeString(seedF.Value)
		if err != nil || hex.EncodeToString(seed) != seedF.Value || len(seed) != ed25519.SeedSize {
			r.Fail(seedF, "signing-seed: want %d bytes of lowercase hex", ed25519.SeedSize)
		} else {
			id.Signing = ed25519.NewKeyFromSeed(seed)
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return id, nil
}

// DecryptIdentity decrypts and parses an identity file's bytes. passphrase
// is called only if the file is encrypted.
func DecryptIdentity(data []byte, passphrase func() ([]byte, error)) (*Identity, error) {
	if !IdentityEncrypted(data) {
		if !bytes.HasPrefix(data, []byte("coldsig/identity/")) {
			return nil, fmt.Errorf("%w: neither a passphrase-encrypted age file nor a %s record", ErrNotIdentity, IdentityMagic)
		}
		return ParseIdentity(data)
	}
	if passphrase == nil {
		return nil, errors.New("passphrase-encrypted, and no passphrase was given")
	}
	pass, err := passphrase()
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, errors.New("empty passphrase")
	}
	sid, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), sid)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			if len(nm.StanzaTypes) != 1 || nm.StanzaTypes[0] != "scrypt" {
				return nil, fmt.Errorf("%w: an age file, but not passphrase-encrypted", ErrNotIdentity)
			}
			return nil, ErrWrongPassphrase
		}
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxIdentitySize+1))
	if err != nil {
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	if len(plain) > maxIdentitySize {
		return nil, fmt.Errorf("%w: decrypted content too large", ErrNotIdentity)
	}
	id, err := ParseIdentity(plain)
	if err != nil {
		return nil, fmt.Errorf("decrypted content: %w", err)
	}
	return id, nil
}

// LoadIdentity reads an identity file, asking for the passphrase through
// passphrase if the file is encrypted. Errors name the file.
func LoadIdentity(path string, passphrase func() ([]byte, error)) (*Identity, error) {
	data, err := boundedio.ReadFile(path, maxIdentitySize)
	if err != nil {
		return nil, err
	}
	id, err := DecryptIdentity(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return id, nil
}

// recordErr maps textrec's "other kind of file" to the format's own sentinel
// so messages say "not a coldsig card" rather than something generic.
func recordErr(err, notKind error) error {
	if errors.Is(err, textrec.ErrNotRecord) {
		return notKind
	}
	return err
}
