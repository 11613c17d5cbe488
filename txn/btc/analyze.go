package btc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/coldsig/coldsig/hd"
)

// Options are what a plan allows beyond the default rules.
type Options struct {
	Network Network
	// AllowForeign signs this key's inputs of a PSBT that also spends
	// inputs this key does not sign (a coinjoin, a payjoin, a PSBT that
	// another signer completes). Without it such a PSBT is refused: an
	// officer who expects to sign a whole transaction must not sign half
	// of one.
	AllowForeign bool
	// AllowSighash lists sighash types besides SIGHASH_ALL that this
	// key's inputs may ask for. SIGHASH_NONE lets anyone redirect the
	// outputs and SIGHASH_SINGLE|ANYONECANPAY lets anyone add inputs and
	// outputs, so each must be allowed by name.
	AllowSighash []txscript.SigHashType
}

// Tx is a PSBT checked against this key: what officers see and the
// sighashes the ceremony signs.
type Tx struct {
	Packet  *psbt.Packet
	Network Network
	// TxID is the id the signed transaction will have ("" when an input
	// that this key does not sign decides it: a foreign input without
	// its final script-sig that does not spend a native segwit output).
	TxID    string
	Version int32
	// LockTime is the nLockTime; RBF whether any input signals BIP 125
	// replaceability.
	LockTime uint32
	RBF      bool
	Inputs   []Input
	Outputs  []Output
	// In and Out are the sums of input and output amounts (satoshis);
	// Fee is In - Out, Change the sum of the change outputs.
	In, Out, Fee, Change int64
	// VSize is the virtual size of the signed transaction, an upper bound
	// (0 when an input's size cannot be known: a foreign input that is
	// not finalized).
	VSize int64
	// Signing is one entry per input this key signs, in input order.
	Signing []Signing
}

// Input is one input as officers see it.
type Input struct {
	Index    int
	OutPoint wire.OutPoint
	Amount   int64
	// Proven says whether the amount comes from the previous
	// transaction (checked against the outpoint's txid) rather than only
	// from the PSBT's witness UTXO field.
	Proven  bool
	Address string
	// Ours: signed by this key at Path, as Type ("P2WPKH", ...).
	Ours     bool
	Path     hd.Path
	Type     string
	HashType txscript.SigHashType
	Sequence uint32
}

// Output is one output as officers see it.
type Output struct {
	Index   int
	Amount  int64
	Address string
	// Change: pays back to this key's child at Path (checked).
	Change bool
	Path   hd.Path
}

// Signing is one signature this key makes: ECDSA over SigHash with the
// child key at Path.
type Signing struct {
	Input     int
	Path      hd.Path
	PublicKey []byte
	HashType  txscript.SigHashType
	SigHash   [32]byte
	// redeemScript is the P2SH-P2WPKH redeem script (nil for P2WPKH).
	redeemScript []byte
}

