// Package btc decodes, checks and signs Bitcoin PSBTs (BIP 174) for a
// threshold key: every laptop of a ceremony derives from the same PSBT
// bytes the same summary (network, inputs, outputs, change, fee) and the
// same BIP 143 sighashes, one per input this key signs, and after the
// ceremony attaches the signatures, finalizes, and checks the result with
// btcd's script engine.
//
// It uses the ecosystem's own code: btcutil/psbt parses and serializes,
// txscript computes sighashes and executes scripts, and hd (tss-lib's
// BIP32 derivation) names this key's child keys. It never imports the
// ceremony and never prints.
//
// What it signs: P2WPKH and P2SH-P2WPKH inputs whose BIP32 derivation
// names this key's fingerprint (the key is the BIP32 master of its
// descriptor, so the paths are m/0/i, m/1/i, ...). Everything else is
// refused with the reason; see Analyze for the rules.
package btc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
)

// Bounds. They are part of the format of a plan that carries a PSBT.
const (
	// MaxPSBT bounds a PSBT in bytes. A PSBT carries the full previous
	// transaction of every input it spends (the proof of each amount), so
	// it is much larger than the transaction: 256 KiB holds dozens of
	// ordinary previous transactions, and a plan with it still fits the
	// plan bound once base64-encoded.
	MaxPSBT = 256 << 10
	// MaxInputs bounds the inputs of a transaction: each input of this
	// key is one signature of the ceremony (a plan signs at most 64), and
	// officers read every input.
	MaxInputs = 64
	// MaxOutputs bounds the outputs; officers read every one.
	MaxOutputs = 256
)

// Errors callers branch on. Every refusal wraps exactly one of them (and
// ErrPSBT for a PSBT that does not parse).
var (
	// ErrPSBT: not a PSBT, or one BIP 174 (as btcutil/psbt reads it)
	// does not allow.
	ErrPSBT = errors.New("invalid PSBT")
	// ErrForeignInput: an input that this key does not sign (no BIP32
	// derivation with this key's fingerprint) in a plan that did not
	// allow partial signing.
	ErrForeignInput = errors.New("input not signed by this key")
	// ErrSighash: a sighash type other than SIGHASH_ALL that the plan
	// did not allow.
	ErrSighash = errors.New("sighash type refused")
	// ErrUTXO: an input of this key without its previous transaction, or
	// whose previous transaction is not the one the input spends.
	ErrUTXO = errors.New("input amount not proven")
	// ErrUTXOMismatch: an input's witness UTXO (amount or script)
	// disagrees with the output of the previous transaction it spends.
	ErrUTXOMismatch = errors.New("witness UTXO disagrees with the previous transaction")
	// ErrDerivation: an input claims a child of this key that the key
	// does not have (a different public key at that path, a hardened
	// path), or spends a script that is not that child's.
	ErrDerivation = errors.New("input key does not derive from this key")
	// ErrChange: an output claims to be change of this key (a BIP32
	// derivation with its fingerprint) but does not pay to this key's
	// child at that path.
	ErrChange = errors.New("change output does not derive from this key")
	// ErrNetwork: the PSBT says its wallet is on another network than the
	// plan's (a global xpub of mainnet on a testnet plan, or the reverse).
	ErrNetwork = errors.New("PSBT of another network")
	// ErrInputType: an input of this key of a type a threshold ECDSA key
	// cannot sign (Taproot, multisig, bare scripts, legacy P2PKH).
	ErrInputType = errors.New("input type cannot be signed")
	// ErrAlreadySigned: an input of this key that already carries this
	// key's signature or a final script.
	ErrAlreadySigned = errors.New("input already signed")
	// ErrAmounts: amounts out of range, or outputs worth more than the
	// inputs.
	ErrAmounts = errors.New("invalid amounts")
	// ErrSignature: a signature given to Complete does not verify.
	ErrSignature = errors.New("signature does not verify")
	// ErrFinalize: the PSBT cannot be finalized, or its finalized
	// transaction fails script verification.
	ErrFinalize = errors.New("cannot finalize")
)

// psbtMagic starts every binary PSBT (BIP 174: "psbt" 0xff).
var psbtMagic = []byte("psbt\xff")

