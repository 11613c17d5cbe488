package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/sha3"

	"github.com/coldsig/coldsig/keyshare"
)

// PayloadKind says how the signed bytes were derived.
type PayloadKind string

// Payload kinds, as written in the "payload" field.
const (
	// PayloadDigest is a raw 32-byte digest computed elsewhere (secp256k1
	// only: Ed25519 signs messages, not digests).
	PayloadDigest PayloadKind = "digest"
	// PayloadEIP191 is an Ethereum personal message (secp256k1): the digest
	// is keccak256("\x19Ethereum Signed Message:\n" || len || message).
	PayloadEIP191 PayloadKind = "eip191"
	// PayloadMessage is a text message signed as is by Ed25519 (ed25519).
	PayloadMessage PayloadKind = "message"
	// PayloadFile is a file, identified by name, size and SHA-256. ECDSA
	// signs the SHA-256 digest; Ed25519 signs the 32 digest bytes as its
	// message (a verifier hashes the file with SHA-256 and verifies the
	// signature over those 32 bytes).
	PayloadFile PayloadKind = "file"
	// PayloadPSBTInput, PayloadEthTx and PayloadEIP712 are the digests of
	// a plan's transaction (Plan.Tx): the BIP 143 sighash of one PSBT
	// input, the signing hash of an Ethereum transaction, the EIP-712
	// hash of typed data. Each laptop recomputes them from the
	// transaction's bytes; a plan whose items differ is refused.
	PayloadPSBTInput PayloadKind = "psbt-input"
	PayloadEthTx     PayloadKind = "eth-tx"
	PayloadEIP712    PayloadKind = "eip712"
)

// IsTx reports whether the kind is a digest of the plan's transaction.
func (k PayloadKind) IsTx() bool {
	return k == PayloadPSBTInput || k == PayloadEthTx || k == PayloadEIP712
}

// Payload is what a signing ceremony signs.
type Payload struct {
	Kind PayloadKind
	// Message is the text of an eip191 or message payload.
	Message []byte
	// FileName (base name only) and FileSize describe a file payload.
	FileName string
	FileSize uint64
	// Digest is the 32-byte digest of a digest, eip191, file or
	// transaction payload (zero for message).
	Digest [32]byte
	// Input is the PSBT input a psbt-input payload signs.
	Input int
}

// ParseDigest reads a digest as plan sign --digest and a batch file's
// digest lines give it: 64 hex digits (32 bytes), optionally prefixed 0x.
func ParseDigest(s string) ([32]byte, error) {
	var d [32]byte
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return d, errors.New("not hex")
	}
	if len(b) != 32 {
		return d, fmt.Errorf("%d bytes, want 32", len(b))
	}
	copy(d[:], b)
	return d, nil
}

// NewDigestPayload signs a raw 32-byte digest (secp256k1 only).
func NewDigestPayload(d [32]byte) *Payload { return &Payload{Kind: PayloadDigest, Digest: d} }

// NewTextPayload signs a text message the way the curve's users expect:
// an EIP-191 personal message for secp256k1, the UTF-8 text itself for
// ed25519.
func NewTextPayload(curve, text string) (*Payload, error) {
	switch curve {
	case keyshare.CurveSecp256k1:
		return &Payload{Kind: PayloadEIP191, Message: []byte(text), Digest: EIP191Digest([]byte(text))}, nil
	case keyshare.CurveEd25519:
		return &Payload{Kind: PayloadMessage, Message: []byte(text)}, nil
	}
	return nil, invalid(nil, "unknown curve %q (want secp256k1 or ed25519)", curve)
}

// NewFilePayload hashes r with SHA-256. name is recorded for the officers
// (base name only; no directory).
func NewFilePayload(name string, r io.Reader) (*Payload, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return nil, err
	}
	p := &Payload{Kind: PayloadFile, FileName: name, FileSize: uint64(n)}
	h.Sum(p.Digest[:0])
	if err := checkFileName(name); err != nil {
		return nil, err
	}
	return p, nil
}

// EIP191Digest is the Ethereum personal_sign digest of msg.
func EIP191Digest(msg []byte) [32]byte {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte("\x19Ethereum Signed Message:\n" + strconv.Itoa(len(msg))))
	h.Write(msg)
	var d [32]byte
	h.Sum(d[:0])
	return d
}

