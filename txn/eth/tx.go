// Package eth decodes, checks and completes Ethereum signing requests for a
// threshold key: EIP-1559 (type 2) and legacy EIP-155 transactions, and
// EIP-712 typed data. Every laptop of a ceremony derives from the same
// bytes the same summary and the same 32-byte hash; after the ceremony the
// signature is attached and checked by recovering its signer.
//
// It uses go-ethereum's own code for everything that is hashed or encoded
// (core/types signers, rlp, crypto.Keccak256, signer/core/apitypes for
// EIP-712); it never imports the ceremony and never prints.
package eth

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/coldsig/coldsig/internal/strictjson"
)

// Bounds, part of the format of a plan that carries a transaction.
const (
	// MaxPayload bounds an unsigned transaction in bytes. Contract
	// creation code is limited to 49,152 bytes (EIP-3860); calls are far
	// smaller.
	MaxPayload = 64 << 10
	// MaxInput bounds the text read for --eth-tx (JSON with hex data is
	// twice the payload and some more).
	MaxInput = 3*MaxPayload + 4096
)

// Errors callers branch on.
var (
	// ErrTx: not a transaction coldsig can read.
	ErrTx = errors.New("invalid Ethereum transaction")
	// ErrTxType: a transaction type other than EIP-1559 (2) and legacy
	// with an EIP-155 chain id.
	ErrTxType = errors.New("transaction type not supported")
	// ErrChainID: the transaction's (or typed data's) chain id is not the
	// one the plan expects, or there is none.
	ErrChainID = errors.New("wrong chain id")
	// ErrFrom: the request names a sender other than the key that signs.
	ErrFrom = errors.New("sender is not this key")
	// ErrSignature: a signature does not recover to the signing key.
	ErrSignature = errors.New("signature does not recover to the key")
)

// Tx is an unsigned transaction as the plan binds it.
type Tx struct {
	Tx *types.Transaction
	// Payload is the exact byte string whose keccak256 is signed: the
	// EIP-2718 type byte and RLP list for type 2, the RLP list with chain
	// id, 0, 0 for legacy EIP-155.
	Payload []byte
	// Hash is keccak256(Payload), the digest the ceremony signs.
	Hash [32]byte
}

// unsigned1559 is what an EIP-1559 signature covers (after the 0x02 type
// byte): the transaction without its signature fields.
type unsigned1559 struct {
	ChainID    *big.Int
	Nonce      uint64
	GasTipCap  *big.Int
	GasFeeCap  *big.Int
	Gas        uint64
	To         *common.Address `rlp:"nil"`
	Value      *big.Int
	Data       []byte
	AccessList types.AccessList
}

// unsigned155 is what a legacy EIP-155 signature covers.
type unsigned155 struct {
	Nonce    uint64
	GasPrice *big.Int
	Gas      uint64
	To       *common.Address `rlp:"nil"`
	Value    *big.Int
	Data     []byte
	ChainID  *big.Int
	Zero1    uint
	Zero2    uint
}

