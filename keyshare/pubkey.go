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
