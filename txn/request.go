// Package txn is a transaction a signing plan binds: a Bitcoin PSBT, an
// Ethereum transaction, an EIP-4527 eth-sign-request or EIP-712 typed
// data, with the few choices the plan states about it (network, expected
// chain id, what may be allowed). From its bytes and the key every laptop
// derives the same signatures to make (one per plan item), the same
// summary for the officers, and after the ceremony the same signed
// outputs.
//
// The chain-specific work is in txn/btc, txn/eth and txn/ur; this package
// never imports the plan or the ceremony.
package txn

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/txscript"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/txn/btc"
	"github.com/coldsig/coldsig/txn/eth"
	"github.com/coldsig/coldsig/txn/ur"
)

// Kind is what a Request's Data holds.
type Kind string

// Kinds, as a plan's "tx" field writes them.
const (
	// PSBT: a binary PSBT (BIP 174, version 0).
	PSBT Kind = "psbt"
	// EthTx: an unsigned Ethereum transaction, the exact bytes whose
	// keccak256 is signed (type 2, or legacy with EIP-155 chain id).
	EthTx Kind = "eth-tx"
	// EthSignRequest: the CBOR message of an EIP-4527 eth-sign-request
	// (a transaction or typed data, with its derivation path).
	EthSignRequest Kind = "eth-sign-request"
	// EIP712: EIP-712 typed data JSON.
	EIP712 Kind = "eip712"
)

// Errors of this package; the chain packages' named errors (btc.ErrChange,
// eth.ErrChainID, ...) pass through wrapped.
var (
	ErrRequest = errors.New("invalid transaction request")
	// ErrKey: the request names a key other than the plan's (another
	// fingerprint, an address that is not the signing key's).
	ErrKey = errors.New("request is not for this key")
)

// Request is everything a plan records about a transaction.
type Request struct {
	Kind Kind
	Data []byte

	// PSBT only: the network addresses are shown for; whether to
	// finalize (then every input must be this key's); whether inputs of
	// other keys may be present (signed by their own signers later); and
	// sighash types besides ALL that this key's inputs may use.
	Network      btc.Network
	Finalize     bool
	AllowForeign bool
	AllowSighash []txscript.SigHashType

	// Ethereum only: the chain the plan expects (the request's chain id
	// must be this one), and for eth-tx and eip712 the child key that
	// signs (nil: the key itself; an eth-sign-request names its own).
	ChainID uint64
	Path    hd.Path
}

// Key is the plan's key: its compressed secp256k1 public key and, for a
// key with a chain code, its BIP32 account (master) key.
type Key struct {
	PublicKey []byte
	Account   *hd.Key
}

// Signing is one signature the request needs: ECDSA over Digest with the
// key's child at Path (nil: the key itself). Input is the PSBT input it
// signs (-1 for Ethereum).
type Signing struct {
	// Kind is what the digest is: "psbt-input", "eth-tx" or "eip712"
	// (the plan's payload kind of the item).
	Kind      string
	Path      hd.Path
	PublicKey []byte
	Digest    [32]byte
	Input     int
}

// Field is one labelled line of the summary officers read.
type Field struct {
	Label, Value string
}

// Analysis is what the request means for this key.
type Analysis struct {
	// Title names the request ("Bitcoin transaction (PSBT)", ...).
	Title string
	// Fields describe the whole request; Warnings are what officers must
	// weigh before they sign.
	Fields   []Field
	Warnings []string
	// Signings are the signatures to make, in plan item order, each with
	// its own rows and a sentence saying exactly what it covers.
	Signings []Signing
	Rows     [][]Field
	How      []string

	btc   *btc.Tx
	eth   *eth.Tx
	typed *eth.TypedData
	reqID []byte
}

// Validate checks the request's own fields: the kind, the size, and that
// the choices given belong to the kind.
func (r *Request) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrRequest, fmt.Sprintf(format, args...))
	}
	if len(r.Data) == 0 {
		return bad("no data")
	}
	psbtOpts := r.Network != "" || r.Finalize || r.AllowForeign || len(r.AllowSighash) > 0
	ethOpts := r.ChainID != 0 || r.Path != nil
	switch r.Kind {
	case PSBT:
		if len(r.Data) > btc.MaxPSBT {
			return bad("PSBT of %d bytes, at most %d", len(r.Data), btc.MaxPSBT)
		}
		if _, err := r.Network.Params(); err != nil {
			return bad("%v", err)
		}
		if ethOpts {
			return bad("a PSBT has no chain id or signing path (its inputs name their own paths)")
		}
		if r.Finalize && r.AllowForeign {
			return bad("finalizing needs every input signed, which partial signing does not do")
		}
		for i, h := range r.AllowSighash {
			if h == txscript.SigHashAll || strings.HasPrefix(btc.SighashName(h), "sighash 0x") {
				return bad("allowed sighash %s: list only types other than SIGHASH_ALL, each once", btc.SighashName(h))
			}
			for _, o := range r.AllowSighash[:i] {
				if o == h {
					return bad("allowed sighash %s listed twice", btc.SighashName(h))
				}
			}
		}
	case EthTx, EthSignRequest, EIP712:
		if psbtOpts {
			return bad("network, finalize and sighash choices are for PSBTs")
		}
		if r.ChainID == 0 {
			return bad("the plan must state the chain id it expects")
		}
		if r.Kind == EthSignRequest && r.Path != nil {
			return bad("an eth-sign-request names its own derivation path")
		}
		max := eth.MaxPayload
		switch r.Kind {
		case EIP712:
			max = eth.MaxTypedData
		case EthSignRequest:
			max = eth.MaxTypedData + 1024
		}
		if len(r.Data) > max {
			return bad("%s of %d bytes, at most %d", r.Kind, len(r.Data), max)
		}
	default:
		return bad("unknown kind %q (want psbt, eth-tx, eth-sign-request or eip712)", r.Kind)
	}
	if r.Path != nil {
		for _, x := range r.Path {
			if x >= hd.Hardened {
				return bad("path %s is hardened", r.Path)
			}
		}
		if len(r.Path) == 0 || len(r.Path) > hd.MaxDepth {
			return bad("path of %d levels (1 to %d; the key itself has no path)", len(r.Path), hd.MaxDepth)
		}
	}
	return nil
}