// ParseUnsigned reads an unsigned transaction payload (the bytes a wallet
// puts in an eth-sign-request, or --eth-tx as hex). It is decoded with
// go-ethereum's rlp (canonical encoding only, nothing after the list) and
// accepted only if go-ethereum's own signer hashes the decoded transaction
// to keccak256 of exactly these bytes.
func ParseUnsigned(payload []byte) (*Tx, error) {
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrTx)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTx, len(payload), MaxPayload)
	}
	var txdata types.TxData
	switch b := payload[0]; {
	case b == types.DynamicFeeTxType:
		var u unsigned1559
		if err := rlp.DecodeBytes(payload[1:], &u); err != nil {
			return nil, fmt.Errorf("%w: EIP-1559 transaction: %v", ErrTx, err)
		}
		txdata = &types.DynamicFeeTx{ChainID: u.ChainID, Nonce: u.Nonce, GasTipCap: u.GasTipCap, GasFeeCap: u.GasFeeCap,
			Gas: u.Gas, To: u.To, Value: u.Value, Data: u.Data, AccessList: u.AccessList}
	case b >= 0xc0:
		var u unsigned155
		if err := rlp.DecodeBytes(payload, &u); err != nil {
			var short struct {
				Nonce    uint64
				GasPrice *big.Int
				Gas      uint64
				To       *common.Address `rlp:"nil"`
				Value    *big.Int
				Data     []byte
			}
			if rlp.DecodeBytes(payload, &short) == nil {
				return nil, fmt.Errorf("%w: a legacy transaction without an EIP-155 chain id can be replayed on every chain; ask the wallet for an EIP-155 or EIP-1559 transaction", ErrChainID)
			}
			return nil, fmt.Errorf("%w: legacy transaction: %v", ErrTx, err)
		}
		if u.Zero1 != 0 || u.Zero2 != 0 {
			return nil, fmt.Errorf("%w: a legacy EIP-155 signing payload ends with chain id, 0, 0", ErrTx)
		}
		txdata = &types.LegacyTx{Nonce: u.Nonce, GasPrice: u.GasPrice, Gas: u.Gas, To: u.To, Value: u.Value, Data: u.Data}
		if u.ChainID == nil || u.ChainID.Sign() == 0 {
			return nil, fmt.Errorf("%w: chain id 0", ErrChainID)
		}
		t := &Tx{Tx: types.NewTx(txdata), Payload: append([]byte(nil), payload...)}
		return t, t.check(u.ChainID)
	default:
		return nil, fmt.Errorf("%w: type %d (coldsig signs EIP-1559 type 2 and legacy EIP-155 transactions)", ErrTxType, b)
	}
	t := &Tx{Tx: types.NewTx(txdata), Payload: append([]byte(nil), payload...)}
	return t, t.check(t.Tx.ChainId())
}

// check sets the hash and makes sure go-ethereum's signer hashes the
// decoded transaction to keccak256 of the payload.
func (t *Tx) check(chainID *big.Int) error {
	if chainID == nil || chainID.Sign() <= 0 {
		return fmt.Errorf("%w: chain id must be positive", ErrChainID)
	}
	if chainID.BitLen() > 64 {
		return fmt.Errorf("%w: chain id %s is beyond any real chain", ErrChainID, chainID)
	}
	copy(t.Hash[:], crypto.Keccak256(t.Payload))
	if h := signerFor(chainID).Hash(t.Tx); h != common.Hash(t.Hash) {
		return fmt.Errorf("%w: the payload is not in go-ethereum's canonical signing form", ErrTx)
	}
	return nil
}

func signerFor(chainID *big.Int) types.Signer { return types.LatestSignerForChainID(chainID) }

// ChainID is the transaction's chain id.
func (t *Tx) ChainID() *big.Int {
	if t.Tx.Type() == types.LegacyTxType {
		// An unsigned legacy transaction carries its chain id only in
		// the signing payload.
		var u unsigned155
		_ = rlp.DecodeBytes(t.Payload, &u)
		return u.ChainID
	}
	return t.Tx.ChainId()
}

// Unsigned is the signing payload of a transaction built elsewhere (from
// JSON): the bytes ParseUnsigned reads.
func Unsigned(tx *types.Transaction, chainID *big.Int) ([]byte, error) {
	var payload []byte
	var err error
	switch tx.Type() {
	case types.DynamicFeeTxType:
		payload, err = rlp.EncodeToBytes(&unsigned1559{ChainID: tx.ChainId(), Nonce: tx.Nonce(), GasTipCap: tx.GasTipCap(), GasFeeCap: tx.GasFeeCap(),
			Gas: tx.Gas(), To: tx.To(), Value: tx.Value(), Data: tx.Data(), AccessList: tx.AccessList()})
		payload = append([]byte{types.DynamicFeeTxType}, payload...)
	case types.LegacyTxType:
		payload, err = rlp.EncodeToBytes(&unsigned155{Nonce: tx.Nonce(), GasPrice: tx.GasPrice(), Gas: tx.Gas(), To: tx.To(),
			Value: tx.Value(), Data: tx.Data(), ChainID: chainID})
	default:
		return nil, fmt.Errorf("%w: type %d", ErrTxType, tx.Type())
	}
	return payload, err
}