// Analyze checks a binary PSBT against the account key (the key's BIP32
// master: its fingerprint is what PSBT derivations name) and returns the
// summary and the sighashes to sign.
//
// Rules, each refused with its named error:
//   - an input is this key's when a BIP32 derivation names the key's
//     fingerprint; it must be P2WPKH or P2SH-P2WPKH of exactly the child
//     at that path (ErrDerivation, ErrInputType), carry its full previous
//     transaction, whose id is the outpoint's (ErrUTXO), and a witness
//     UTXO equal to that transaction's output (ErrUTXOMismatch); it must
//     not be signed already (ErrAlreadySigned);
//   - an input that is not this key's is refused unless AllowForeign
//     (ErrForeignInput); its amount must still be known, so that the fee
//     is;
//   - a sighash type other than ALL needs AllowSighash (ErrSighash);
//   - an output that names this key's fingerprint must pay exactly the
//     child at that path (ErrChange): then it is shown as change;
//   - amounts within 0..21M BTC, outputs not above inputs (ErrAmounts).
func Analyze(raw []byte, account *hd.Key, opts Options) (*Tx, error) {
	if account == nil {
		return nil, fmt.Errorf("%w: the key has no chain code, so no BIP32 derivation can name it", ErrDerivation)
	}
	params, err := opts.Network.Params()
	if err != nil {
		return nil, err
	}
	p, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := checkNetworkHints(p, opts.Network); err != nil {
		return nil, err
	}
	tx := p.UnsignedTx
	fp := account.Fingerprint()
	ourFP := binary.LittleEndian.Uint32(fp[:])
	t := &Tx{
		Packet: p, Network: opts.Network,
		Version: tx.Version, LockTime: tx.LockTime,
	}
	prevOuts := make(map[wire.OutPoint]*wire.TxOut, len(tx.TxIn))
	weight := int64(tx.SerializeSizeStripped())*4 + 2 // + segwit marker and flag
	sizeKnown := true
	for i := range tx.TxIn {
		in, prev, w, err := t.input(p, i, account, ourFP, params, opts)
		if err != nil {
			return nil, fmt.Errorf("input %d (%s): %w", i, tx.TxIn[i].PreviousOutPoint, err)
		}
		if _, dup := prevOuts[in.OutPoint]; dup {
			return nil, fmt.Errorf("%w: input %d spends %s, as an earlier input does", ErrPSBT, i, in.OutPoint)
		}
		prevOuts[in.OutPoint] = prev
		if w < 0 {
			sizeKnown = false
		}
		weight += w
		t.Inputs = append(t.Inputs, in)
		t.In += in.Amount
		if in.Sequence < wire.MaxTxInSequenceNum-1 {
			t.RBF = true
		}
		if t.In > btcutil.MaxSatoshi*int64(MaxInputs) {
			return nil, fmt.Errorf("%w: inputs add up beyond any possible amount", ErrAmounts)
		}
	}
	for j := range tx.TxOut {
		out, err := t.output(p, j, account, ourFP, params)
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", j, err)
		}
		t.Outputs = append(t.Outputs, out)
		t.Out += out.Amount
		if out.Change {
			t.Change += out.Amount
		}
	}
	if t.Out > btcutil.MaxSatoshi {
		return nil, fmt.Errorf("%w: outputs add up to %s, more than 21 million BTC", ErrAmounts, FormatBTC(t.Out))
	}
	if t.Out > t.In {
		return nil, fmt.Errorf("%w: outputs (%s) are worth more than inputs (%s)", ErrAmounts, FormatBTC(t.Out), FormatBTC(t.In))
	}
	t.Fee = t.In - t.Out
	if len(t.Signing) == 0 {
		return nil, fmt.Errorf("%w: no input names this key (fingerprint %x) in its BIP32 derivation: nothing to sign", ErrForeignInput, fp)
	}
	if sizeKnown {
		t.VSize = (weight + 3) / 4
	}
	t.TxID = finalTxID(p, t.Signing)
	// BIP 143 sighashes commit to every input's outpoint and sequence and
	// to all outputs; the fetcher gives txscript the previous outputs.
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prevOuts))
	for k := range t.Signing {
		s := &t.Signing[k]
		prev := prevOuts[tx.TxIn[s.Input].PreviousOutPoint]
		h, err := txscript.CalcWitnessSigHash(p2wpkhScript(s.PublicKey), hashes, s.HashType, tx, s.Input, prev.Value)
		if err != nil {
			return nil, fmt.Errorf("input %d: sighash: %w", s.Input, err)
		}
		copy(s.SigHash[:], h)
	}
	return t, nil
}