// Analyze checks the request against the key and says what it means:
// every refusal of the chain packages (an input not this key's, a wrong
// chain id, ...) is returned here, on every laptop, from the bytes alone.
func (r *Request) Analyze(k Key) (*Analysis, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	switch r.Kind {
	case PSBT:
		return r.analyzePSBT(k)
	case EthTx:
		t, err := eth.ParseUnsigned(r.Data)
		if err != nil {
			return nil, err
		}
		return r.analyzeEth(k, t, nil, r.Path, nil)
	case EIP712:
		td, err := eth.ParseTypedData(r.Data)
		if err != nil {
			return nil, err
		}
		return r.analyzeEth(k, nil, td, r.Path, nil)
	default: // EthSignRequest
		return r.analyzeRequest(k)
	}
}

func (r *Request) analyzePSBT(k Key) (*Analysis, error) {
	if k.Account == nil {
		return nil, fmt.Errorf("%w: the key has no xpub (chain code), so no PSBT derivation can name it; PSBTs are signed by HD keys", ErrKey)
	}
	tx, err := btc.Analyze(r.Data, k.Account, btc.Options{Network: r.Network, AllowForeign: r.AllowForeign, AllowSighash: r.AllowSighash})
	if err != nil {
		return nil, err
	}
	if r.Finalize {
		for _, in := range tx.Inputs {
			if !in.Ours {
				return nil, fmt.Errorf("%w: input %d is not this key's, so the transaction cannot be finalized here", ErrRequest, in.Index)
			}
		}
	}
	a := &Analysis{Title: "Bitcoin transaction (PSBT)", btc: tx}
	a.Fields, a.Warnings = describePSBT(tx, r)
	for _, s := range tx.Signing {
		a.Signings = append(a.Signings, Signing{Kind: "psbt-input", Path: s.Path, PublicKey: s.PublicKey, Digest: s.SigHash, Input: s.Input})
		in := tx.Inputs[s.Input]
		a.Rows = append(a.Rows, []Field{{"signs input", fmt.Sprintf("%d (%s at %s, %s)", s.Input, in.Type, s.Path, btc.FormatBTC(in.Amount))},
			{"sighash", fmt.Sprintf("%x", s.SigHash)}})
		a.How = append(a.How, fmt.Sprintf("ECDSA signs the BIP 143 sighash (%s) of input %d, which commits to the amount it spends and to %s.",
			btc.SighashName(s.HashType), s.Input, sighashCommits(s.HashType)))
	}
	return a, nil
}

func sighashCommits(h txscript.SigHashType) string {
	switch h {
	case txscript.SigHashAll:
		return "every input and output shown above"
	case txscript.SigHashNone:
		return "every input but no output"
	case txscript.SigHashSingle:
		return "every input and only the output at its own index"
	}
	return "only this input (and the outputs its type names)"
}

// analyzeEth describes a transaction t or typed data td signed by the key
// at path; reqID is the eth-sign-request's id (nil without one).
func (r *Request) analyzeEth(k Key, t *eth.Tx, td *eth.TypedData, path hd.Path, reqID []byte) (*Analysis, error) {
	pub, err := k.At(path)
	if err != nil {
		return nil, err
	}
	from, err := eth.Address(pub)
	if err != nil {
		return nil, err
	}
	a := &Analysis{eth: t, typed: td, reqID: reqID}
	s := Signing{Kind: "eth-tx", Path: path, PublicKey: pub, Input: -1}
	var fields []eth.Field
	if t != nil {
		if err := t.CheckChain(r.ChainID); err != nil {
			return nil, err
		}
		a.Title = "Ethereum transaction"
		fields, a.Warnings = t.Describe(from)
		s.Digest = t.Hash
		a.How = []string{"ECDSA signs keccak256 of the unsigned transaction (the signing hash above); the result is the signed raw transaction, sender " + from.Hex() + "."}
	} else {
		if err := td.CheckChain(r.ChainID); err != nil {
			return nil, err
		}
		a.Title = "EIP-712 typed data (eth_signTypedData_v4)"
		s.Kind = "eip712"
		fields, a.Warnings = td.Describe(from)
		s.Digest = td.Hash
		a.How = []string{"ECDSA signs keccak256(0x1901 || domain separator || hashStruct(message)), the signing hash above; the result is a 65-byte signature by " + from.Hex() + "."}
	}
	for _, f := range fields {
		a.Fields = append(a.Fields, Field(f))
	}
	a.Signings = []Signing{s}
	a.Rows = [][]Field{nil}
	return a, nil
}