// txJSON is the eth_signTransaction request (go-ethereum's SendTxArgs,
// as clef and wallets write it), with the fields coldsig refuses named so
// that they are refused rather than ignored.
type txJSON struct {
	apitypes.SendTxArgs
	Type *hexutil.Uint64 `json:"type,omitempty"`
}

// ParseRequest reads what --eth-tx is given: transaction JSON (hex
// quantities, as eth_signTransaction takes them) or the unsigned payload
// as hex ("0x02f8..." or a legacy "0xf8..."). from is the sender the
// request names (nil if none); the signing key must be it.
func ParseRequest(data []byte) (tx *Tx, from *common.Address, err error) {
	if len(data) > MaxInput {
		return nil, nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTx, len(data), MaxInput)
	}
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, "{") {
		return parseJSON([]byte(text))
	}
	raw, err := hexutil.Decode(text)
	if err != nil {
		if !strings.HasPrefix(text, "0x") {
			raw, err = hexutil.Decode("0x" + text)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: neither transaction JSON nor an unsigned transaction in hex: %v", ErrTx, err)
		}
	}
	tx, err = ParseUnsigned(raw)
	return tx, nil, err
}

func parseJSON(data []byte) (*Tx, *common.Address, error) {
	var args txJSON
	if err := strictjson.Decode(data, &args); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrTx, err)
	}
	a := &args.SendTxArgs
	switch {
	case a.BlobHashes != nil || a.BlobFeeCap != nil || a.Blobs != nil || a.Commitments != nil || a.Proofs != nil:
		return nil, nil, fmt.Errorf("%w: blob transactions (EIP-4844) are not signed by coldsig", ErrTxType)
	case a.ChainID == nil:
		return nil, nil, fmt.Errorf("%w: the JSON has no \"chainId\"; a transaction without one could be replayed on another chain", ErrChainID)
	case a.Data != nil && a.Input != nil && !bytes.Equal(*a.Data, *a.Input):
		return nil, nil, fmt.Errorf("%w: \"data\" and \"input\" differ", ErrTx)
	case a.MaxFeePerGas != nil && a.GasPrice != nil:
		return nil, nil, fmt.Errorf("%w: both \"gasPrice\" and \"maxFeePerGas\"", ErrTx)
	case a.MaxFeePerGas != nil && a.MaxPriorityFeePerGas == nil:
		return nil, nil, fmt.Errorf("%w: \"maxFeePerGas\" without \"maxPriorityFeePerGas\"", ErrTx)
	case a.MaxFeePerGas == nil && a.MaxPriorityFeePerGas != nil:
		return nil, nil, fmt.Errorf("%w: \"maxPriorityFeePerGas\" without \"maxFeePerGas\"", ErrTx)
	case a.MaxFeePerGas == nil && a.GasPrice == nil:
		return nil, nil, fmt.Errorf("%w: no fee: give \"maxFeePerGas\" and \"maxPriorityFeePerGas\" (EIP-1559) or \"gasPrice\" (legacy)", ErrTx)
	case a.MaxFeePerGas == nil && a.AccessList != nil:
		return nil, nil, fmt.Errorf("%w: an access list without EIP-1559 fees is a type 1 transaction; coldsig signs type 2 and legacy EIP-155", ErrTxType)
	case a.Gas == 0:
		return nil, nil, fmt.Errorf("%w: no \"gas\" limit", ErrTx)
	}
	if a.MaxFeePerGas != nil && a.AccessList == nil {
		// ToTransaction leaves a nil list, which encodes the same as an
		// empty one; set it so the JSON and payload forms agree.
		a.AccessList = &types.AccessList{}
	}
	want := uint64(types.LegacyTxType)
	if a.MaxFeePerGas != nil {
		want = types.DynamicFeeTxType
	}
	if args.Type != nil && uint64(*args.Type) != want {
		return nil, nil, fmt.Errorf("%w: \"type\" %d does not match the fee fields (type %d)", ErrTxType, uint64(*args.Type), want)
	}
	for _, m := range []*common.MixedcaseAddress{a.To, &a.From} {
		if m != nil && m.Original() != strings.ToLower(m.Original()) && !m.ValidChecksum() {
			return nil, nil, fmt.Errorf("%w: address %s has a wrong EIP-55 checksum (a typo?)", ErrTx, m.Original())
		}
	}
	tx, err := a.ToTransaction()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrTx, err)
	}
	chainID := (*big.Int)(a.ChainID)
	payload, err := Unsigned(tx, chainID)
	if err != nil {
		return nil, nil, err
	}
	t, err := ParseUnsigned(payload)
	if err != nil {
		return nil, nil, err
	}
	var from *common.Address
	if a.From.Original() != "" {
		f := a.From.Address()
		from = &f
	}
	return t, from, nil
}

