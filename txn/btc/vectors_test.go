package btc

import (
	"encoding/base64"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/internal/vectortest"
	"github.com/coldsig/coldsig/txn/btc/btctest"
)

// go test ./txn/btc -run TestVectors -update-vectors rewrites
// testdata/vectors/psbt from the cases below; review the diff.
var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors/psbt")

const vectorDir = "../../testdata/vectors"

// vectorKey is the account every PSBT vector is checked against; its xpub
// is written beside the vectors (account.xpub).
func vectorKey(t testing.TB) *testKey { return newTestKey(t, "coldsig psbt vectors") }

type psbtVector struct {
	name   string
	ins    []btctest.Input
	outs   []btctest.Output
	mutate func(b *btctest.Built)
	expect string
}

func psbtVectors(k *testKey) []psbtVector {
	ours := []btctest.Input{{Path: hd.Path{0, 0}, Amount: 100_000}}
	pay := []btctest.Output{{Address: payee, Amount: 90_000}}
	otherPub := newTestKey(nil, "vector stranger").account.PublicKey
	return []psbtVector{
		{name: "valid-two-p2wpkh", ins: []btctest.Input{{Path: hd.Path{0, 3}, Amount: 150_000}, {Path: hd.Path{0, 7}, Amount: 90_000}},
			outs: []btctest.Output{{Address: payee, Amount: 200_000}, {Change: true, Path: hd.Path{1, 0}, Amount: 38_000}}},
		{name: "valid-p2sh-p2wpkh", ins: []btctest.Input{{Path: hd.Path{0, 1}, Amount: 95_000, Nested: true}}, outs: pay},
		{name: "invalid-foreign-input", ins: append(ours, btctest.Input{Foreign: true, Amount: 1_000}), outs: pay,
			expect: "input not signed by this key"},
		{name: "invalid-sighash-none", ins: ours, outs: pay, expect: "sighash type refused: the input asks for SIGHASH_NONE",
			mutate: func(b *btctest.Built) { b.Packet.Inputs[0].SighashType = txscript.SigHashNone }},
		{name: "invalid-witness-amount", ins: ours, outs: pay, expect: "witness UTXO disagrees with the previous transaction",
			mutate: func(b *btctest.Built) {
				b.Packet.Inputs[0].WitnessUtxo = wire.NewTxOut(200_000, b.Packet.Inputs[0].WitnessUtxo.PkScript)
			}},
		{name: "invalid-no-previous-tx", ins: ours, outs: pay, expect: "input amount not proven",
			mutate: func(b *btctest.Built) { b.Packet.Inputs[0].NonWitnessUtxo = nil }},
		{name: "invalid-change-elsewhere", ins: ours, outs: append(pay, btctest.Output{Change: true, Path: hd.Path{1, 5}, Amount: 5_000}),
			expect: "change output does not derive from this key",
			mutate: func(b *btctest.Built) { b.Packet.UnsignedTx.TxOut[1].PkScript = btctest.P2WPKH(otherPub) }},
		{name: "invalid-derivation-pubkey", ins: ours, outs: pay, expect: "input key does not derive from this key",
			mutate: func(b *btctest.Built) { b.Packet.Inputs[0].Bip32Derivation[0].PubKey = otherPub }},
		{name: "invalid-overspend", ins: ours, outs: []btctest.Output{{Address: payee, Amount: 100_001}}, expect: "are worth more than inputs"},
	}
}

func TestVectors(t *testing.T) {
	k := vectorKey(t)
	dir := filepath.Join(vectorDir, "psbt")
	if *updateVectors {
		writeVectors(t, k, dir)
	}
	xpub, err := os.ReadFile(filepath.Join(dir, "account.xpub"))
	if err != nil {
		t.Fatal(err)
	}
	account, err := hd.ParseXPub(strings.TrimSpace(string(xpub)))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range vectortest.Files(t, vectorDir, "psbt", ".psbt") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := Decode(vectortest.Read(t, path))
			var tx *Tx
			if err == nil {
				tx, err = Analyze(raw, account, Options{Network: Mainnet})
			}
			if !vectortest.Check(t, path, err) {
				return
			}
			want, ok := vectortest.Sidecar(t, path, ".sighashes")
			if !ok {
				t.Fatal("valid vector without .sighashes")
			}
			var got []string
			for _, s := range tx.Signing {
				got = append(got, s.Path.String()+" "+hex.EncodeToString(s.SigHash[:]))
			}
			if strings.Join(got, "\n")+"\n" != want {
				t.Fatalf("sighashes\n%s\nwant\n%s", strings.Join(got, "\n"), want)
			}
		})
	}
}

func writeVectors(t *testing.T, k *testKey, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range old {
		os.Remove(f)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("account.xpub", k.account.XPub()+"\n")
	for _, v := range psbtVectors(k) {
		b, err := btctest.Build(k.account, &chaincfg.MainNetParams, v.name, v.ins, v.outs)
		if err != nil {
			t.Fatal(err)
		}
		if v.mutate != nil {
			v.mutate(b)
		}
		raw := b.Bytes()
		write(v.name+".psbt", base64.StdEncoding.EncodeToString(raw)+"\n")
		if v.expect != "" {
			write(v.name+".psbt.expect", v.expect+"\n")
			continue
		}
		tx, err := Analyze(raw, k.account, Options{Network: Mainnet})
		if err != nil {
			t.Fatal(err)
		}
		var lines string
		for _, s := range tx.Signing {
			lines += s.Path.String() + " " + hex.EncodeToString(s.SigHash[:]) + "\n"
		}
		write(v.name+".psbt.sighashes", lines)
	}
}

// FuzzAnalyze: no PSBT makes Parse or Analyze panic, and a PSBT Analyze
// accepts serializes and reparses to the same summary.
func FuzzAnalyze(f *testing.F) {
	k := vectorKey(f)
	for _, p := range vectortest.Files(f, vectorDir, "psbt", ".psbt") {
		raw, err := Decode(vectortest.Read(f, p))
		if err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := Analyze(raw, k.account, Options{Network: Mainnet, AllowForeign: true})
		if err != nil {
			return
		}
		again, err := Serialize(tx.Packet)
		if err != nil {
			t.Fatalf("accepted PSBT does not serialize: %v", err)
		}
		tx2, err := Analyze(again, k.account, Options{Network: Mainnet, AllowForeign: true})
		if err != nil {
			t.Fatalf("reserialized PSBT refused: %v", err)
		}
		if tx2.Fee != tx.Fee || len(tx2.Signing) != len(tx.Signing) || tx2.TxID != tx.TxID {
			t.Fatal("reserialized PSBT reads differently")
		}
		for i := range tx.Signing {
			if tx.Signing[i].SigHash != tx2.Signing[i].SigHash {
				t.Fatal("sighash changed on reserialization")
			}
		}
	})
}