// input checks input i. w is its witness and script-sig weight once
// signed (an upper bound; -1 when unknown).
func (t *Tx) input(p *psbt.Packet, i int, account *hd.Key, ourFP uint32, params *chaincfg.Params, opts Options) (Input, *wire.TxOut, int64, error) {
	pin := &p.Inputs[i]
	txin := p.UnsignedTx.TxIn[i]
	in := Input{Index: i, OutPoint: txin.PreviousOutPoint, Sequence: txin.Sequence}
	prev, proven, err := prevOut(pin, txin.PreviousOutPoint)
	if err != nil {
		return in, nil, 0, err
	}
	in.Amount, in.Proven = prev.Value, proven
	if prev.Value < 0 || prev.Value > btcutil.MaxSatoshi {
		return in, nil, 0, fmt.Errorf("%w: amount %d satoshis is out of range", ErrAmounts, prev.Value)
	}
	in.Address = scriptAddress(prev.PkScript, params)

	var ours []*psbt.Bip32Derivation
	for _, d := range pin.Bip32Derivation {
		if d.MasterKeyFingerprint == ourFP {
			ours = append(ours, d)
		}
	}
	for _, d := range pin.TaprootBip32Derivation {
		if d.MasterKeyFingerprint == ourFP {
			return in, nil, 0, fmt.Errorf("%w: a Taproot key of this key's wallet; a Taproot spend needs a BIP 340 Schnorr signature, which threshold ECDSA (tss-lib) cannot make", ErrInputType)
		}
	}
	if len(ours) == 0 {
		if !opts.AllowForeign {
			return in, nil, 0, fmt.Errorf("%w: it has no BIP32 derivation with this key's fingerprint, so this key does not sign it and cannot vouch for it; sign only PSBTs whose inputs are all this key's, or allow partial signing explicitly", ErrForeignInput)
		}
		if len(pin.FinalScriptWitness) > 0 || len(pin.FinalScriptSig) > 0 {
			return in, prev, finalWeight(pin), nil
		}
		return in, prev, -1, nil
	}
	if len(ours) > 1 {
		return in, nil, 0, fmt.Errorf("%w: %d keys of this key's wallet in one input (multisig); a threshold key signs single-key inputs", ErrInputType, len(ours))
	}
	d := ours[0]
	path := hd.Path(d.Bip32Path)
	if len(path) > hd.MaxDepth {
		return in, nil, 0, fmt.Errorf("%w: path of %d levels, at most %d", ErrDerivation, len(path), hd.MaxDepth)
	}
	for _, x := range path {
		if x >= hd.Hardened {
			return in, nil, 0, fmt.Errorf("%w: path %s has a hardened index; a threshold key has no hardened children (no party holds the whole private key)", ErrDerivation, hardenedString(d.Bip32Path))
		}
	}
	child, _, err := account.Derive(path)
	if err != nil {
		return in, nil, 0, fmt.Errorf("%w: %v", ErrDerivation, err)
	}
	if !bytes.Equal(child.PublicKey, d.PubKey) {
		return in, nil, 0, fmt.Errorf("%w: the PSBT names public key %x at %s, but this key's child there is %x", ErrDerivation, d.PubKey, path, child.PublicKey)
	}
	in.Ours, in.Path = true, path
	if !proven {
		return in, nil, 0, fmt.Errorf("%w: no previous transaction (non-witness UTXO); the amount an officer sees must be proven by the transaction that created it, or a second signing could be tricked into paying a hidden fee (CVE-2020-14199); export the PSBT with full previous transactions", ErrUTXO)
	}
	wpkh := p2wpkhScript(child.PublicKey)
	s := Signing{Input: i, Path: path, PublicKey: child.PublicKey}
	switch {
	case bytes.Equal(prev.PkScript, wpkh):
		if pin.RedeemScript != nil || pin.WitnessScript != nil {
			return in, nil, 0, fmt.Errorf("%w: a P2WPKH input with a redeem or witness script", ErrInputType)
		}
		in.Type = "P2WPKH"
	case bytes.Equal(prev.PkScript, p2shScript(wpkh)):
		if !bytes.Equal(pin.RedeemScript, wpkh) || pin.WitnessScript != nil {
			return in, nil, 0, fmt.Errorf("%w: a P2SH output of this key's child whose redeem script is not the child's P2WPKH program", ErrInputType)
		}
		in.Type = "P2SH-P2WPKH"
		s.redeemScript = wpkh
	default:
		return in, nil, 0, fmt.Errorf("%w: it spends %s, which is not %s's P2WPKH or P2SH-P2WPKH output (%s); a threshold ECDSA key signs only those (Taproot needs Schnorr, legacy P2PKH is not supported)", ErrInputType, describeScript(prev.PkScript), path, scriptClass(prev.PkScript))
	}
	if len(pin.FinalScriptSig) > 0 || len(pin.FinalScriptWitness) > 0 {
		return in, nil, 0, fmt.Errorf("%w: it is already finalized", ErrAlreadySigned)
	}
	if len(pin.PartialSigs) > 0 {
		// A single-key input has one signature: this key's, which it
		// is about to make.
		return in, nil, 0, fmt.Errorf("%w: it already carries a partial signature (by %x)", ErrAlreadySigned, pin.PartialSigs[0].PubKey)
	}
	ht := pin.SighashType
	if ht == 0 {
		ht = txscript.SigHashAll
	}
	if err := checkHashType(ht, opts.AllowSighash); err != nil {
		return in, nil, 0, err
	}
	in.HashType, s.HashType = ht, ht
	t.Signing = append(t.Signing, s)
	// Signed size: the witness (item count, signature of at most 72
	// bytes with its hash type, 33-byte key) counts once; P2SH-P2WPKH
	// adds the 23-byte script-sig (push of the redeem script) to the
	// stripped size, which counts four times.
	w := int64(1 + 1 + 72 + 1 + 33)
	if s.redeemScript != nil {
		w += 4 * int64(1+len(s.redeemScript))
	}
	return in, prev, w, nil
}