func (pl *Payload) signedBytes(curve string) []byte {
	if curve == keyshare.CurveEd25519 && pl.Kind == PayloadMessage {
		return append([]byte(nil), pl.Message...)
	}
	return append([]byte(nil), pl.Digest[:]...)
}

// validate checks the payload against the curve of the key.
func (pl *Payload) validate(curve string) error {
	bad := func(format string, args ...any) error {
		return invalid(ErrPayload, format, args...)
	}
	switch pl.Kind {
	case PayloadDigest:
		if curve != keyshare.CurveSecp256k1 {
			return bad("a raw digest cannot be signed with an %s key: Ed25519 signs the message itself, so sign the message or the file instead", curve)
		}
		if pl.Digest == ([32]byte{}) {
			return bad("digest is all zeros")
		}
	case PayloadEIP191:
		if curve != keyshare.CurveSecp256k1 {
			return bad("eip191 messages are signed with secp256k1 keys only, not %s", curve)
		}
		if err := checkMessage(pl.Message); err != nil {
			return bad("%v", err)
		}
		if pl.Digest != EIP191Digest(pl.Message) {
			return bad("digest does not match the EIP-191 digest of the message")
		}
	case PayloadMessage:
		if curve != keyshare.CurveEd25519 {
			return bad("a plain message is signed with ed25519 keys only; secp256k1 signs messages as eip191")
		}
		if err := checkMessage(pl.Message); err != nil {
			return bad("%v", err)
		}
		if pl.Digest != ([32]byte{}) {
			return bad("a message payload has no digest")
		}
	case PayloadFile:
		if err := checkFileName(pl.FileName); err != nil {
			return err
		}
	case PayloadPSBTInput, PayloadEthTx, PayloadEIP712:
		if curve != keyshare.CurveSecp256k1 {
			return bad("a %s payload is signed with secp256k1 keys only, not %s", pl.Kind, curve)
		}
		if pl.Digest == ([32]byte{}) {
			return bad("digest is all zeros")
		}
	default:
		return bad("unknown payload kind %q", pl.Kind)
	}
	if pl.Kind != PayloadEIP191 && pl.Kind != PayloadMessage && pl.Message != nil {
		return bad("%s payload has a message", pl.Kind)
	}
	if pl.Kind != PayloadFile && (pl.FileName != "" || pl.FileSize != 0) {
		return bad("%s payload has a file name", pl.Kind)
	}
	if pl.Kind != PayloadPSBTInput && pl.Input != 0 || pl.Input < 0 {
		return bad("%s payload has an input index", pl.Kind)
	}
	return nil
}

// checkMessage allows printable text, newlines and tabs only. Anything else
// (carriage returns, escape sequences, bidirectional overrides, invisible
// format characters) could make the text an officer reads differ from the
// bytes that are signed.
func checkMessage(m []byte) error {
	if len(m) == 0 {
		return fmt.Errorf("message is empty")
	}
	if len(m) > MaxMessage {
		return fmt.Errorf("message is %d bytes, more than %d", len(m), MaxMessage)
	}
	if !utf8.Valid(m) {
		return fmt.Errorf("message is not valid UTF-8")
	}
	for i, r := range string(m) {
		if r == '\n' || r == '\t' || unicode.IsPrint(r) {
			continue
		}
		return fmt.Errorf("message contains %U at byte %d; only printable text, newlines and tabs can be signed", r, i)
	}
	return nil
}

func checkFileName(name string) error {
	bad := func(format string, args ...any) error {
		return invalid(ErrPayload, "file name "+format, args...)
	}
	if name == "" || name == "." || name == ".." {
		return bad("%q is not a file name", name)
	}
	if len(name) > MaxFileName {
		return bad("is longer than %d bytes", MaxFileName)
	}
	if !utf8.ValidString(name) {
		return bad("is not valid UTF-8")
	}
	if strings.ContainsAny(name, `/\`) {
		return bad("%q contains a directory separator", name)
	}
	if name[0] == ' ' || name[len(name)-1] == ' ' {
		return bad("%q starts or ends with a space", name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return bad("%q contains the unprintable character %U; rename the file", name, r)
		}
	}
	return nil
}

// EthAddress is the EIP-55 checksummed Ethereum address of a compressed
// secp256k1 public key (see keyshare.EthAddress).
func EthAddress(compressed []byte) (string, error) { return keyshare.EthAddress(compressed) }