// CheckChain refuses a transaction for another chain than want.
func (t *Tx) CheckChain(want uint64) error {
	got := t.ChainID()
	if !got.IsUint64() || got.Uint64() != want {
		return fmt.Errorf("%w: the transaction is for chain %s (%s), the plan expects chain %d (%s)", ErrChainID, got, ChainName(got), want, ChainName(new(big.Int).SetUint64(want)))
	}
	return nil
}

// Signed is a signed transaction.
type Signed struct {
	Raw  []byte // EIP-2718 encoding, ready for eth_sendRawTransaction
	Hash common.Hash
	// Sig is r || s || v as eth-signature (EIP-4527) carries it: v is the
	// y parity for type 2, chainId*2+35+parity for legacy EIP-155.
	Sig []byte
}

// Sign attaches the ceremony's signature (r, s) made with pub and checks
// that go-ethereum recovers pub's address as the sender.
func (t *Tx) Sign(r, s, pub []byte) (*Signed, error) {
	sig, err := RecoverableSig(t.Hash, r, s, pub)
	if err != nil {
		return nil, err
	}
	chainID := t.ChainID()
	signer := signerFor(chainID)
	if t.Tx.Type() == types.LegacyTxType {
		signer = types.NewEIP155Signer(chainID)
	}
	signed, err := t.Tx.WithSignature(signer, sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	want, err := Address(pub)
	if err != nil {
		return nil, err
	}
	got, err := types.Sender(signer, signed)
	if err != nil || got != want {
		return nil, fmt.Errorf("%w: recovered sender %s, want %s (%v)", ErrSignature, got, want, err)
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return nil, err
	}
	v, rr, ss := signed.RawSignatureValues()
	out := append(append(rr.FillBytes(make([]byte, 32)), ss.FillBytes(make([]byte, 32))...), v.Bytes()...)
	if v.Sign() == 0 {
		out = append(out, 0)
	}
	return &Signed{Raw: raw, Hash: signed.Hash(), Sig: out}, nil
}

// RecoverableSig turns the ceremony's (r, s) over hash by pub into the
// 65-byte r || s || recovery id go-ethereum uses, with low S (EIP-2), and
// checks that it recovers pub.
func RecoverableSig(hash [32]byte, r, s, pub []byte) ([]byte, error) {
	n := crypto.S256().Params().N
	rb, sb := new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)
	if len(r) > 32 || len(s) > 32 || rb.Sign() == 0 || sb.Sign() == 0 || rb.Cmp(n) >= 0 || sb.Cmp(n) >= 0 {
		return nil, fmt.Errorf("%w: r or s out of range", ErrSignature)
	}
	if sb.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sb.Sub(n, sb)
	}
	sig := append(rb.FillBytes(make([]byte, 32)), sb.FillBytes(make([]byte, 32))...)
	want, err := crypto.DecompressPubkey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	for v := byte(0); v < 2; v++ {
		got, err := crypto.SigToPub(hash[:], append(sig, v))
		if err == nil && got.X.Cmp(want.X) == 0 && got.Y.Cmp(want.Y) == 0 {
			return append(sig, v), nil
		}
	}
	return nil, fmt.Errorf("%w: (r, s) is not a signature of %x by %x", ErrSignature, hash, pub)
}

// Address is the Ethereum address of a compressed secp256k1 key.
func Address(pub []byte) (common.Address, error) {
	k, err := crypto.DecompressPubkey(pub)
	if err != nil {
		return common.Address{}, err
	}
	return crypto.PubkeyToAddress(*k), nil
}