// prevOut is the output an input spends: from the previous transaction
// (proven: its hash must be the outpoint's txid) or, failing that, the
// witness UTXO (unproven). When both are present they must agree.
func prevOut(pin *psbt.PInput, op wire.OutPoint) (*wire.TxOut, bool, error) {
	if prevTx := pin.NonWitnessUtxo; prevTx != nil {
		if prevTx.TxHash() != op.Hash {
			return nil, false, fmt.Errorf("%w: the previous transaction in the PSBT is %s, not %s", ErrUTXO, prevTx.TxHash(), op.Hash)
		}
		if int(op.Index) >= len(prevTx.TxOut) {
			return nil, false, fmt.Errorf("%w: the previous transaction has %d outputs, no output %d", ErrUTXO, len(prevTx.TxOut), op.Index)
		}
		out := prevTx.TxOut[op.Index]
		if w := pin.WitnessUtxo; w != nil {
			if w.Value != out.Value {
				return nil, false, fmt.Errorf("%w: witness UTXO says %s, the previous transaction's output %d holds %s", ErrUTXOMismatch, FormatBTC(w.Value), op.Index, FormatBTC(out.Value))
			}
			if !bytes.Equal(w.PkScript, out.PkScript) {
				return nil, false, fmt.Errorf("%w: witness UTXO script %x, the previous transaction's output %d has %x", ErrUTXOMismatch, w.PkScript, op.Index, out.PkScript)
			}
		}
		return out, true, nil
	}
	if w := pin.WitnessUtxo; w != nil {
		return w, false, nil
	}
	return nil, false, fmt.Errorf("%w: neither the previous transaction nor a witness UTXO, so its amount (and the fee) is unknown", ErrUTXO)
}

// finalWeight is the weight a finalized input adds beyond the stripped
// transaction's empty script-sig.
func finalWeight(pin *psbt.PInput) int64 {
	return int64(len(pin.FinalScriptWitness)) + 4*int64(wire.VarIntSerializeSize(uint64(len(pin.FinalScriptSig)))-1+len(pin.FinalScriptSig))
}