// At is the public key that signs at path: the key itself for a nil
// path, else its BIP32 child (which needs the key's chain code).
func (k Key) At(path hd.Path) ([]byte, error) {
	if path == nil {
		return k.PublicKey, nil
	}
	if k.Account == nil {
		return nil, fmt.Errorf("%w: path %s needs a key with a chain code (xpub)", ErrKey, path)
	}
	child, _, err := k.Account.Derive(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return child.PublicKey, nil
}

// NewEthTx is the request to sign, for chainID, the Ethereum transaction
// in data (JSON or unsigned hex: eth.ParseRequest) with k's key at path.
// A sender ("from") the request names must be that key's address: else
// the error wraps eth.ErrFrom.
func NewEthTx(data []byte, chainID uint64, k Key, path hd.Path) (*Request, error) {
	tx, from, err := eth.ParseRequest(data)
	if err != nil {
		return nil, err
	}
	if from != nil {
		signer, err := k.At(path)
		if err != nil {
			return nil, err
		}
		want, err := eth.Address(signer)
		if err != nil {
			return nil, err
		}
		if want != *from {
			who := "the key itself"
			if path != nil {
				who = "child " + path.String()
			}
			return nil, fmt.Errorf("%w: \"from\" is %s, the signing key (%s) is %s", eth.ErrFrom, from.Hex(), who, want.Hex())
		}
	}
	return &Request{Kind: EthTx, Data: tx.Payload, ChainID: chainID, Path: path}, nil
}

func (r *Request) analyzeRequest(k Key) (*Analysis, error) {
	req, err := ur.ParseEthSignRequest(r.Data)
	if err != nil {
		return nil, err
	}
	if k.Account == nil {
		return nil, fmt.Errorf("%w: an eth-sign-request names its key by BIP32 fingerprint and path, and this key has no xpub", ErrKey)
	}
	fp := k.Account.Fingerprint()
	if req.Path.SourceFingerprint != ur.Fingerprint(fp) {
		return nil, fmt.Errorf("%w: the request is for the key with fingerprint %08x, this key's is %x", ErrKey, req.Path.SourceFingerprint, fp)
	}
	var path hd.Path
	for i, x := range req.Path.Path {
		if req.Path.Hardened[i] {
			return nil, fmt.Errorf("%w: the request's path %s is hardened; a threshold key has no hardened children (pair the wallet with 'coldsig account' so it asks for m/0/i)", ErrKey, req.Path.String())
		}
		path = append(path, x)
	}
	if len(path) > hd.MaxDepth {
		return nil, fmt.Errorf("%w: path of %d levels", ErrKey, len(path))
	}
	if req.ChainID != r.ChainID {
		return nil, fmt.Errorf("%w: the request is for chain %d (%s), the plan expects chain %d", eth.ErrChainID, req.ChainID, eth.ChainName(bigU(req.ChainID)), r.ChainID)
	}
	var a *Analysis
	switch req.DataType {
	case ur.EthLegacyTx, ur.EthTypedTx:
		t, err := eth.ParseUnsigned(req.SignData)
		if err != nil {
			return nil, err
		}
		legacy := t.Payload[0] >= 0xc0
		if legacy != (req.DataType == ur.EthLegacyTx) {
			return nil, fmt.Errorf("%w: data type %d does not match the transaction (type %d)", ErrRequest, req.DataType, t.Tx.Type())
		}
		a, err = r.analyzeEth(k, t, nil, path, req.RequestID)
		if err != nil {
			return nil, err
		}
	case ur.EthTypedData:
		td, err := eth.ParseTypedData(req.SignData)
		if err != nil {
			return nil, err
		}
		if a, err = r.analyzeEth(k, nil, td, path, req.RequestID); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: eth-sign-request data type %d (a personal message); sign messages with 'coldsig plan sign --message'", ErrRequest, req.DataType)
	}
	if req.Address != nil {
		want, _ := eth.Address(a.Signings[0].PublicKey)
		if !bytes.Equal(req.Address, want[:]) {
			return nil, fmt.Errorf("%w (%w): the request names address 0x%x, the key at %s is %s", ErrKey, eth.ErrFrom, req.Address, path, want.Hex())
		}
	}
	a.Title += " (from an eth-sign-request)"
	extra := []Field{{"request path", req.Path.String()}}
	if req.Origin != "" {
		extra = append(extra, Field{"request from", req.Origin})
	}
	if req.RequestID != nil {
		extra = append(extra, Field{"request id", fmt.Sprintf("%x", req.RequestID)})
	}
	a.Fields = append(extra, a.Fields...)
	return a, nil
}
