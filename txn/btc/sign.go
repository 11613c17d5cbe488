package btc

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Sig is an ECDSA signature as the ceremony produces it: r and s,
// big-endian, at most 32 bytes each.
type Sig struct {
	R, S []byte
}

// Result is what Complete produces.
type Result struct {
	// Signed is the PSBT with this key's partial signatures added.
	Signed []byte
	// Final is the finalized PSBT and RawTx the network serialization of
	// the signed transaction (both nil unless finalizing).
	Final []byte
	RawTx []byte
	// TxID is the transaction id; VSize the virtual size of RawTx.
	TxID  string
	VSize int64
}

// Complete adds one signature per Signing entry of t (in order) to the
// PSBT as partial signatures and, with finalize, finalizes every input and
// extracts the transaction. Every signature is verified against its
// sighash and child key before it is added, and the finalized transaction
// is executed by btcd's script engine with the previous outputs: a result
// is returned only if every input verifies.
func (t *Tx) Complete(sigs []Sig, finalize bool) (*Result, error) {
	if len(sigs) != len(t.Signing) {
		return nil, fmt.Errorf("%w: %d signatures for %d inputs", ErrSignature, len(sigs), len(t.Signing))
	}
	// Work on a copy: t.Packet stays the PSBT the plan binds.
	raw, err := Serialize(t.Packet)
	if err != nil {
		return nil, err
	}
	p, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	u, err := psbt.NewUpdater(p)
	if err != nil {
		return nil, err
	}
	for k, s := range t.Signing {
		der, err := derSignature(sigs[k], s)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", s.Input, err)
		}
		if _, err := u.Sign(s.Input, append(der, byte(s.HashType)), s.PublicKey, s.redeemScript, nil); err != nil {
			return nil, fmt.Errorf("%w: input %d: adding the signature: %v", ErrSignature, s.Input, err)
		}
	}
	res := &Result{}
	if res.Signed, err = Serialize(p); err != nil {
		return nil, err
	}
	if !finalize {
		return res, nil
	}
	for i := range p.Inputs {
		if _, err := psbt.MaybeFinalize(p, i); err != nil {
			return nil, fmt.Errorf("%w: input %d: %v", ErrFinalize, i, err)
		}
	}
	if !p.IsComplete() {
		return nil, fmt.Errorf("%w: inputs that this key does not sign are not signed yet; finalize after their signers have signed", ErrFinalize)
	}
	if res.Final, err = Serialize(p); err != nil {
		return nil, err
	}
	tx, err := psbt.Extract(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFinalize, err)
	}
	if err := Verify(tx, t.prevOuts()); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tx.Serialize(&b); err != nil {
		return nil, err
	}
	res.RawTx = b.Bytes()
	res.TxID = tx.TxHash().String()
	if got := tx.TxHash().String(); t.TxID != "" && got != t.TxID {
		return nil, fmt.Errorf("%w: the signed transaction's id %s is not the PSBT's %s", ErrFinalize, got, t.TxID)
	}
	res.VSize = (int64(tx.SerializeSizeStripped())*3 + int64(tx.SerializeSize()) + 3) / 4
	return res, nil
}

// derSignature checks (r, s) against the input's sighash and key and
// returns its DER encoding with low S (BIP 62/146: a high-S signature is
// non-standard).
func derSignature(sig Sig, s Signing) ([]byte, error) {
	if len(sig.R) == 0 || len(sig.R) > 32 || len(sig.S) == 0 || len(sig.S) > 32 {
		return nil, fmt.Errorf("%w: r and s must be 1 to 32 bytes", ErrSignature)
	}
	var r, sv btcec.ModNScalar
	if r.SetByteSlice(sig.R) || sv.SetByteSlice(sig.S) || r.IsZero() || sv.IsZero() {
		return nil, fmt.Errorf("%w: r or s out of range", ErrSignature)
	}
	if sv.IsOverHalfOrder() {
		sv.Negate()
	}
	es := ecdsa.NewSignature(&r, &sv)
	pub, err := btcec.ParsePubKey(s.PublicKey)
	if err != nil {
		return nil, err
	}
	if !es.Verify(s.SigHash[:], pub) {
		return nil, fmt.Errorf("%w: not a signature of sighash %x by %x (%s)", ErrSignature, s.SigHash, s.PublicKey, s.Path)
	}
	return es.Serialize(), nil
}

func (t *Tx) prevOuts() map[wire.OutPoint]*wire.TxOut {
	m := make(map[wire.OutPoint]*wire.TxOut, len(t.Inputs))
	for i, in := range t.Inputs {
		pin := &t.Packet.Inputs[i]
		out, _, err := prevOut(pin, in.OutPoint)
		if err == nil {
			m[in.OutPoint] = out
		}
	}
	return m
}

// Verify executes every input script of tx with btcd's script engine
// (standard verification flags, so low-S and the segwit rules apply)
// against the outputs it spends.
func Verify(tx *wire.MsgTx, prevOuts map[wire.OutPoint]*wire.TxOut) error {
	fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		prev := prevOuts[in.PreviousOutPoint]
		if prev == nil {
			return fmt.Errorf("%w: input %d: no previous output to verify against", ErrFinalize, i)
		}
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prev.Value, fetcher)
		if err != nil {
			return fmt.Errorf("%w: input %d: %v", ErrFinalize, i, err)
		}
		if err := vm.Execute(); err != nil {
			return fmt.Errorf("%w: input %d fails script verification: %v", ErrFinalize, i, err)
		}
	}
	return nil
}

// RawTxHex is the raw transaction as hex text with a final newline, the
// form 'bitcoin-cli sendrawtransaction' and block explorers take.
func RawTxHex(raw []byte) []byte {
	return []byte(hex.EncodeToString(raw) + "\n")
}