func (t *Tx) output(p *psbt.Packet, j int, account *hd.Key, ourFP uint32, params *chaincfg.Params) (Output, error) {
	txout := p.UnsignedTx.TxOut[j]
	out := Output{Index: j, Amount: txout.Value, Address: scriptAddress(txout.PkScript, params)}
	if txout.Value < 0 || txout.Value > btcutil.MaxSatoshi {
		return out, fmt.Errorf("%w: amount %d satoshis is out of range", ErrAmounts, txout.Value)
	}
	pout := &p.Outputs[j]
	for _, d := range pout.TaprootBip32Derivation {
		if d.MasterKeyFingerprint == ourFP {
			return out, fmt.Errorf("%w: it names a Taproot key of this key's wallet, which a threshold ECDSA key does not have", ErrChange)
		}
	}
	var ours []*psbt.Bip32Derivation
	for _, d := range pout.Bip32Derivation {
		if d.MasterKeyFingerprint == ourFP {
			ours = append(ours, d)
		}
	}
	if len(ours) == 0 {
		return out, nil
	}
	if len(ours) > 1 {
		return out, fmt.Errorf("%w: it names %d keys of this key's wallet (multisig change is not this key's)", ErrChange, len(ours))
	}
	d := ours[0]
	for _, x := range d.Bip32Path {
		if x >= hd.Hardened {
			return out, fmt.Errorf("%w: path %s has a hardened index, which a threshold key cannot have", ErrChange, hardenedString(d.Bip32Path))
		}
	}
	path := hd.Path(d.Bip32Path)
	if len(path) > hd.MaxDepth {
		return out, fmt.Errorf("%w: path of %d levels, at most %d", ErrChange, len(path), hd.MaxDepth)
	}
	child, _, err := account.Derive(path)
	if err != nil {
		return out, fmt.Errorf("%w: %v", ErrChange, err)
	}
	if !bytes.Equal(child.PublicKey, d.PubKey) {
		return out, fmt.Errorf("%w: the PSBT names public key %x at %s, but this key's child there is %x", ErrChange, d.PubKey, path, child.PublicKey)
	}
	wpkh := p2wpkhScript(child.PublicKey)
	switch {
	case bytes.Equal(txout.PkScript, wpkh):
	case bytes.Equal(txout.PkScript, p2shScript(wpkh)) && bytes.Equal(pout.RedeemScript, wpkh):
	default:
		return out, fmt.Errorf("%w: it claims to be change to %s, but pays %s, not that child's P2WPKH address", ErrChange, path, out.Address)
	}
	out.Change, out.Path = true, path
	return out, nil
}

func checkHashType(ht txscript.SigHashType, allowed []txscript.SigHashType) error {
	if _, ok := sighashNames[ht]; !ok {
		return fmt.Errorf("%w: unknown sighash type 0x%02x", ErrSighash, uint32(ht))
	}
	if ht == txscript.SigHashAll {
		return nil
	}
	for _, a := range allowed {
		if a == ht {
			return nil
		}
	}
	return fmt.Errorf("%w: the input asks for %s, which %s; only SIGHASH_ALL is signed unless the plan allows %s by name", ErrSighash, SighashName(ht), sighashRisk[ht], SighashName(ht))
}

var sighashNames = map[txscript.SigHashType]string{
	txscript.SigHashAll:                                   "SIGHASH_ALL",
	txscript.SigHashNone:                                  "SIGHASH_NONE",
	txscript.SigHashSingle:                                "SIGHASH_SINGLE",
	txscript.SigHashAll | txscript.SigHashAnyOneCanPay:    "SIGHASH_ALL|ANYONECANPAY",
	txscript.SigHashNone | txscript.SigHashAnyOneCanPay:   "SIGHASH_NONE|ANYONECANPAY",
	txscript.SigHashSingle | txscript.SigHashAnyOneCanPay: "SIGHASH_SINGLE|ANYONECANPAY",
}

