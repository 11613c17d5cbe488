package btc

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/txn/btc/btctest"
)

// testKey is a single-key stand-in for the threshold key: the account
// (BIP32 master) and its private key, to sign what a ceremony would.
type testKey struct {
	priv    *btcec.PrivateKey
	account *hd.Key
}

func newTestKey(t testing.TB, seed string) *testKey {
	h := sha256.Sum256([]byte(seed))
	priv, _ := btcec.PrivKeyFromBytes(h[:])
	cc := sha256.Sum256([]byte(seed + " chain code"))
	m, err := hd.Master(priv.PubKey().SerializeCompressed(), cc)
	if err != nil {
		panic(err) // fixed seeds: cannot happen
	}
	return &testKey{priv: priv, account: m}
}

// sign makes the signatures a ceremony would: with the child key at each
// path (the key plus the path's tweak).
func (k *testKey) sign(t testing.TB, tx *Tx) []Sig {
	t.Helper()
	var sigs []Sig
	for _, s := range tx.Signing {
		_, delta, err := k.account.Derive(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		d := new(big.Int).Add(new(big.Int).SetBytes(k.priv.Serialize()), delta)
		d.Mod(d, btcec.S256().N)
		child, _ := btcec.PrivKeyFromBytes(d.FillBytes(make([]byte, 32)))
		if !bytes.Equal(child.PubKey().SerializeCompressed(), s.PublicKey) {
			t.Fatalf("input %d: child key mismatch", s.Input)
		}
		der := ecdsa.Sign(child, s.SigHash[:]).Serialize()
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, Sig{R: rs.R.Bytes(), S: rs.S.Bytes()})
	}
	return sigs
}

const payee = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" // BIP 173 example address

