// Package hd is BIP32 public derivation for threshold secp256k1 keys: the
// derivation paths a signing plan may name, the account extended public key
// (xpub) a watch-only wallet imports, its fingerprint and output descriptor,
// and child keys and their addresses.
//
// Only non-hardened derivation exists for a threshold key. A hardened child
// is HMAC(chain code, private key || index): it needs the whole private key,
// which no party ever holds. A non-hardened child key is the parent key plus
// a public tweak (IL·G), which every signer can add to its share, so tss-lib
// signs under it without anyone learning more than before (tss-lib's
// signing.NewLocalPartyWithKDD, crypto/ckd).
//
// Child derivation uses tss-lib's crypto/ckd, the code that the signing
// party's key adjustment is written against; the tests check it against an
// independent BIP32 implementation (btcutil's hdkeychain) and BIP vectors.
package hd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/bnb-chain/tss-lib/v2/crypto/ckd"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/chaincfg"
)

// MaxDepth bounds a path. BIP32 allows 255 levels; wallets use 2 to 5
// below an account. A plan names a path per item, so a bound keeps plans
// small; 16 is far beyond any real use.
const MaxDepth = 16

// Hardened is the first hardened index (2^31).
const Hardened = 0x80000000

// Path is a sequence of non-hardened child indexes below the key; the empty
// path is the key itself ("m").
type Path []uint32

// Errors callers branch on.
var (
	ErrPath     = errors.New("invalid derivation path")
	ErrHardened = errors.New("hardened derivation is impossible for a threshold key")
	ErrXPub     = errors.New("invalid extended public key")
)

// ParsePath reads "m", "m/0/7", ... Indexes are canonical decimals below
// 2^31. A hardened index (7', 7h, 7H) is refused with ErrHardened: it would
// need the whole private key, which no party of a threshold key holds.
func ParsePath(s string) (Path, error) {
	if s == "m" {
		return Path{}, nil
	}
	rest, ok := strings.CutPrefix(s, "m/")
	if !ok {
		return nil, fmt.Errorf("%w %q: a path starts with \"m/\" (for example m/0/7)", ErrPath, s)
	}
	parts := strings.Split(rest, "/")
	if len(parts) > MaxDepth {
		return nil, fmt.Errorf("%w %q: %d levels, at most %d", ErrPath, s, len(parts), MaxDepth)
	}
	p := make(Path, 0, len(parts))
	for _, part := range parts {
		if strings.HasSuffix(part, "'") || strings.HasSuffix(part, "h") || strings.HasSuffix(part, "H") {
			return nil, fmt.Errorf("%w: %q in %q is a hardened index; a hardened child needs the whole private key, which no party of a threshold key holds (use non-hardened indexes such as m/0/7; the key itself stands for the account level)", ErrHardened, part, s)
		}
		n, err := strconv.ParseUint(part, 10, 32)
		if err != nil || strconv.FormatUint(n, 10) != part {
			return nil, fmt.Errorf("%w %q: %q is not a canonical decimal index", ErrPath, s, part)
		}
		if n >= Hardened {
			return nil, fmt.Errorf("%w: index %d in %q is 2^31 or more, the hardened range; a hardened child needs the whole private key, which no party of a threshold key holds", ErrHardened, n, s)
		}
		p = append(p, uint32(n))
	}
	return p, nil
}

// String is the canonical text form ("m/0/7"; "m" for the key itself).
func (p Path) String() string {
	var b strings.Builder
	b.WriteString("m")
	for _, i := range p {
		b.WriteString("/")
		b.WriteString(strconv.FormatUint(uint64(i), 10))
	}
	return b.String()
}

// Equal reports whether two paths name the same child.
func (p Path) Equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// Key is an extended public key.
type Key struct {
	// PublicKey is the compressed SEC1 point (33 bytes).
	PublicKey  []byte
	ChainCode  [32]byte
	Depth      uint8
	ParentFP   [4]byte
	ChildIndex uint32
}

// xpubVersion is the BIP32 mainnet public version (serializes as "xpub").
var xpubVersion = []byte{0x04, 0x88, 0xb2, 0x1e}

