package keyshare

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/crypto"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/coldsig/coldsig/internal/edpoint"
	"golang.org/x/crypto/sha3"
)

// PublicKeyBytes encodes a tss-lib group public key the way public.json
// and the chains expect it: compressed SEC1 (33 bytes) for secp256k1, the
// RFC 8032 encoding (32 bytes) for ed25519.
func PublicKeyBytes(curve string, p *crypto.ECPoint) ([]byte, error) {
	if p == nil || !p.ValidateBasic() {
		return nil, errors.New("public key is not a valid curve point")
	}
	x, y := p.X(), p.Y()
	switch curve {
	case CurveSecp256k1:
		out := make([]byte, 33)
		out[0] = 0x02 | byte(y.Bit(0))
		x.FillBytes(out[1:])
		return out, nil
	case CurveEd25519:
		// RFC 8032 section 5.1.2: y little-endian, the top bit of the last
		// byte holds the low bit of x.
		var be [32]byte
		y.FillBytes(be[:])
		out := make([]byte, 32)
		for i := range out {
			out[i] = be[31-i]
		}
		out[31] |= byte(x.Bit(0)) << 7
		return out, nil
	}
	return nil, fmt.Errorf("unknown curve %q", curve)
}

// PublicFromECDSA returns the compressed secp256k1 public key of ECDSA save data.
func PublicFromECDSA(d *ecdsakeygen.LocalPartySaveData) ([]byte, error) {
	return PublicKeyBytes(CurveSecp256k1, d.ECDSAPub)
}

// PublicFromEdDSA returns the 32-byte Ed25519 public key of EdDSA save data.
func PublicFromEdDSA(d *eddsakeygen.LocalPartySaveData) ([]byte, error) {
	return PublicKeyBytes(CurveEd25519, d.EDDSAPub)
}

// KeyID is the key identifier public.json documents: the first 16 bytes of
// SHA-256("coldsig key id v1\x00" || curve || 0x00 || public key), hex.
func KeyID(curve string, pub []byte) string {
	h := sha256.New()
	h.Write([]byte("coldsig key id v1\x00"))
	h.Write([]byte(curve))
	h.Write([]byte{0})
	h.Write(pub)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// EthAddress returns the EIP-55 checksummed Ethereum address of a
// compressed secp256k1 public key: the last 20 bytes of Keccak-256 of the
// uncompressed point without its 0x04 prefix.
func EthAddress(compressed []byte) (string, error) {
	pk, err := btcec.ParsePubKey(compressed)
	if err != nil {
		return "", fmt.Errorf("secp256k1 public key: %w", err)
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(pk.SerializeUncompressed()[1:])
	addr := hex.EncodeToString(h.Sum(nil)[12:])
	return "0x" + eip55(addr), nil
}

// eip55 applies the EIP-55 mixed-case checksum to a lowercase hex address.
func eip55(lower string) string {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lower))
	sum := h.Sum(nil)
	out := []byte(lower)
	for i, c := range out {
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0x0f
		}
		if c >= 'a' && c <= 'f' && nibble >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// shareKeyHex is how public.json writes a tss-lib party key.
func shareKeyHex(k *big.Int) string { return hex.EncodeToString(k.Bytes()) }

// ErrWeakKey means a public key is not a usable key of its curve: not a
// point, a non-canonical encoding, or a point of small order (an Ed25519
// key of small order, such as the identity, "verifies" forged signatures
// for every message).
var ErrWeakKey = edpoint.ErrWeak

// CheckPublicKey checks an encoded group public key as public.json, plans
// and signature.json carry it: for secp256k1 a compressed SEC1 point
// (prefix 02 or 03) on the curve; for ed25519 the canonical RFC 8032
// encoding of a point in the prime-order subgroup, other than the identity.
// A threshold key made by tss-lib is always such a point.
func CheckPublicKey(curve string, pk []byte) error {
	switch curve {
	case CurveSecp256k1:
		if len(pk) != 33 || (pk[0] != 2 && pk[0] != 3) {
			return fmt.Errorf("%w: a secp256k1 key is 33 bytes, compressed (02 or 03 first)", ErrWeakKey)
		}
		if _, err := btcec.ParsePubKey(pk); err != nil {
			return fmt.Errorf("%w: not a secp256k1 point: %v", ErrWeakKey, err)
		}
		return nil
	case CurveEd25519:
		return edpoint.Check(pk, "public key")
	}
	return fmt.Errorf("unknown curve %q", curve)
}

// CheckEd25519Signature checks the parts of a 64-byte RFC 8032 signature
// R || S that crypto/ed25519 leaves to the encoding: R canonical and not of
// small order, S < L. Go's verifier already refuses S >= L and any R that
// differs from the recomputed one; this says why, and refuses a small-order
// R outright.
func CheckEd25519Signature(sig []byte) error {
	if len(sig) != 64 {
		return fmt.Errorf("%w: an ed25519 signature is 64 bytes", ErrWeakKey)
	}
	if err := edpoint.Check(sig[:32], "signature point R"); err != nil {
		return err
	}
	return edpoint.CheckScalar(sig[32:])
}

// KeygenChainCode is the BIP32 chain code a secp256k1 keygen fixes for its
// key: SHA-256("coldsig/chain-code/v1" || 0x00 || for each party in
// tss-lib order: its party key (32 bytes) || its public share X_j = x_j·G,
// compressed). Every party holds the same X_j after keygen (the share
// check verifies them), so all derive the same value; each X_j is a point
// of the sum of every party's secret polynomial, which each party committed
// to in round 1 before seeing anyone else's, so no party can choose it or
// grind it; and the X_j never leave the committee (they are not in
// public.json, signatures or the public key), so the chain code is not
// derivable from anything public, unlike a hash of the public key, which
// would make every signature's recoverable key as good as the xpub. A
// reshare keeps the chain code (it travels in the plan and the shares).
// docs/format.md gives the full rationale.
func KeygenChainCode(d *ecdsakeygen.LocalPartySaveData) ([]byte, error) {
	if d == nil || len(d.Ks) == 0 || len(d.Ks) != len(d.BigXj) {
		return nil, errors.New("key data without public shares")
	}
	h := sha256.New()
	h.Write([]byte("coldsig/chain-code/v1\x00"))
	for j, k := range d.Ks {
		if k == nil || k.Sign() <= 0 || k.BitLen() > 256 {
			return nil, fmt.Errorf("party key %d out of range", j+1)
		}
		h.Write(k.FillBytes(make([]byte, 32)))
		pt, err := PublicKeyBytes(CurveSecp256k1, d.BigXj[j])
		if err != nil {
			return nil, fmt.Errorf("public share %d: %w", j+1, err)
		}
		h.Write(pt)
	}
	return h.Sum(nil), nil
}
