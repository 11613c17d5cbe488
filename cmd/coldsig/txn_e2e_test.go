package main

// Transactions through the real binary, on the committed TEST-ONLY 2-of-3
// HD key (no keygen runs). The PSBT is built here the way a watch-only
// wallet builds it, with btcutil/psbt and child keys derived from
// public.json's xpub by btcutil's hdkeychain (no coldsig code), and the
// finalized transaction is executed by btcd's script engine against the
// previous outputs. Ethereum results are checked with go-ethereum: the raw
// transaction's recovered sender, the typed data's recovered signer.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/coldsig/coldsig/keyshare/keysharetest"
	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn/ur"
)

// walletPSBT is a PSBT as a watch-only wallet makes it, and the previous
// outputs a verifier needs.
type walletPSBT struct {
	packet   *psbt.Packet
	prevOuts map[wire.OutPoint]*wire.TxOut
}

func (w *walletPSBT) base64(t testing.TB) string {
	t.Helper()
	s, err := w.packet.B64Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type walletInput struct {
	path   string // below the xpub, as the wallet derives it
	amount int64
	other  bool // an output of some other key (no derivation of ours)
}

type walletOutput struct {
	address string
	amount  int64
	change  string // path of this key's change address ("" for a payment)
}

// buildWalletPSBT spends ins to outs. Child keys come from hdkeychain; the
// fingerprint in the derivations is the xpub key's own (it is the master
// of the descriptor wpkh([fp]xpub/0/*)).
func buildWalletPSBT(t testing.TB, xpub string, ins []walletInput, outs []walletOutput) *walletPSBT {
	t.Helper()
	master, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	mpub, err := master.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	fp := binary.LittleEndian.Uint32(btcutil.Hash160(mpub.SerializeCompressed())[:4])
	child := func(path string) ([]byte, []uint32) {
		k := refChild(t, xpub, path)
		var idx []uint32
		for _, p := range strings.Split(strings.TrimPrefix(path, "m/"), "/") {
			var i uint32
			fmt.Sscanf(p, "%d", &i)
			idx = append(idx, i)
		}
		return k.SerializeCompressed(), idx
	}
	p2wpkh := func(pub []byte) []byte {
		return append([]byte{txscript.OP_0, 20}, btcutil.Hash160(pub)...)
	}
	w := &walletPSBT{prevOuts: map[wire.OutPoint]*wire.TxOut{}}
	var ops []*wire.OutPoint
	var prevs []*wire.MsgTx
	var pubs [][]byte
	var paths [][]uint32
	for i, in := range ins {
		var pub []byte
		var idx []uint32
		if in.other {
			k, err := hdkeychain.NewMaster(bytes.Repeat([]byte{byte(i + 1)}, 32), &chaincfg.MainNetParams)
			if err != nil {
				t.Fatal(err)
			}
			ek, _ := k.ECPubKey()
			pub = ek.SerializeCompressed()
		} else {
			pub, idx = child(in.path)
		}
		prev := wire.NewMsgTx(2)
		h := sha256.Sum256([]byte(fmt.Sprintf("funding %d", i)))
		prev.AddTxIn(wire.NewTxIn(wire.NewOutPoint((*chainhash.Hash)(&h), 0), nil, [][]byte{{1}}))
		prev.AddTxOut(wire.NewTxOut(in.amount, p2wpkh(pub)))
		hash := prev.TxHash()
		op := wire.NewOutPoint(&hash, 0)
		ops, prevs, pubs, paths = append(ops, op), append(prevs, prev), append(pubs, pub), append(paths, idx)
		w.prevOuts[*op] = prev.TxOut[0]
	}
	var txOuts []*wire.TxOut
	for _, o := range outs {
		if o.change != "" {
			pub, _ := child(o.change)
			txOuts = append(txOuts, wire.NewTxOut(o.amount, p2wpkh(pub)))
			continue
		}
		a, err := btcutil.DecodeAddress(o.address, &chaincfg.MainNetParams)
		if err != nil {
			t.Fatal(err)
		}
		script, _ := txscript.PayToAddrScript(a)
		txOuts = append(txOuts, wire.NewTxOut(o.amount, script))
	}
	seq := make([]uint32, len(ins))
	for i := range seq {
		seq[i] = wire.MaxTxInSequenceNum - 2
	}
	if w.packet, err = psbt.New(ops, txOuts, 2, 0, seq); err != nil {
		t.Fatal(err)
	}
	u, err := psbt.NewUpdater(w.packet)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range ins {
		if err := u.AddInNonWitnessUtxo(prevs[i], i); err != nil {
			t.Fatal(err)
		}
		if err := u.AddInWitnessUtxo(prevs[i].TxOut[0], i); err != nil {
			t.Fatal(err)
		}
		if !in.other {
			if err := u.AddInBip32Derivation(fp, paths[i], pubs[i], i); err != nil {
				t.Fatal(err)
			}
		}
	}
	for j, o := range outs {
		if o.change != "" {
			pub, idx := child(o.change)
			if err := u.AddOutBip32Derivation(fp, idx, pub, j); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

const payTo = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"

func TestE2ETransactions(t *testing.T) {
	skipIfShort(t)
	c := fixtureCLI(t, map[string]string{"key": keysharetest.HDDir()})
	var pub struct {
		publicJSON
		XPub string `json:"xpub"`
	}
	readJSON(t, c.path("key", "public.json"), &pub)
	sign := []string{"plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card"}

	t.Run("psbt", func(t *testing.T) {
		w := buildWalletPSBT(t, pub.XPub, []walletInput{{path: "m/0/3", amount: 150_000}, {path: "m/0/7", amount: 90_000}},
			[]walletOutput{{address: payTo, amount: 200_000}, {change: "m/1/0", amount: 38_000}})
		if err := os.WriteFile(c.path("spend.psbt"), []byte(w.base64(t)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := c.ok(append(sign, "--psbt", "spend.psbt", "--finalize", "-o", "spend.plan")...).stdout
		t.Logf("plan sign --psbt, as officers see it:\n%s", out)
		for _, want := range []string{"Bitcoin transaction (PSBT), signature 1 of 2", "network:     bitcoin mainnet", "  input 0:", "  input 1:",
			"0.00200000 BTC (200000 sat) to " + payTo, "CHANGE back to this key at m/1/0", "fee:         0.00002000 BTC (2000 sat)", "fee rate:    at least",
			"signs input: 1 (P2WPKH at m/0/7", "transaction: the one shown in item 1"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan show lacks %q", want)
			}
		}
		sg := signers("psbt", "alice", "carol")
		c.ceremonyRun("spend.plan", "stick-psbt", sg)
		c.sameFiles(filepath.Join("result", "signed.psbt"), names(sg)...)
		c.sameFiles(filepath.Join("result", "final.psbt"), names(sg)...)
		rawHex := c.sameFiles(filepath.Join("result", "tx.hex"), names(sg)...)
		raw, err := hex.DecodeString(strings.TrimSpace(string(rawHex)))
		if err != nil {
			t.Fatal(err)
		}
		tx := wire.NewMsgTx(2)
		if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		if tx.TxHash() != w.packet.UnsignedTx.TxHash() || len(tx.TxIn) != 2 {
			t.Fatalf("the signed transaction %s is not the PSBT's %s", tx.TxHash(), w.packet.UnsignedTx.TxHash())
		}
		fetcher := txscript.NewMultiPrevOutFetcher(w.prevOuts)
		hashes := txscript.NewTxSigHashes(tx, fetcher)
		for i, in := range tx.TxIn {
			prev := w.prevOuts[in.PreviousOutPoint]
			vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prev.Value, fetcher)
			if err != nil {
				t.Fatal(err)
			}
			if err := vm.Execute(); err != nil {
				t.Fatalf("input %d fails btcd script verification: %v", i, err)
			}
		}
		t.Logf("txscript (StandardVerifyFlags) verified both inputs of %s (%d bytes)", tx.TxHash(), len(raw))
		v := c.ok("verify", "--key", "key/public.json", "--signature", filepath.Join("alice-psbt", "result", "signature-02.json")).stdout
		if !strings.Contains(v, "signed    psbt-input digest") || !strings.Contains(v, "child     m/0/7") {
			t.Errorf("verify of a PSBT item:\n%s", v)
		}
		status := c.ok("status", "--workdir", "alice-psbt").stdout
		if !strings.Contains(status, "output    result/tx.hex") {
			t.Errorf("status does not name the transaction outputs:\n%s", status)
		}
	})

	t.Run("eip1559", func(t *testing.T) {
		childAddr := independentEthAddress(t, refChild(t, pub.XPub, "m/0/5").SerializeCompressed())
		txJSON := fmt.Sprintf(`{"from": %q, "to": "0x3535353535353535353535353535353535353535", "value": "0x2386f26fc10000",
  "nonce": "0x4", "gas": "0x5208", "maxFeePerGas": "0x6fc23ac00", "maxPriorityFeePerGas": "0x3b9aca00", "chainId": "0x1"}`, childAddr)
		if err := os.WriteFile(c.path("tx.json"), []byte(txJSON), 0o644); err != nil {
			t.Fatal(err)
		}
		out := c.ok(append(sign, "--eth-tx", "tx.json", "--chain-id", "1", "--path", "m/0/5", "-o", "eth.plan")...).stdout
		t.Logf("plan sign --eth-tx, as officers see it:\n%s", out)
		for _, want := range []string{"EIP-1559 (type 2) transaction", "chain id:    1 (Ethereum mainnet)", "from:        " + childAddr,
			"value:       0.01 ETH", "max fee:     30 gwei per gas", "data:        none (a plain transfer of ETH)"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan show lacks %q", want)
			}
		}
		sg := signers("eth", "alice", "carol")
		c.ceremonyRun("eth.plan", "stick-eth", sg)
		rawHex := c.sameFiles(filepath.Join("result", "eth-tx.hex"), names(sg)...)
		raw, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(rawHex)), "0x"))
		if err != nil {
			t.Fatal(err)
		}
		var tx types.Transaction
		if err := tx.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		sender, err := types.Sender(types.LatestSignerForChainID(big.NewInt(1)), &tx)
		if err != nil || sender.Hex() != childAddr {
			t.Fatalf("recovered sender %s (%v), want the child m/0/5 %s", sender.Hex(), err, childAddr)
		}
		if tx.Type() != types.DynamicFeeTxType || tx.Nonce() != 4 || tx.ChainId().Int64() != 1 || tx.Value().Cmp(big.NewInt(1e16)) != 0 {
			t.Fatalf("decoded: type %d nonce %d chain %s value %s", tx.Type(), tx.Nonce(), tx.ChainId(), tx.Value())
		}
		t.Logf("go-ethereum types.Sender of %s: %s (m/0/5)", tx.Hash().Hex(), sender.Hex())
	})

	t.Run("eip712", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(keysharetest.Root(), "vectors", "eip712", "valid-eip712-mail.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.path("mail.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		out := c.ok(append(sign, "--eip712", "mail.json", "--chain-id", "1", "-o", "typed.plan")...).stdout
		t.Logf("plan sign --eip712, as officers see it:\n%s", out)
		for _, want := range []string{"EIP-712 typed data", "domain name: Ether Mail", "message.to.name: \"Bob\"", "signer:      " + pub.EthAddress} {
			if !strings.Contains(out, want) {
				t.Errorf("plan show lacks %q", want)
			}
		}
		sg := signers("typed", "alice", "carol")
		c.ceremonyRun("typed.plan", "stick-typed", sg)
		sigHex := c.sameFiles(filepath.Join("result", "eip712-signature.hex"), names(sg)...)
		sig, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(sigHex)), "0x"))
		if err != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
			t.Fatalf("signature %x (%v)", sig, err)
		}
		var td apitypes.TypedData
		if err := json.Unmarshal(data, &td); err != nil {
			t.Fatal(err)
		}
		hash, _, err := apitypes.TypedDataAndHash(td)
		if err != nil {
			t.Fatal(err)
		}
		rec := append([]byte(nil), sig...)
		rec[64] -= 27
		k, err := crypto.SigToPub(hash, rec)
		if err != nil || crypto.PubkeyToAddress(*k) != common.HexToAddress(pub.EthAddress) {
			t.Fatalf("recovered signer %v (%v), want the key's %s", k, err, pub.EthAddress)
		}
		t.Logf("go-ethereum recovers the EIP-712 signer %s (the key's address)", crypto.PubkeyToAddress(*k).Hex())
	})
}