// Master is the account key: the threshold key's public key with its chain
// code, at depth 0.
func Master(pub []byte, chainCode [32]byte) (*Key, error) {
	if _, err := btcec.ParsePubKey(pub); err != nil || len(pub) != 33 {
		return nil, fmt.Errorf("%w: public key is not a compressed secp256k1 point", ErrXPub)
	}
	if chainCode == ([32]byte{}) {
		return nil, fmt.Errorf("%w: chain code is all zeros", ErrXPub)
	}
	return &Key{PublicKey: append([]byte(nil), pub...), ChainCode: chainCode}, nil
}

// Fingerprint is the first 4 bytes of HASH160 of the public key (BIP32
// key identifier), as wallets show it in key origins ("[d34db33f]").
func (k *Key) Fingerprint() [4]byte {
	var fp [4]byte
	copy(fp[:], btcutil.Hash160(k.PublicKey))
	return fp
}

// XPub is the BIP32 serialization with the mainnet "xpub" version.
func (k *Key) XPub() string {
	b := make([]byte, 0, 78)
	b = append(b, xpubVersion...)
	b = append(b, k.Depth)
	b = append(b, k.ParentFP[:]...)
	b = binary.BigEndian.AppendUint32(b, k.ChildIndex)
	b = append(b, k.ChainCode[:]...)
	b = append(b, k.PublicKey...)
	sum := sha256.Sum256(b)
	sum = sha256.Sum256(sum[:])
	return base58.Encode(append(b, sum[:4]...))
}

// ParseXPub decodes a mainnet xpub. Any other version (private keys,
// testnet, SLIP-132 ypub/zpub) is refused: coldsig writes only xpub.
func ParseXPub(s string) (*Key, error) {
	raw := base58.Decode(s)
	if len(raw) != 82 {
		return nil, fmt.Errorf("%w: %d bytes, want 82", ErrXPub, len(raw))
	}
	sum := sha256.Sum256(raw[:78])
	sum = sha256.Sum256(sum[:])
	if !bytes.Equal(sum[:4], raw[78:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrXPub)
	}
	if !bytes.Equal(raw[:4], xpubVersion) {
		return nil, fmt.Errorf("%w: version %x is not a mainnet xpub", ErrXPub, raw[:4])
	}
	k := &Key{Depth: raw[4], ChildIndex: binary.BigEndian.Uint32(raw[9:13])}
	copy(k.ParentFP[:], raw[5:9])
	copy(k.ChainCode[:], raw[13:45])
	k.PublicKey = append([]byte(nil), raw[45:78]...)
	if _, err := btcec.ParsePubKey(k.PublicKey); err != nil || (k.PublicKey[0] != 2 && k.PublicKey[0] != 3) {
		return nil, fmt.Errorf("%w: key is not a compressed secp256k1 point", ErrXPub)
	}
	if k.XPub() != s {
		return nil, fmt.Errorf("%w: not in canonical form", ErrXPub)
	}
	return k, nil
}

// Derive returns the child at path p below k and the scalar tweak delta
// (the sum of the IL values along the path, mod n) such that the child's
// private key is the parent's plus delta: every signer adds delta to its
// share (tss-lib's key derivation delta). An index where BIP32 derivation
// is undefined (IL >= n or an infinite child, probability below 2^-127)
// is an error; choose another index.
func (k *Key) Derive(p Path) (child *Key, delta *big.Int, err error) {
	if len(p) == 0 {
		c := *k
		c.PublicKey = append([]byte(nil), k.PublicKey...)
		return &c, new(big.Int), nil
	}
	if len(p) > MaxDepth || int(k.Depth)+len(p) > 255 {
		return nil, nil, fmt.Errorf("%w: too deep", ErrPath)
	}
	for _, i := range p {
		if i >= Hardened {
			return nil, nil, ErrHardened
		}
	}
	pk, err := btcec.ParsePubKey(k.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrXPub, err)
	}
	ec := tss.S256()
	parent := &ckd.ExtendedKey{
		PublicKey:  ecdsa.PublicKey{Curve: ec, X: pk.X(), Y: pk.Y()},
		Depth:      k.Depth,
		ChildIndex: k.ChildIndex,
		ChainCode:  append([]byte(nil), k.ChainCode[:]...),
		ParentFP:   append([]byte(nil), k.ParentFP[:]...),
		Version:    xpubVersion,
	}
	delta, ext, err := deriveCKD(p, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("derive %s: %w (BIP32 leaves this index undefined; choose another index)", p, err)
	}
	cpk, err := compressed(ext.X, ext.Y)
	if err != nil {
		return nil, nil, err
	}
	child = &Key{PublicKey: cpk, Depth: ext.Depth, ChildIndex: ext.ChildIndex}
	copy(child.ChainCode[:], ext.ChainCode)
	copy(child.ParentFP[:], ext.ParentFP)
	return child, delta, nil
}

