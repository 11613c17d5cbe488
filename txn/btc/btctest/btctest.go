// Package btctest builds PSBTs for tests the way a watch-only wallet does,
// with btcutil/psbt (Creator and Updater roles) and btcd's wire types,
// independently of the package under test: previous transactions paying
// the key's child addresses, then a spend of them.
package btctest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/coldsig/coldsig/hd"
)

// Input is an input to spend: a child of the account at Path (P2WPKH, or
// P2SH-P2WPKH when Nested), or, with Foreign set, an output of some other
// key (no derivation of the account).
type Input struct {
	Path    hd.Path
	Amount  int64
	Nested  bool
	Foreign bool
}

// Output pays Amount to Address, or, with Change set, to the account's
// child at Path (with the derivation a wallet writes for its change).
type Output struct {
	Address string
	Amount  int64
	Change  bool
	Path    hd.Path
}

// Built is a PSBT and what a verifier needs: the previous outputs.
type Built struct {
	Packet   *psbt.Packet
	PrevOuts map[wire.OutPoint]*wire.TxOut
}

// Bytes serializes the PSBT.
func (b *Built) Bytes() []byte {
	var buf bytes.Buffer
	if err := b.Packet.Serialize(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Build makes a PSBT spending ins to outs. Each input's previous
// transaction is a made-up funding transaction (distinct per input, from
// seed) whose output pays the child's address; the PSBT carries it in
// full (non-witness UTXO) and as witness UTXO, with the BIP32 derivation
// of the account's fingerprint, as Sparrow and Bitcoin Core write them.
func Build(account *hd.Key, net *chaincfg.Params, seed string, ins []Input, outs []Output) (*Built, error) {
	fp := account.Fingerprint()
	fpU32 := binary.LittleEndian.Uint32(fp[:])
	var prevTxs []*wire.MsgTx
	var outpoints []*wire.OutPoint
	var pubs [][]byte
	prevOuts := map[wire.OutPoint]*wire.TxOut{}
	for i, in := range ins {
		var pub []byte
		if in.Foreign {
			h := sha256.Sum256([]byte(fmt.Sprintf("%s foreign %d", seed, i)))
			other, err := hd.Master(append([]byte{2}, mustPoint(h)...), h)
			if err != nil {
				return nil, err
			}
			pub = other.PublicKey
		} else {
			child, _, err := account.Derive(in.Path)
			if err != nil {
				return nil, err
			}
			pub = child.PublicKey
		}
		pkScript := P2WPKH(pub)
		if in.Nested {
			pkScript = p2sh(P2WPKH(pub))
		}
		// A funding transaction: one made-up input, the output to spend
		// at index 1 behind a decoy output.
		prev := wire.NewMsgTx(2)
		h := sha256.Sum256([]byte(fmt.Sprintf("%s funding %d", seed, i)))
		prev.AddTxIn(wire.NewTxIn(wire.NewOutPoint((*chainhash.Hash)(&h), 0), nil, [][]byte{{1}}))
		prev.AddTxOut(wire.NewTxOut(5000, P2WPKH(pubs0(pub))))
		prev.AddTxOut(wire.NewTxOut(in.Amount, pkScript))
		prevTxs = append(prevTxs, prev)
		hash := prev.TxHash()
		op := wire.NewOutPoint(&hash, 1)
		outpoints = append(outpoints, op)
		prevOuts[*op] = prev.TxOut[1]
		pubs = append(pubs, pub)
	}
	var txOuts []*wire.TxOut
	for _, o := range outs {
		script, err := outScript(account, net, o)
		if err != nil {
			return nil, err
		}
		txOuts = append(txOuts, wire.NewTxOut(o.Amount, script))
	}
	seqs := make([]uint32, len(ins))
	for i := range seqs {
		seqs[i] = wire.MaxTxInSequenceNum - 2 // RBF, as wallets default
	}
	p, err := psbt.New(outpoints, txOuts, 2, 0, seqs)
	if err != nil {
		return nil, err
	}
	u, err := psbt.NewUpdater(p)
	if err != nil {
		return nil, err
	}
	for i, in := range ins {
		if err := u.AddInNonWitnessUtxo(prevTxs[i], i); err != nil {
			return nil, err
		}
		if err := u.AddInWitnessUtxo(prevTxs[i].TxOut[1], i); err != nil {
			return nil, err
		}
		if in.Nested {
			if err := u.AddInRedeemScript(P2WPKH(pubs[i]), i); err != nil {
				return nil, err
			}
		}
		if !in.Foreign {
			if err := u.AddInBip32Derivation(fpU32, in.Path, pubs[i], i); err != nil {
				return nil, err
			}
		}
	}
	for j, o := range outs {
		if !o.Change {
			continue
		}
		child, _, err := account.Derive(o.Path)
		if err != nil {
			return nil, err
		}
		if err := u.AddOutBip32Derivation(fpU32, o.Path, child.PublicKey, j); err != nil {
			return nil, err
		}
	}
	return &Built{Packet: p, PrevOuts: prevOuts}, nil
}

func outScript(account *hd.Key, net *chaincfg.Params, o Output) ([]byte, error) {
	if o.Change {
		child, _, err := account.Derive(o.Path)
		if err != nil {
			return nil, err
		}
		return P2WPKH(child.PublicKey), nil
	}
	a, err := btcutil.DecodeAddress(o.Address, net)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(a)
}

// P2WPKH is the output script paying a compressed public key.
func P2WPKH(pub []byte) []byte {
	return append([]byte{txscript.OP_0, 20}, btcutil.Hash160(pub)...)
}

func p2sh(redeem []byte) []byte {
	return append(append([]byte{txscript.OP_HASH160, 20}, btcutil.Hash160(redeem)...), txscript.OP_EQUAL)
}

// pubs0 varies a key for the decoy output so it pays someone else.
func pubs0(pub []byte) []byte {
	h := sha256.Sum256(pub)
	return append([]byte{2}, mustPoint(h)...)
}

// mustPoint returns an x coordinate of a curve point derived from h.
func mustPoint(h [32]byte) []byte {
	for i := 0; ; i++ {
		x := sha256.Sum256(append(h[:], byte(i)))
		if _, err := btcecParse(append([]byte{2}, x[:]...)); err == nil {
			return x[:]
		}
	}
}

func btcecParse(b []byte) (*btcec.PublicKey, error) { return btcec.ParsePubKey(b) }