var sighashRisk = map[txscript.SigHashType]string{
	txscript.SigHashNone:                                  "commits to no output: whoever holds the signature can send the money anywhere",
	txscript.SigHashSingle:                                "commits to one output only: the others can be changed",
	txscript.SigHashAll | txscript.SigHashAnyOneCanPay:    "commits to this input only: others can be added",
	txscript.SigHashNone | txscript.SigHashAnyOneCanPay:   "commits to nothing but this input: whoever holds the signature can spend it anywhere",
	txscript.SigHashSingle | txscript.SigHashAnyOneCanPay: "commits to one output and this input only",
}

// SighashName is the conventional name of a sighash type.
func SighashName(ht txscript.SigHashType) string {
	if n, ok := sighashNames[ht]; ok {
		return n
	}
	return fmt.Sprintf("sighash 0x%02x", uint32(ht))
}

// ParseSighash reads a sighash name as SighashName writes it (case does
// not matter; "SIGHASH_" may be left out).
func ParseSighash(s string) (txscript.SigHashType, error) {
	for ht, n := range sighashNames {
		if equalFoldName(s, n) {
			return ht, nil
		}
	}
	return 0, fmt.Errorf("unknown sighash type %q (want one of ALL, NONE, SINGLE, ALL|ANYONECANPAY, NONE|ANYONECANPAY, SINGLE|ANYONECANPAY)", s)
}

func equalFoldName(s, name string) bool {
	up := bytes.ToUpper([]byte(s))
	return string(up) == name || "SIGHASH_"+string(up) == name
}

func p2wpkhScript(pub []byte) []byte {
	return append([]byte{txscript.OP_0, 20}, btcutil.Hash160(pub)...)
}

func p2shScript(redeem []byte) []byte {
	s := append([]byte{txscript.OP_HASH160, 20}, btcutil.Hash160(redeem)...)
	return append(s, txscript.OP_EQUAL)
}

// Extended key versions (BIP 32, SLIP 132) a PSBT's global xpubs
// (PSBT_GLOBAL_XPUB, key type 0x01) carry: the wallet's own word for its
// network. testnet, signet and regtest share the test versions.
var (
	mainnetXPubVersions = map[uint32]string{0x0488b21e: "xpub", 0x049d7cb2: "ypub", 0x04b24746: "zpub", 0x0295b43f: "Ypub", 0x02aa7ed3: "Zpub"}
	testXPubVersions    = map[uint32]string{0x043587cf: "tpub", 0x044a5262: "upub", 0x045f1cf6: "vpub", 0x024289ef: "Upub", 0x02575483: "Vpub"}
)

// checkNetworkHints refuses a PSBT whose global xpubs say another network
// than the plan's. The network is not part of what is signed: it decides
// only how addresses are shown, so a mainnet PSBT planned as "testnet"
// would show tb1 addresses while its signature spends real coins. Where
// the wallet said which network it is on, that must agree.
func checkNetworkHints(p *psbt.Packet, n Network) error {
	for _, u := range p.Unknowns {
		if len(u.Key) != 1+78 || u.Key[0] != 0x01 {
			continue
		}
		v := binary.BigEndian.Uint32(u.Key[1:5])
		if name, ok := mainnetXPubVersions[v]; ok && n != Mainnet {
			return fmt.Errorf("%w: the PSBT's wallet key is a mainnet %s, but the plan shows addresses for %s; the signature would spend mainnet coins (give --network mainnet)", ErrNetwork, name, n.Title())
		}
		if name, ok := testXPubVersions[v]; ok && n == Mainnet {
			return fmt.Errorf("%w: the PSBT's wallet key is a %s of a test network, but the plan shows addresses for %s (give --network testnet, signet or regtest)", ErrNetwork, name, n.Title())
		}
	}
	return nil
}