// deriveCKD runs tss-lib's derivation, turning its panics on hostile input
// into errors.
func deriveCKD(p Path, parent *ckd.ExtendedKey) (delta *big.Int, ext *ckd.ExtendedKey, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("derivation failed: %v", r)
		}
	}()
	ec := tss.S256()
	return ckd.DeriveChildKeyFromHierarchy([]uint32(p), parent, ec.Params().N, ec)
}

func compressed(x, y *big.Int) ([]byte, error) {
	var fx, fy btcec.FieldVal
	if x == nil || y == nil || fx.SetByteSlice(x.Bytes()) || fy.SetByteSlice(y.Bytes()) {
		return nil, errors.New("derived point out of range")
	}
	pk := btcec.NewPublicKey(&fx, &fy)
	if !pk.IsOnCurve() {
		return nil, errors.New("derived point is not on the curve")
	}
	return pk.SerializeCompressed(), nil
}

// ReceiveDescriptor is the output descriptor (BIP 380/382/389 syntax) of
// the key's receive addresses, P2WPKH children m/0/i, with the key origin
// fingerprint and checksum: wpkh([fp]xpub.../0/*)#checksum. Wallets import
// it watch-only (Bitcoin Core importdescriptors, Sparrow, BDK).
func (k *Key) ReceiveDescriptor() string {
	fp := k.Fingerprint()
	d := fmt.Sprintf("wpkh([%x]%s/0/*)", fp, k.XPub())
	sum, _ := DescriptorChecksum(d) // the charset covers every character used
	return d + "#" + sum
}

// P2WPKH is the native segwit (bech32, "bc1q...") mainnet address of a
// compressed public key.
func P2WPKH(pub []byte) (string, error) {
	if len(pub) != 33 {
		return "", errors.New("P2WPKH needs a compressed public key")
	}
	if _, err := btcec.ParsePubKey(pub); err != nil {
		return "", err
	}
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub), &chaincfg.MainNetParams)
	if err != nil {
		return "", err
	}
	return a.EncodeAddress(), nil
}

// DescriptorChecksum computes the 8-character BIP 380 checksum of a
// descriptor string (without "#").
func DescriptorChecksum(desc string) (string, error) {
	const inputCharset = "0123456789()[],'/*abcdefgh@:$%{}" +
		"IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~" +
		"ijklmnopqrstuvwxyzABCDEFGH`#\"\\ "
	const checksumCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	generator := [5]uint64{0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a, 0x644d626ffd}
	polymod := func(c uint64, v int) uint64 {
		top := c >> 35
		c = (c&0x7ffffffff)<<5 ^ uint64(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				c ^= generator[i]
			}
		}
		return c
	}
	c := uint64(1)
	cls, clsCount := 0, 0
	for _, r := range desc {
		pos := strings.IndexRune(inputCharset, r)
		if pos < 0 || r > 0x7f {
			return "", fmt.Errorf("descriptor character %q is outside the BIP 380 character set", r)
		}
		c = polymod(c, pos&31)
		cls = cls*3 + pos>>5
		if clsCount++; clsCount == 3 {
			c = polymod(c, cls)
			cls, clsCount = 0, 0
		}
	}
	if clsCount > 0 {
		c = polymod(c, cls)
	}
	for i := 0; i < 8; i++ {
		c = polymod(c, 0)
	}
	c ^= 1
	out := make([]byte, 8)
	for i := range out {
		out[i] = checksumCharset[(c>>(5*(7-i)))&31]
	}
	return string(out), nil
}