// Decode returns the binary PSBT in data: binary as is, or base64 text
// (what Bitcoin Core, Sparrow and Electrum write), surrounding white space
// ignored. A UR (ur:crypto-psbt) is decoded by the caller, which owns the
// QR transport.
func Decode(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, psbtMagic) {
		return data, nil
	}
	if len(data) > MaxPSBT*4/3+1024 {
		return nil, fmt.Errorf("%w: %d bytes of text, more than a %d-byte PSBT", ErrPSBT, len(data), MaxPSBT)
	}
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(strings.ToLower(text), "ur:") {
		return nil, fmt.Errorf("%w: a UR, not a PSBT (decode ur:crypto-psbt first)", ErrPSBT)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: neither a binary PSBT (starting with \"psbt\\xff\") nor base64 text: %v", ErrPSBT, err)
	}
	if !bytes.HasPrefix(raw, psbtMagic) {
		return nil, fmt.Errorf("%w: the base64 text does not hold a PSBT (no \"psbt\\xff\" magic)", ErrPSBT)
	}
	return raw, nil
}

// Parse parses a binary PSBT strictly: within the bounds, with nothing
// after the last output map, and without the panics btcutil/psbt v1.1.8
// has on some malformed fields (an empty BIP32 derivation value).
func Parse(raw []byte) (p *psbt.Packet, err error) {
	if len(raw) > MaxPSBT {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrPSBT, len(raw), MaxPSBT)
	}
	if !bytes.HasPrefix(raw, psbtMagic) {
		return nil, fmt.Errorf("%w: no \"psbt\\xff\" magic", ErrPSBT)
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: malformed field (%v)", ErrPSBT, r)
		}
	}()
	r := bytes.NewReader(raw)
	p, err = psbt.NewFromRawBytes(r, false)
	if err != nil {
		if len(raw) > 6 && (raw[5] != 1 || raw[6] != 0) {
			// Version 0 starts with the unsigned transaction (key 0x00,
			// length 1); PSBT version 2 (BIP 370) has none.
			return nil, fmt.Errorf("%w: %v (the first global field is not the unsigned transaction: coldsig reads PSBT version 0, not version 2 (BIP 370))", ErrPSBT, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrPSBT, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last output map", ErrPSBT, r.Len())
	}
	switch n := len(p.UnsignedTx.TxIn); {
	case n == 0:
		return nil, fmt.Errorf("%w: no inputs", ErrPSBT)
	case n > MaxInputs:
		return nil, fmt.Errorf("%w: %d inputs, at most %d", ErrPSBT, n, MaxInputs)
	}
	switch n := len(p.UnsignedTx.TxOut); {
	case n == 0:
		return nil, fmt.Errorf("%w: no outputs", ErrPSBT)
	case n > MaxOutputs:
		return nil, fmt.Errorf("%w: %d outputs, at most %d", ErrPSBT, n, MaxOutputs)
	}
	return p, nil
}

// Serialize is the binary PSBT.
func Serialize(p *psbt.Packet) ([]byte, error) {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Network is a Bitcoin network by the name a plan records.
type Network string

// Networks a plan can name.
const (
	Mainnet Network = "mainnet"
	Testnet Network = "testnet"
	Signet  Network = "signet"
	Regtest Network = "regtest"
)

// Params are the network's address parameters.
func (n Network) Params() (*chaincfg.Params, error) {
	switch n {
	case Mainnet:
		return &chaincfg.MainNetParams, nil
	case Testnet:
		return &chaincfg.TestNet3Params, nil
	case Signet:
		return &chaincfg.SigNetParams, nil
	case Regtest:
		return &chaincfg.RegressionNetParams, nil
	}
	return nil, fmt.Errorf("unknown bitcoin network %q (want mainnet, testnet, signet or regtest)", string(n))
}

// Title is how officers see the network.
func (n Network) Title() string {
	switch n {
	case Mainnet:
		return "bitcoin mainnet (real money)"
	case Testnet:
		return "bitcoin testnet"
	case Signet:
		return "bitcoin signet"
	case Regtest:
		return "bitcoin regtest"
	}
	return string(n)
}