// scriptAddress is how an output script is shown: its address on the
// network, or what it is when it has none.
func scriptAddress(pk []byte, params *chaincfg.Params) string {
	class, addrs, _, err := txscript.ExtractPkScriptAddrs(pk, params)
	if err == nil && len(addrs) == 1 && class != txscript.MultiSigTy && class != txscript.PubKeyTy {
		return addrs[0].EncodeAddress()
	}
	return describeScript(pk)
}

func describeScript(pk []byte) string {
	body := scriptText(pk)
	switch class := txscript.GetScriptClass(pk); class {
	case txscript.NullDataTy:
		return "OP_RETURN data (no address; unspendable) " + body
	case txscript.NonStandardTy:
		return "non-standard script " + body
	default:
		return fmt.Sprintf("%s script %s", class, body)
	}
}

// maxScriptShown bounds a script shown in full as hex (520 bytes, the
// largest push, is far beyond any standard output script); a longer one
// is shown by its length and SHA-256, which officers compare aloud.
const maxScriptShown = 520

func scriptText(pk []byte) string {
	if len(pk) <= maxScriptShown {
		return hex.EncodeToString(pk)
	}
	return fmt.Sprintf("of %d bytes, too long to show: SHA-256 %x, starting %x", len(pk), sha256.Sum256(pk), pk[:32])
}

func scriptClass(pk []byte) string {
	switch {
	case txscript.IsPayToTaproot(pk):
		return "Taproot"
	case txscript.IsPayToWitnessScriptHash(pk):
		return "P2WSH"
	case txscript.IsPayToWitnessPubKeyHash(pk):
		return "P2WPKH of another key"
	case txscript.IsPayToScriptHash(pk):
		return "P2SH"
	case txscript.IsPayToPubKeyHash(pk):
		return "legacy P2PKH"
	}
	return txscript.GetScriptClass(pk).String()
}

func hardenedString(path []uint32) string {
	var b bytes.Buffer
	b.WriteString("m")
	for _, x := range path {
		if x >= hd.Hardened {
			fmt.Fprintf(&b, "/%d'", x-hd.Hardened)
		} else {
			fmt.Fprintf(&b, "/%d", x)
		}
	}
	return b.String()
}

// FormatBTC writes satoshis as BTC with all eight decimals and the
// satoshis: "0.00120000 BTC (120000 sat)".
func FormatBTC(sat int64) string {
	neg := ""
	u := uint64(sat)
	if sat < 0 {
		neg, u = "-", uint64(-sat)
		if sat == math.MinInt64 {
			u = 1 << 63
		}
	}
	return fmt.Sprintf("%s%d.%08d BTC (%s%d sat)", neg, u/1e8, u%1e8, neg, u)
}

// finalTxID is the id of the transaction once signed: the txid covers the
// script-sigs, which are empty for native segwit, the push of the redeem
// script for P2SH-P2WPKH, and for foreign inputs known only once final.
func finalTxID(p *psbt.Packet, signing []Signing) string {
	tx := p.UnsignedTx.Copy()
	nested := map[int][]byte{}
	for _, s := range signing {
		if s.redeemScript != nil {
			nested[s.Input] = s.redeemScript
		}
	}
	for i, in := range tx.TxIn {
		pin := &p.Inputs[i]
		switch {
		case nested[i] != nil:
			sigScript, err := txscript.NewScriptBuilder().AddData(nested[i]).Script()
			if err != nil {
				return ""
			}
			in.SignatureScript = sigScript
		case len(pin.FinalScriptSig) > 0:
			in.SignatureScript = pin.FinalScriptSig
		case len(pin.FinalScriptWitness) > 0:
		case pin.WitnessUtxo != nil && txscript.IsWitnessProgram(pin.WitnessUtxo.PkScript):
		case pin.NonWitnessUtxo != nil && txscript.IsWitnessProgram(pin.NonWitnessUtxo.TxOut[in.PreviousOutPoint.Index].PkScript):
		default:
			return ""
		}
	}
	return tx.TxHash().String()
}