// TestE2ETransactionRefusals: hostile transactions are refused when the
// plan is made, with the named error, exit 1, and no plan written.
func TestE2ETransactionRefusals(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"key": keysharetest.HDDir()})
	var pub struct {
		XPub string `json:"xpub"`
	}
	readJSON(t, c.path("key", "public.json"), &pub)
	sign := []string{"plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card"}
	ours := []walletInput{{path: "m/0/1", amount: 100_000}}
	pay := []walletOutput{{address: payTo, amount: 90_000}}
	psbtFile := func(name string, w *walletPSBT) string {
		if err := os.WriteFile(c.path(name), []byte(w.base64(t)), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	otherKey, _ := hdkeychain.NewMaster(bytes.Repeat([]byte{9}, 32), &chaincfg.MainNetParams)
	otherPub, _ := otherKey.ECPubKey()

	foreign := buildWalletPSBT(t, pub.XPub, append(ours, walletInput{other: true, amount: 20_000}), pay)
	none := buildWalletPSBT(t, pub.XPub, ours, pay)
	none.packet.Inputs[0].SighashType = txscript.SigHashNone
	amounts := buildWalletPSBT(t, pub.XPub, ours, pay)
	amounts.packet.Inputs[0].WitnessUtxo = wire.NewTxOut(1_000_000, amounts.packet.Inputs[0].WitnessUtxo.PkScript)
	change := buildWalletPSBT(t, pub.XPub, ours, append(pay, walletOutput{change: "m/1/4", amount: 5_000}))
	change.packet.UnsignedTx.TxOut[1].PkScript = append([]byte{txscript.OP_0, 20}, btcutil.Hash160(otherPub.SerializeCompressed())...)
	if err := os.WriteFile(c.path("chain5.json"), []byte(`{"to": "0x3535353535353535353535353535353535353535", "value": "0x1", "nonce": "0x0",
  "gas": "0x5208", "maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x1", "chainId": "0x5"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sender that is not the signing key (here: any address with --path
	// m/0/3 makes the child the signer).
	if err := os.WriteFile(c.path("from.json"), []byte(`{"from": "0x3535353535353535353535353535353535353535", "to": "0x3535353535353535353535353535353535353535",
  "value": "0x1", "nonce": "0x0", "gas": "0x5208", "maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x1", "chainId": "0x1"}`), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name      string
		args      []string
		err, hint string
	}{
		{"an input not ours mixed in", []string{"--psbt", psbtFile("foreign.psbt", foreign)}, "input 1", "input not signed by this key"},
		{"SIGHASH_NONE", []string{"--psbt", psbtFile("none.psbt", none)}, "sighash type refused: the input asks for SIGHASH_NONE", "ask the wallet for SIGHASH_ALL"},
		{"amounts disagree with the non-witness UTXO", []string{"--psbt", psbtFile("amounts.psbt", amounts)}, "witness UTXO disagrees with the previous transaction", "do not sign it"},
		{"a change output not derived from the key", []string{"--psbt", psbtFile("change.psbt", change)}, "change output does not derive from this key", "do not sign it"},
		{"a wrong chain id", []string{"--eth-tx", "chain5.json", "--chain-id", "1"}, "wrong chain id: the transaction is for chain 5", "check --chain-id"},
		{"a sender other than the key", []string{"--eth-tx", "from.json", "--chain-id", "1", "--path", "m/0/3"}, `from.json: sender is not this key: "from" is 0x3535353535353535353535353535353535353535, the signing key (child m/0/3) is 0x`, "give the --path of the child that holds the funds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(append(append(sign, tc.args...), "-o", "bad.plan")...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.err) || !strings.Contains(r.stderr, tc.hint) {
				t.Fatalf("exit %d, want 1 with %q and %q:\n%s", r.code, tc.err, tc.hint, r.stderr)
			}
			if _, err := os.Stat(c.path("bad.plan")); err == nil {
				t.Fatal("a refused plan was written")
			}
			t.Logf("%s:\n%s", tc.name, r.stderr)
		})
	}
	// The partial-signing flag lets the foreign input through, marked.
	out := c.ok(append(sign, "--psbt", "foreign.psbt", "--allow-foreign-inputs", "-o", "partial.plan")...).stdout
	if !strings.Contains(out, "NOT this key's") || !strings.Contains(out, "1 of 2 inputs are not this key's") {
		t.Fatalf("partial plan:\n%s", out)
	}
	// Usage errors: exit 2.
	for _, args := range [][]string{
		{"--eth-tx", "chain5.json"},
		{"--psbt", "none.psbt", "--chain-id", "1"},
		{"--psbt", "none.psbt", "--digest", strings.Repeat("ab", 32)},
		{"--psbt", "foreign.psbt", "--finalize", "--allow-foreign-inputs"},
	} {
		if r := c.run(append(append(sign, args...), "-o", "bad.plan")...); r.code != 2 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// TestE2EWatchOnlyPairing: 'coldsig account' exports what a watch-only
// wallet imports, and what such a wallet sends back as QR (ur:crypto-psbt,
// ur:eth-sign-request naming the exported fingerprint) makes plans.
func TestE2EWatchOnlyPairing(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"key": keysharetest.HDDir()})
	var pub struct {
		XPub       string `json:"xpub"`
		Descriptor string `json:"descriptor"`
		EthAddress string `json:"eth_address"`
	}
	readJSON(t, c.path("key", "public.json"), &pub)
	out := c.ok("account", "--key", "key/public.json", "--share", "key/share-1.age", "--identity", "ids/alice.key", "--qr", "pairing").stdout
	if !strings.Contains(out, "checked      the xpub's key and chain code are those of your share (party 1, alice)") {
		t.Fatalf("account does not say it checked the xpub:\n%s", out)
	}
	t.Logf("coldsig account:\n%s", out)
	if !strings.Contains(out, "receive      "+pub.Descriptor+"\n") {
		t.Fatalf("receive descriptor is not public.json's %s", pub.Descriptor)
	}
	lines := strings.Split(out, "\n")
	var accountUR, hdkeyUR string
	for i, l := range lines {
		if strings.HasPrefix(l, "ur:crypto-account") {
			accountUR = lines[i+1]
		}
		if strings.HasPrefix(l, "ur:crypto-hdkey") {
			hdkeyUR = lines[i+1]
		}
	}
	master, _ := hdkeychain.NewKeyFromString(pub.XPub)
	mpub, _ := master.ECPubKey()
	wantFP := binary.BigEndian.Uint32(btcutil.Hash160(mpub.SerializeCompressed())[:4])
	d := qr.Decoder{Types: []string{ur.TypeCryptoAccount}}
	if _, err := d.Add(accountUR); err != nil {
		t.Fatal(err)
	}
	msg, err := d.Result()
	if err != nil {
		t.Fatal(err)
	}
	fp, keys, err := ur.ParseAccount(msg)
	if err != nil || fp != wantFP || len(keys) != 1 || !bytes.Equal(keys[0].PublicKey, mpub.SerializeCompressed()) || keys[0].Origin.SourceFingerprint != wantFP {
		t.Fatalf("crypto-account: fp %08x keys %+v (%v), want fp %08x", fp, keys, err, wantFP)
	}
	d = qr.Decoder{Types: []string{ur.TypeCryptoHDKey}}
	if _, err := d.Add(hdkeyUR); err != nil {
		t.Fatal(err)
	}
	msg, _ = d.Result()
	hk, err := ur.ParseHDKey(msg)
	if err != nil || hk.Coin != 60 || !bytes.Equal(hk.ChainCode[:], master.ChainCode()) || hk.Origin.SourceFingerprint != wantFP {
		t.Fatalf("crypto-hdkey: %+v (%v)", hk, err)
	}
	for _, f := range []string{"account-btc.png", "account-eth.png"} {
		if _, err := os.Stat(c.path("pairing", f)); err != nil {
			t.Fatal(err)
		}
	}
	sign := []string{"plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card"}

	// The wallet shows a PSBT as animated ur:crypto-psbt; its frames
	// (read from the camera into a text file) make the same plan items as
	// the base64 file.
	w := buildWalletPSBT(t, pub.XPub, []walletInput{{path: "m/0/2", amount: 70_000}}, []walletOutput{{address: payTo, amount: 69_000}})
	var raw bytes.Buffer
	if err := w.packet.Serialize(&raw); err != nil {
		t.Fatal(err)
	}
	cb, _ := ur.EncodePSBT(raw.Bytes())
	e, err := qr.NewTypedEncoder(ur.TypeCryptoPSBT, cb, &qr.Options{MaxFragmentLen: 100, Redundancy: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	frames := e.Frames()
	if len(frames) < 3 {
		t.Fatalf("want a multi-part UR, got %d frames", len(frames))
	}
	if err := os.WriteFile(c.path("psbt.ur"), []byte(strings.Join(frames[1:], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path("psbt.b64"), []byte(w.base64(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	a := c.ok(append(sign, "--psbt", "psbt.ur", "-o", "ur.plan")...).stdout
	b := c.ok(append(sign, "--psbt", "psbt.b64", "-o", "b64.plan")...).stdout
	digest := func(s string) string {
		i := strings.Index(s, "sighash:")
		if i < 0 {
			t.Fatalf("no sighash in\n%s", s)
		}
		return s[i : i+80]
	}
	if digest(a) != digest(b) {
		t.Fatal("the UR and base64 forms of one PSBT make different items")
	}

	// An eth-sign-request as a wallet paired with the crypto-hdkey makes
	// it: the exported fingerprint and a path below it.
	child := refChild(t, pub.XPub, "m/0/9")
	addr := common.HexToAddress(independentEthAddress(t, child.SerializeCompressed()))
	to := common.HexToAddress("0x3535353535353535353535353535353535353535")
	unsigned, err := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(137), Nonce: 1, GasTipCap: big.NewInt(3e10), GasFeeCap: big.NewInt(6e10),
		Gas: 65000, To: &to, Value: big.NewInt(0), Data: append(common.FromHex("a9059cbb"), append(common.LeftPadBytes(addr[:], 32), common.LeftPadBytes(big.NewInt(5e6).Bytes(), 32)...)...)}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// MarshalBinary of an unsigned transaction carries zero V, R, S; the
	// request holds the signing payload, which drops them: re-encode.
	var tx types.Transaction
	if err := tx.UnmarshalBinary(unsigned); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte{2}, rlpSigningPayload(t, &tx)...)
	req, err := ur.EncodeEthSignRequest(&ur.EthSignRequest{RequestID: bytes.Repeat([]byte{7}, 16), SignData: payload, DataType: ur.EthTypedTx, ChainID: 137,
		Path: ur.Keypath{Path: []uint32{0, 9}, Hardened: []bool{false, false}, SourceFingerprint: hk.Origin.SourceFingerprint}, Address: addr[:], Origin: "watch wallet"})
	if err != nil {
		t.Fatal(err)
	}
	re, _ := qr.NewTypedEncoder(ur.TypeEthSignRequest, req, &qr.Options{MaxFragmentLen: 1000})
	if err := os.WriteFile(c.path("req.ur"), []byte(re.Frames()[0]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	show := c.ok(append(sign, "--eth-tx", "req.ur", "--chain-id", "137", "-o", "req.plan")...).stdout
	t.Logf("eth-sign-request plan:\n%s", show)
	for _, want := range []string{"(from an eth-sign-request)", "request path: m/0/9", "request from: watch wallet", "chain id:    137 (Polygon PoS)",
		"call:        ERC-20 transfer", "amount:    5000000 token units", "from:        " + addr.Hex()} {
		if !strings.Contains(show, want) {
			t.Errorf("plan show lacks %q", want)
		}
	}
	if r := c.run(append(sign, "--eth-tx", "req.ur", "--chain-id", "1", "-o", "req1.plan")...); r.code != 1 || !strings.Contains(r.stderr, "wrong chain id") {
		t.Fatalf("request for chain 137 planned as chain 1: exit %d\n%s", r.code, r.stderr)
	}
}

// rlpSigningPayload is the RLP list an EIP-1559 signature covers (after
// the type byte), computed with go-ethereum's rlp from the transaction's
// fields.
func rlpSigningPayload(t testing.TB, tx *types.Transaction) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes([]any{tx.ChainId(), tx.Nonce(), tx.GasTipCap(), tx.GasFeeCap(), tx.Gas(), tx.To(), tx.Value(), tx.Data(), tx.AccessList()})
	if err != nil {
		t.Fatal(err)
	}
	if crypto.Keccak256Hash(append([]byte{2}, b...)) != types.LatestSignerForChainID(tx.ChainId()).Hash(tx) {
		t.Fatal("signing payload does not hash to go-ethereum's signing hash")
	}
	return b
}