func twoInputs(t testing.TB, k *testKey) *btctest.Built {
	t.Helper()
	b, err := btctest.Build(k.account, &chaincfg.MainNetParams, "two", []btctest.Input{
		{Path: hd.Path{0, 3}, Amount: 150_000},
		{Path: hd.Path{0, 7}, Amount: 90_000},
	}, []btctest.Output{
		{Address: payee, Amount: 200_000},
		{Change: true, Path: hd.Path{1, 0}, Amount: 38_000},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignTwoP2WPKHInputs(t *testing.T) {
	k := newTestKey(t, "account")
	b := twoInputs(t, k)
	raw := b.Bytes()
	tx, err := Analyze(raw, k.account, Options{Network: Mainnet})
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.Signing) != 2 || tx.Fee != 2_000 || tx.Change != 38_000 || tx.In != 240_000 {
		t.Fatalf("summary: signing %d fee %d change %d in %d", len(tx.Signing), tx.Fee, tx.Change, tx.In)
	}
	if !tx.Outputs[1].Change || tx.Outputs[0].Change || tx.Outputs[0].Address != payee {
		t.Fatalf("outputs: %+v", tx.Outputs)
	}
	if !tx.Inputs[0].Proven || tx.Inputs[0].Type != "P2WPKH" || !tx.Inputs[0].Path.Equal(hd.Path{0, 3}) {
		t.Fatalf("input 0: %+v", tx.Inputs[0])
	}
	// The sighash is BIP 143's, as txscript computes it for the spend.
	hashes := txscript.NewTxSigHashes(b.Packet.UnsignedTx, txscript.NewMultiPrevOutFetcher(b.PrevOuts))
	want, err := txscript.CalcWitnessSigHash(b.PrevOuts[b.Packet.UnsignedTx.TxIn[1].PreviousOutPoint].PkScript, hashes, txscript.SigHashAll, b.Packet.UnsignedTx, 1, 90_000)
	if err != nil || !bytes.Equal(want, tx.Signing[1].SigHash[:]) {
		t.Fatalf("sighash %x, want %x (%v)", tx.Signing[1].SigHash, want, err)
	}
	res, err := tx.Complete(k.sign(t, tx), true)
	if err != nil {
		t.Fatal(err)
	}
	// Independent check: decode the raw transaction and run the script
	// engine on every input against the previous outputs.
	final := wire.NewMsgTx(2)
	if err := final.Deserialize(bytes.NewReader(res.RawTx)); err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(b.PrevOuts)
	for i, in := range final.TxIn {
		prev := b.PrevOuts[in.PreviousOutPoint]
		vm, err := txscript.NewEngine(prev.PkScript, final, i, txscript.StandardVerifyFlags, nil, txscript.NewTxSigHashes(final, fetcher), prev.Value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
	if res.VSize > tx.VSize || res.VSize < tx.VSize-2 {
		t.Errorf("vsize %d, estimated at most %d", res.VSize, tx.VSize)
	}
	// The partially signed PSBT carries both signatures, unfinalized.
	sp, err := Parse(res.Signed)
	if err != nil || len(sp.Inputs[0].PartialSigs) != 1 || sp.Inputs[0].FinalScriptWitness != nil {
		t.Fatalf("signed PSBT: %v", err)
	}
	// A tampered signature is refused before anything is produced.
	sigs := k.sign(t, tx)
	sigs[1].S = sigs[0].S
	if _, err := tx.Complete(sigs, true); !errors.Is(err, ErrSignature) {
		t.Fatalf("bad signature: %v", err)
	}
}

func TestNestedSegwit(t *testing.T) {
	k := newTestKey(t, "account")
	b, err := btctest.Build(k.account, &chaincfg.MainNetParams, "nested", []btctest.Input{
		{Path: hd.Path{0, 1}, Amount: 50_000, Nested: true},
	}, []btctest.Output{{Address: payee, Amount: 49_000}})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := Analyze(b.Bytes(), k.account, Options{Network: Mainnet})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Inputs[0].Type != "P2SH-P2WPKH" || !strings.HasPrefix(tx.Inputs[0].Address, "3") {
		t.Fatalf("input: %+v", tx.Inputs[0])
	}
	res, err := tx.Complete(k.sign(t, tx), true)
	if err != nil {
		t.Fatal(err)
	}
	if res.VSize > tx.VSize {
		t.Errorf("vsize %d above estimate %d", res.VSize, tx.VSize)
	}
}

func TestHostile(t *testing.T) {
	k := newTestKey(t, "account")
	other := newTestKey(t, "someone else")
	build := func(ins []btctest.Input, outs []btctest.Output) *btctest.Built {
		b, err := btctest.Build(k.account, &chaincfg.MainNetParams, "hostile", ins, outs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ours := []btctest.Input{{Path: hd.Path{0, 1}, Amount: 100_000}}
	pay := []btctest.Output{{Address: payee, Amount: 90_000}}
	tests := []struct {
		name   string
		mutate func() *btctest.Built
		opts   Options
		want   error
		text   string
	}{
		{"foreign input mixed in", func() *btctest.Built {
			return build(append(ours, btctest.Input{Foreign: true, Amount: 20_000}), pay)
		}, Options{}, ErrForeignInput, "input 1"},
		{"sighash none", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].SighashType = txscript.SigHashNone
			return b
		}, Options{}, ErrSighash, "SIGHASH_NONE"},
		{"sighash single|anyonecanpay", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].SighashType = txscript.SigHashSingle | txscript.SigHashAnyOneCanPay
			return b
		}, Options{AllowSighash: []txscript.SigHashType{txscript.SigHashNone}}, ErrSighash, "SINGLE|ANYONECANPAY"},
		{"witness amount disagrees with previous transaction", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].WitnessUtxo = wire.NewTxOut(1_000_000, b.Packet.Inputs[0].WitnessUtxo.PkScript)
			return b
		}, Options{}, ErrUTXOMismatch, "0.01000000 BTC"},
		{"witness script disagrees with previous transaction", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].WitnessUtxo = wire.NewTxOut(100_000, btctest.P2WPKH(other.account.PublicKey))
			return b
		}, Options{}, ErrUTXOMismatch, "script"},
		{"no previous transaction", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].NonWitnessUtxo = nil
			return b
		}, Options{}, ErrUTXO, "CVE-2020-14199"},
		{"previous transaction of another txid", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].NonWitnessUtxo.LockTime++
			return b
		}, Options{}, ErrUTXO, "previous transaction"},
		{"change not derived from the key", func() *btctest.Built {
			b := build(ours, append(pay, btctest.Output{Change: true, Path: hd.Path{1, 2}, Amount: 5_000}))
			// The derivation claims this key's child m/1/2, the script pays
			// another key.
			b.Packet.UnsignedTx.TxOut[1].PkScript = btctest.P2WPKH(other.account.PublicKey)
			return b
		}, Options{}, ErrChange, "claims to be change"},
		{"change derivation names another public key", func() *btctest.Built {
			b := build(ours, append(pay, btctest.Output{Change: true, Path: hd.Path{1, 2}, Amount: 5_000}))
			b.Packet.Outputs[1].Bip32Derivation[0].PubKey = other.account.PublicKey
			b.Packet.UnsignedTx.TxOut[1].PkScript = btctest.P2WPKH(other.account.PublicKey)
			return b
		}, Options{}, ErrChange, "this key's child there"},
		{"input derivation names another public key", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].Bip32Derivation[0].PubKey = other.account.PublicKey
			return b
		}, Options{}, ErrDerivation, "m/0/1"},
		{"hardened input path", func() *btctest.Built {
			b := build(ours, pay)
			b.Packet.Inputs[0].Bip32Derivation[0].Bip32Path = []uint32{hd.Hardened + 84, 0}
			return b
		}, Options{}, ErrDerivation, "m/84'/0"},
		{"outputs above inputs", func() *btctest.Built {
			return build(ours, []btctest.Output{{Address: payee, Amount: 100_001}})
		}, Options{}, ErrAmounts, "worth more"},
		{"already signed", func() *btctest.Built {
			b := build(ours, pay)
			sig := append(ecdsa.Sign(other.priv, make([]byte, 32)).Serialize(), 1)
			b.Packet.Inputs[0].PartialSigs = []*psbt.PartialSig{{PubKey: other.account.PublicKey, Signature: sig}}
			return b
		}, Options{}, ErrAlreadySigned, ""},
		{"taproot input", func() *btctest.Built {
			b := build(ours, pay)
			tr := append([]byte{txscript.OP_1, 32}, bytes.Repeat([]byte{7}, 32)...)
			b.Packet.Inputs[0].NonWitnessUtxo.TxOut[1].PkScript = tr
			h := b.Packet.Inputs[0].NonWitnessUtxo.TxHash()
			b.Packet.UnsignedTx.TxIn[0].PreviousOutPoint.Hash = h
			b.Packet.Inputs[0].WitnessUtxo = nil
			return b
		}, Options{}, ErrInputType, "Taproot"},
		{"no input of this key", func() *btctest.Built {
			return build([]btctest.Input{{Foreign: true, Amount: 20_000}}, []btctest.Output{{Address: payee, Amount: 10_000}})
		}, Options{AllowForeign: true}, ErrForeignInput, "nothing to sign"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Network = Mainnet
			_, err := Analyze(tc.mutate().Bytes(), k.account, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not mention %q", err, tc.text)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	k := newTestKey(t, "account")
	b, err := btctest.Build(k.account, &chaincfg.MainNetParams, "partial", []btctest.Input{
		{Path: hd.Path{0, 1}, Amount: 100_000}, {Foreign: true, Amount: 20_000},
	}, []btctest.Output{{Address: payee, Amount: 110_000}})
	if err != nil {
		t.Fatal(err)
	}
	b.Packet.Inputs[0].SighashType = txscript.SigHashNone
	tx, err := Analyze(b.Bytes(), k.account, Options{Network: Mainnet, AllowForeign: true, AllowSighash: []txscript.SigHashType{txscript.SigHashNone}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.Signing) != 1 || tx.Inputs[1].Ours || tx.VSize != 0 || tx.Signing[0].HashType != txscript.SigHashNone {
		t.Fatalf("%+v", tx)
	}
	// Partial signing works; finalizing cannot (the foreign input is
	// unsigned).
	if _, err := tx.Complete(k.sign(t, tx), false); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Complete(k.sign(t, tx), true); !errors.Is(err, ErrFinalize) {
		t.Fatalf("finalize with a foreign input: %v", err)
	}
}

func TestDecode(t *testing.T) {
	k := newTestKey(t, "account")
	raw := twoInputs(t, k).Bytes()
	for name, in := range map[string][]byte{
		"binary": raw,
		"base64": []byte(base64.StdEncoding.EncodeToString(raw) + "\n"),
	} {
		got, err := Decode(in)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, in := range map[string]string{
		"not base64":               "cHNidP8B!!!",
		"base64 of something else": base64.StdEncoding.EncodeToString([]byte("hello")),
		"ur":                       "ur:crypto-psbt/hdosjojkidjyzmadaenyaoaeaeaeaeaxbgxtiezeghlgeyt",
	} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrPSBT) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Parse(append(raw, 0)); !errors.Is(err, ErrPSBT) || !strings.Contains(err.Error(), "after the last output") {
		t.Errorf("trailing byte: %v", err)
	}
}

func TestFormatBTC(t *testing.T) {
	for sat, want := range map[int64]string{
		0:                     "0.00000000 BTC (0 sat)",
		120_000:               "0.00120000 BTC (120000 sat)",
		2_100_000_000_000_000: "21000000.00000000 BTC (2100000000000000 sat)",
		-5:                    "-0.00000005 BTC (-5 sat)",
	} {
		if got := FormatBTC(sat); got != want {
			t.Errorf("FormatBTC(%d) = %q, want %q", sat, got, want)
		}
	}
}

// btcutil/psbt v1.1.8 panics on a BIP32 derivation field with an empty
// value (ReadBip32Derivation slices path[:4]); Parse turns that into an
// error.
func TestParseEmptyDerivationValue(t *testing.T) {
	k := newTestKey(t, "account")
	b := twoInputs(t, k)
	b.Packet.Inputs[0].Bip32Derivation = nil
	b.Packet.Inputs[0].Unknowns = []*psbt.Unknown{{Key: append([]byte{byte(psbt.Bip32DerivationInputType)}, k.account.PublicKey...), Value: []byte{}}}
	_, err := Parse(b.Bytes())
	if !errors.Is(err, ErrPSBT) || !strings.Contains(err.Error(), "malformed field") {
		t.Fatalf("got %v", err)
	}
}
