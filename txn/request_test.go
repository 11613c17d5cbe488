package txn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn/btc"
	"github.com/coldsig/coldsig/txn/btc/btctest"
	"github.com/coldsig/coldsig/txn/eth"
	"github.com/coldsig/coldsig/txn/ur"
)

// testKey stands in for the threshold key: its private key signs what a
// ceremony would.
type testKey struct {
	priv *big.Int
	key  Key
}

func newKey(t testing.TB) *testKey {
	h := sha256.Sum256([]byte("txn request test key"))
	k, err := crypto.ToECDSA(h[:])
	if err != nil {
		t.Fatal(err)
	}
	pub := crypto.CompressPubkey(&k.PublicKey)
	m, err := hd.Master(pub, sha256.Sum256([]byte("chain code")))
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{priv: k.D, key: Key{PublicKey: pub, Account: m}}
}

// sign makes the ceremony's signatures for a's signings.
func (k *testKey) sign(t testing.TB, a *Analysis) []Sig {
	t.Helper()
	var out []Sig
	for _, s := range a.Signings {
		d := new(big.Int).Set(k.priv)
		if s.Path != nil {
			_, delta, err := k.key.Account.Derive(s.Path)
			if err != nil {
				t.Fatal(err)
			}
			d.Add(d, delta).Mod(d, crypto.S256().Params().N)
		}
		priv, err := crypto.ToECDSA(d.FillBytes(make([]byte, 32)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(crypto.CompressPubkey(&priv.PublicKey), s.PublicKey) {
			t.Fatal("signing key mismatch")
		}
		sig, err := crypto.Sign(s.Digest[:], priv)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Sig{R: sig[:32], S: sig[32:64]})
	}
	return out
}

func files(fs []File) map[string][]byte {
	m := map[string][]byte{}
	for _, f := range fs {
		m[f.Name] = f.Data
	}
	return m
}

func TestPSBTRequest(t *testing.T) {
	k := newKey(t)
	b, err := btctest.Build(k.key.Account, &chaincfg.MainNetParams, "req", []btctest.Input{
		{Path: hd.Path{0, 3}, Amount: 150_000}, {Path: hd.Path{0, 7}, Amount: 90_000},
	}, []btctest.Output{{Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", Amount: 200_000}, {Change: true, Path: hd.Path{1, 0}, Amount: 38_000}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Request{Kind: PSBT, Data: b.Bytes(), Network: btc.Mainnet, Finalize: true}
	a, err := r.Analyze(k.key)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Signings) != 2 || a.Signings[1].Input != 1 || !a.Signings[1].Path.Equal(hd.Path{0, 7}) {
		t.Fatalf("signings %+v", a.Signings)
	}
	fs, err := r.Complete(k.key, k.sign(t, a))
	if err != nil {
		t.Fatal(err)
	}
	m := files(fs)
	if m[FileSignedPSBT] == nil || m[FileFinalPSBT] == nil || m[FileRawTx] == nil {
		t.Fatalf("files %v", fs)
	}
	if _, err := r.Complete(k.key, k.sign(t, a)[:1]); !errors.Is(err, ErrRequest) {
		t.Fatalf("too few signatures: %v", err)
	}
}

const txJSON = `{"to":"0x3535353535353535353535353535353535353535","value":"0xde0b6b3a7640000","nonce":"0x7","gas":"0x5208",
"maxFeePerGas":"0x6fc23ac00","maxPriorityFeePerGas":"0x77359400","chainId":"0x1"}`

func TestEthTxRequest(t *testing.T) {
	k := newKey(t)
	tx, _, err := eth.ParseRequest([]byte(txJSON))
	if err != nil {
		t.Fatal(err)
	}
	r := &Request{Kind: EthTx, Data: tx.Payload, ChainID: 1, Path: hd.Path{0, 2}}
	a, err := r.Analyze(k.key)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := r.Complete(k.key, k.sign(t, a))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(strings.TrimPrefix(string(files(fs)[FileEthTx]), "0x")))
	if err != nil {
		t.Fatal(err)
	}
	var signed types.Transaction
	if err := signed.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	from, err := types.Sender(types.LatestSignerForChainID(big.NewInt(1)), &signed)
	want, _ := eth.Address(a.Signings[0].PublicKey)
	if err != nil || from != want {
		t.Fatalf("sender %s, want %s (%v)", from, want, err)
	}
	r.ChainID = 5
	if _, err := r.Analyze(k.key); !errors.Is(err, eth.ErrChainID) {
		t.Fatalf("wrong chain: %v", err)
	}
}

func TestEthSignRequest(t *testing.T) {
	k := newKey(t)
	tx, _, err := eth.ParseRequest([]byte(txJSON))
	if err != nil {
		t.Fatal(err)
	}
	fp := k.key.Account.Fingerprint()
	child, _, _ := k.key.Account.Derive(hd.Path{0, 4})
	addr, _ := eth.Address(child.PublicKey)
	id := bytes.Repeat([]byte{0xab}, 16)
	req := &ur.EthSignRequest{RequestID: id, SignData: tx.Payload, DataType: ur.EthTypedTx, ChainID: 1,
		Path: ur.Keypath{Path: []uint32{0, 4}, Hardened: []bool{false, false}, SourceFingerprint: ur.Fingerprint(fp)}, Address: addr[:]}
	msg, err := ur.EncodeEthSignRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	r := &Request{Kind: EthSignRequest, Data: msg, ChainID: 1}
	a, err := r.Analyze(k.key)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Signings[0].Path.Equal(hd.Path{0, 4}) {
		t.Fatalf("path %s", a.Signings[0].Path)
	}
	fs, err := r.Complete(k.key, k.sign(t, a))
	if err != nil {
		t.Fatal(err)
	}
	// The wallet's side: decode the UR answer and match the request id.
	d := qr.Decoder{Types: []string{ur.TypeEthSignature}}
	if _, err := d.Add(strings.TrimSpace(string(files(fs)[FileEthSignature]))); err != nil {
		t.Fatal(err)
	}
	cb, err := d.Result()
	if err != nil {
		t.Fatal(err)
	}
	es, err := ur.ParseEthSignature(cb)
	if err != nil || !bytes.Equal(es.RequestID, id) || len(es.Signature) != 65 {
		t.Fatalf("eth-signature %+v %v", es, err)
	}

	for name, mutate := range map[string]func(*ur.EthSignRequest){
		"other fingerprint": func(q *ur.EthSignRequest) { q.Path.SourceFingerprint++ },
		"hardened path":     func(q *ur.EthSignRequest) { q.Path.Hardened[0] = true },
		"other address":     func(q *ur.EthSignRequest) { q.Address = bytes.Repeat([]byte{1}, 20) },
		"other chain":       func(q *ur.EthSignRequest) { q.ChainID = 137 },
		"personal message":  func(q *ur.EthSignRequest) { q.DataType = ur.EthRawBytes },
	} {
		q := *req
		q.Path.Hardened = append([]bool(nil), req.Path.Hardened...)
		mutate(&q)
		msg, err := ur.EncodeEthSignRequest(&q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (&Request{Kind: EthSignRequest, Data: msg, ChainID: 1}).Analyze(k.key); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "other chain" && !errors.Is(err, eth.ErrChainID) || name == "other address" && !errors.Is(err, eth.ErrFrom) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEIP712Request(t *testing.T) {
	k := newKey(t)
	data, err := os.ReadFile("../testdata/vectors/eip712/valid-eip712-mail.json")
	if err != nil {
		t.Fatal(err)
	}
	r := &Request{Kind: EIP712, Data: data, ChainID: 1}
	a, err := r.Analyze(k.key)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := r.Complete(k.key, k.sign(t, a))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := hex.DecodeString(strings.TrimSpace(strings.TrimPrefix(string(files(fs)[FileEIP712]), "0x")))
	if err != nil || len(sig) != 65 {
		t.Fatal(err)
	}
	sig[64] -= 27
	pub, err := crypto.SigToPub(a.Signings[0].Digest[:], sig)
	if err != nil || !bytes.Equal(crypto.CompressPubkey(pub), k.key.PublicKey) {
		t.Fatalf("recovered another signer (%v)", err)
	}
	r.ChainID = 10
	if _, err := r.Analyze(k.key); !errors.Is(err, eth.ErrChainID) {
		t.Fatalf("wrong chain: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for name, r := range map[string]*Request{
		"no data":              {Kind: PSBT, Network: btc.Mainnet},
		"unknown kind":         {Kind: "zcash", Data: []byte{1}},
		"psbt with chain":      {Kind: PSBT, Data: []byte{1}, Network: btc.Mainnet, ChainID: 1},
		"psbt no network":      {Kind: PSBT, Data: []byte{1}},
		"eth without chain":    {Kind: EthTx, Data: []byte{1}},
		"eth with finalize":    {Kind: EthTx, Data: []byte{1}, ChainID: 1, Finalize: true},
		"request with path":    {Kind: EthSignRequest, Data: []byte{1}, ChainID: 1, Path: hd.Path{1}},
		"finalize and foreign": {Kind: PSBT, Data: []byte{1}, Network: btc.Mainnet, Finalize: true, AllowForeign: true},
	} {
		if err := r.Validate(); !errors.Is(err, ErrRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestNewEthTx: a request whose "from" is the signing key's address (the
// key itself or the child at the path) is accepted, as is one without a
// "from"; any other sender is refused with eth.ErrFrom.
func TestNewEthTx(t *testing.T) {
	k := newKey(t)
	withFrom := func(pub []byte) []byte {
		addr, err := eth.Address(pub)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(strings.Replace(txJSON, "{", `{"from":"`+addr.Hex()+`",`, 1))
	}
	path := hd.Path{0, 2}
	child, err := k.key.At(path)
	if err != nil || bytes.Equal(child, k.key.PublicKey) {
		t.Fatalf("At(m/0/2): %x, %v", child, err)
	}
	want, _, _ := eth.ParseRequest([]byte(txJSON))
	for _, tc := range []struct {
		data []byte
		path hd.Path
	}{
		{[]byte(txJSON), nil},
		{withFrom(k.key.PublicKey), nil},
		{withFrom(child), path},
	} {
		r, err := NewEthTx(tc.data, 1, k.key, tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.data, err)
		}
		if r.Kind != EthTx || r.ChainID != 1 || !r.Path.Equal(tc.path) || !bytes.Equal(r.Data, want.Payload) {
			t.Fatalf("%s: %+v", tc.data, r)
		}
	}
	if _, err := NewEthTx(withFrom(child), 1, k.key, nil); !errors.Is(err, eth.ErrFrom) || !strings.Contains(err.Error(), "the signing key (the key itself)") {
		t.Fatalf("the child's address, signed by the key itself: %v", err)
	}
	if _, err := NewEthTx(withFrom(k.key.PublicKey), 1, k.key, path); !errors.Is(err, eth.ErrFrom) || !strings.Contains(err.Error(), "(child m/0/2)") {
		t.Fatalf("the key's address, signed by a child: %v", err)
	}
	if _, err := NewEthTx([]byte("{}"), 1, k.key, nil); err == nil {
		t.Fatal("an empty request was accepted")
	}
	noXPub := Key{PublicKey: k.key.PublicKey}
	if _, err := noXPub.At(path); !errors.Is(err, ErrKey) {
		t.Fatalf("a child of a key without a chain code: %v", err)
	}
}
