package plan

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/txn"
	"github.com/coldsig/coldsig/txn/btc"
	"github.com/coldsig/coldsig/txn/btc/btctest"
	"github.com/coldsig/coldsig/txn/eth"
	"github.com/coldsig/coldsig/txn/ur"
)

// go test ./plan -run TestVectors -update rewrites testdata/vectors/plan
// from the definitions below; the expectations of invalid vectors are
// written here by hand, never captured from the code under test.
var update = flag.Bool("update-vectors", false, "regenerate testdata/vectors/plan")

const vectorDir = "../testdata/vectors/plan"

// validVectors builds the valid vectors with fixed sessions.
func validVectors(t *testing.T) map[string]*Plan {
	t.Helper()
	must := func(p *Plan, err error) *Plan {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	withSession := func(p *Plan, label string) *Plan {
		p.Session = fixed32("coldsig plan vector session " + label)
		return p
	}
	secp := testPublic(t, keyshare.CurveSecp256k1, 2, 0, 1, 2)
	ed := testPublic(t, keyshare.CurveEd25519, 2, 0, 1, 2)
	digest := fixed32("coldsig plan vector digest")
	siwe := "example.com wants you to sign in with your Ethereum account:\n0x0000000000000000000000000000000000000000\n\n\tI accept the Terms of Service: https://example.com/tos\n\nNonce: 32891756"
	text1, _ := NewTextPayload(keyshare.CurveSecp256k1, siwe)
	text2, _ := NewTextPayload(keyshare.CurveEd25519, "Transfer 10 XLM to GABC. Ünïcödé ok.")
	file1, err := NewFilePayload("release-1.0.tar.gz", strings.NewReader("release contents\n"))
	if err != nil {
		t.Fatal(err)
	}
	hdpub := testPublic(t, keyshare.CurveSecp256k1, 2, 0, 1, 2)
	if err := hdpub.SetChainCode(func() []byte { c := fixed32("coldsig plan vector chain code"); return c[:] }()); err != nil {
		t.Fatal(err)
	}
	d2 := fixed32("coldsig plan vector digest 2")
	text3, _ := NewTextPayload(keyshare.CurveEd25519, "second message")
	psbtReq, ethReq, typedReq, urReq := txVectors(t, hdpub)
	return map[string]*Plan{
		"sign-secp256k1-psbt":             withSession(must(NewSignTx(hdpub, testCards(t, 0, 2), psbtReq)), "14"),
		"sign-secp256k1-eth-tx":           withSession(must(NewSignTx(hdpub, testCards(t, 0, 2), ethReq)), "15"),
		"sign-secp256k1-eip712":           withSession(must(NewSignTx(hdpub, testCards(t, 1, 2), typedReq)), "16"),
		"sign-secp256k1-eth-sign-request": withSession(must(NewSignTx(hdpub, testCards(t, 0, 1), urReq)), "17"),
		"sign-secp256k1-batch-hd": withSession(must(NewSignItems(hdpub, testCards(t, 0, 2), []*Item{
			NewItem(NewDigestPayload(digest), hd.Path{0, 7}),
			NewItem(NewDigestPayload(d2), nil),
			NewItem(text1, hd.Path{1, 0}),
			NewItem(file1, hd.Path{0, 7}),
		})), "10"),
		"sign-secp256k1-hd-one": withSession(must(NewSign(hdpub, testCards(t, 0, 1), NewDigestPayload(digest))), "11"),
		"sign-ed25519-batch": withSession(must(NewSignItems(ed, testCards(t, 1, 2), []*Item{
			NewItem(text2, nil), NewItem(text3, nil), NewItem(file1, nil),
		})), "12"),
		"reshare-secp256k1-hd":    withSession(must(NewReshare(hdpub, testCards(t, 0, 1), testCards(t, 0, 1, 2), 2)), "13"),
		"keygen-secp256k1-2of3":   withSession(must(NewKeygen(keyshare.CurveSecp256k1, 2, testCards(t, 0, 1, 2))), "1"),
		"keygen-ed25519-3of5":     withSession(must(NewKeygen(keyshare.CurveEd25519, 3, testCards(t, 4, 3, 2, 1, 0))), "2"),
		"sign-secp256k1-digest":   withSession(must(NewSign(secp, testCards(t, 2, 0), NewDigestPayload(digest))), "3"),
		"sign-secp256k1-eip191":   withSession(must(NewSign(secp, testCards(t, 0, 1, 2), text1)), "4"),
		"sign-secp256k1-file":     withSession(must(NewSign(secp, testCards(t, 1, 2), file1)), "5"),
		"sign-ed25519-message":    withSession(must(NewSign(ed, testCards(t, 0, 1), text2)), "6"),
		"sign-ed25519-file":       withSession(must(NewSign(ed, testCards(t, 0, 2), file1)), "7"),
		"reshare-secp256k1":       withSession(must(NewReshare(secp, testCards(t, 0, 2), testCards(t, 2, 3, 4, 5), 3)), "8"),
		"reshare-ed25519-refresh": withSession(must(NewReshare(ed, testCards(t, 0, 1, 2), testCards(t, 0, 1, 2), 2)), "9"),
	}
}

// invalidVector derives a broken file from a valid one.
type invalidVector struct {
	from   string
	mutate func(t *testing.T, s string) string
	expect string
}

func replaceOnce(old, new string) func(t *testing.T, s string) string {
	return func(t *testing.T, s string) string {
		t.Helper()
		if strings.Count(s, old) < 1 {
			t.Fatalf("vector mutation: %q not found", old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

// cardLine is the line a plan holds for fixed party i under key.
func cardLine(t *testing.T, key string, i int) string {
	c := testCard(t, i)
	return key + ": " + c.Name + " " + c.Recipient.String() + " " + hex.EncodeToString(c.SigningKey) + "\n"
}

func invalidVectors(t *testing.T) map[string]invalidVector {
	alice, bob, carol, dave := cardLine(t, "party", 0), cardLine(t, "party", 1), cardLine(t, "party", 2), cardLine(t, "party", 3)
	sAlice, sBob, sCarol, sDave := cardLine(t, "signer", 0), cardLine(t, "signer", 1), cardLine(t, "signer", 2), cardLine(t, "signer", 3)
	nErin := cardLine(t, "new", 4)
	ctrl := base64.StdEncoding.EncodeToString([]byte("pay \x1b[2Jnobody"))
	seventeen := func(t *testing.T, s string) string {
		var extra strings.Builder
		for i := 0; i < 14; i++ {
			extra.WriteString(dave)
		}
		return strings.Replace(s, carol, carol+extra.String(), 1)
	}
	return map[string]invalidVector{
		"bad-version":   {"keygen-secp256k1-2of3", replaceOnce("coldsig/plan/v1", "coldsig/plan/v3"), "unsupported format version"},
		"v2-not-needed": {"sign-secp256k1-digest", replaceOnce("coldsig/plan/v1\n", "coldsig/plan/v2\n"), `expected "item", found "payload"`},
		"v2-not-needed-item": {"sign-secp256k1-digest", func(t *testing.T, s string) string {
			return strings.Replace(strings.Replace(s, "coldsig/plan/v1\n", "coldsig/plan/v2\n", 1), "payload: ", "item: 1\npayload: ", 1)
		}, "is written as coldsig/plan/v1"},
		"path-on-ed25519": {"sign-ed25519-batch", replaceOnce("item: 2\n", "item: 2\npath: m/0/1\n"), "ed25519 keys have no derivation paths"},
		"path-no-chain-code": {"sign-secp256k1-hd-one", func(t *testing.T, s string) string {
			return strings.Replace(s, "key-chain-code: "+fieldValue(t, s, "key-chain-code")+"\n", "", 1)
		}, "written as coldsig/plan/v1"},
		"path-without-chain": {"sign-secp256k1-batch-hd", func(t *testing.T, s string) string {
			return strings.Replace(s, "key-chain-code: "+fieldValue(t, s, "key-chain-code")+"\n", "", 1)
		}, "has no chain code"},
		"path-hardened":        {"sign-secp256k1-batch-hd", replaceOnce("path: m/0/7\n", "path: m/0/7'\n"), "hardened index"},
		"path-m":               {"sign-secp256k1-batch-hd", replaceOnce("path: m/0/7\n", "path: m\n"), "leaving the path out"},
		"path-noncanonical":    {"sign-secp256k1-batch-hd", replaceOnce("path: m/0/7\n", "path: m/0/07\n"), "not a canonical decimal index"},
		"item-out-of-order":    {"sign-secp256k1-batch-hd", replaceOnce("item: 2\n", "item: 3\n"), `item: "3" out of sequence`},
		"item-missing-payload": {"sign-secp256k1-batch-hd", replaceOnce("item: 3\npath: m/1/0\n", "item: 3\npath: m/1/0\nitem: 4\n"), `expected "payload", found "item"`},
		"item-repeats":         {"sign-ed25519-batch", func(t *testing.T, s string) string { return setFieldN(t, s, "message", 1, fieldValue(t, s, "message")) }, "item 2 signs the same bytes with the same key as item 1"},
		"chain-code-zero":      {"sign-secp256k1-batch-hd", func(t *testing.T, s string) string { return setField(t, s, "key-chain-code", strings.Repeat("0", 64)) }, "chain code must be 32 bytes, not all zero"},
		"chain-code-ed25519":   {"sign-ed25519-batch", replaceOnce("key-session: ", "key-chain-code: "+strings.Repeat("11", 32)+"\nkey-session: "), "secp256k1 keys only"},
		"bad-magic":            {"keygen-secp256k1-2of3", replaceOnce("coldsig/plan/v1", "coldsig/card/v1"), "not a coldsig plan"},
		"bad-protocol":         {"keygen-secp256k1-2of3", replaceOnce("protocol: keygen", "protocol: dkg"), `line 2: protocol: unknown protocol "dkg"`},
		"bad-curve":            {"keygen-secp256k1-2of3", replaceOnce("curve: secp256k1", "curve: p256"), `line 4: unknown curve "p256"`},
		"threshold-1":          {"keygen-secp256k1-2of3", replaceOnce("threshold: 2", "threshold: 1"), "line 5: threshold 1 is outside 2..3"},
		"threshold-above-n":    {"keygen-secp256k1-2of3", replaceOnce("threshold: 2", "threshold: 4"), "line 5: threshold 4 is outside 2..3"},
		"threshold-leading-0":  {"keygen-secp256k1-2of3", replaceOnce("threshold: 2", "threshold: 02"), "not a canonical decimal number"},
		"one-party": {"keygen-secp256k1-2of3", func(t *testing.T, s string) string {
			return strings.Replace(strings.Replace(s, bob, "", 1), carol, "", 1)
		}, "1 party; a threshold key needs at least 2"},
		"seventeen-parties":     {"keygen-secp256k1-2of3", seventeen, "party: more than 16 entries"},
		"duplicate-card":        {"keygen-secp256k1-2of3", replaceOnce(carol, alice), `party 3 "alice"`},
		"duplicate-name":        {"keygen-secp256k1-2of3", replaceOnce(carol, strings.Replace(dave, "dave", "alice", 1)), `are both named "alice"`},
		"card-bad-recipient":    {"keygen-secp256k1-2of3", replaceOnce("age1mvu4", "age1mvu5"), "line 6: party: age recipient"},
		"card-two-spaces":       {"keygen-secp256k1-2of3", replaceOnce("party: alice ", "party: alice  "), "separated by single spaces"},
		"session-uppercase":     {"keygen-secp256k1-2of3", func(t *testing.T, s string) string { return upperField(t, s, "session") }, "line 3: session: not lowercase hex"},
		"session-zero":          {"keygen-secp256k1-2of3", func(t *testing.T, s string) string { return setField(t, s, "session", strings.Repeat("0", 64)) }, "session id is all zeros"},
		"field-order":           {"keygen-secp256k1-2of3", swapLines(2, 3), `expected "protocol", found "session"`},
		"trailing-field":        {"keygen-secp256k1-2of3", func(t *testing.T, s string) string { return s + "comment: hi\n" }, `unexpected field "comment"`},
		"no-final-newline":      {"keygen-secp256k1-2of3", func(t *testing.T, s string) string { return strings.TrimSuffix(s, "\n") }, "missing final newline"},
		"keygen-with-key":       {"keygen-secp256k1-2of3", replaceOnce("threshold: 2\n", "key-threshold: 2\n"), `expected "threshold", found "key-threshold"`},
		"signer-not-in-key":     {"sign-secp256k1-eip191", replaceOnce(sBob, sDave), `signer 2 "dave" (card`},
		"signer-not-in-key-msg": {"sign-secp256k1-eip191", replaceOnce(sBob, sDave), "is not a holder of key"},
		"signer-duplicate":      {"sign-secp256k1-eip191", replaceOnce(sBob, sAlice), `signer 2 "alice"`},
		"signer-out-of-order":   {"sign-secp256k1-digest", replaceOnce(sAlice+sCarol, sCarol+sAlice), "out of order"},
		"too-few-signers":       {"sign-secp256k1-digest", replaceOnce(sCarol, ""), "only 1 signer, but key"},
		"eip191-wrong-digest":   {"sign-secp256k1-eip191", func(t *testing.T, s string) string { return setField(t, s, "digest", strings.Repeat("ab", 32)) }, "does not match the EIP-191 digest"},
		"eip191-control-char":   {"sign-secp256k1-eip191", func(t *testing.T, s string) string { return setField(t, s, "message", ctrl) }, "message contains U+001B"},
		"digest-zero":           {"sign-secp256k1-digest", func(t *testing.T, s string) string { return setField(t, s, "digest", strings.Repeat("0", 64)) }, "digest is all zeros"},
		"digest-on-ed25519": {"sign-ed25519-message", func(t *testing.T, s string) string {
			return replaceFrom(t, s, "payload: message", "payload: digest\ndigest: "+strings.Repeat("ab", 32)+"\n")
		}, "a raw digest cannot be signed with an ed25519 key"},
		"eip191-on-ed25519": {"sign-ed25519-message", func(t *testing.T, s string) string {
			return strings.Replace(s, "payload: message", "payload: eip191", 1) + "digest: " + strings.Repeat("ab", 32) + "\n"
		}, "eip191 messages are signed with secp256k1 keys only"},
		"eip191-no-digest": {"sign-ed25519-message", replaceOnce("payload: message", "payload: eip191"), `line 16: missing "digest"`},
		"message-on-secp256k1": {"sign-secp256k1-eip191", func(t *testing.T, s string) string {
			return replaceFrom(t, s, "payload: eip191", "payload: message\nmessage: aGk=\n")
		}, "secp256k1 signs messages as eip191"},
		"payload-unknown": {"sign-secp256k1-digest", replaceOnce("payload: digest", "payload: hash"), `unknown payload kind "hash"`},
		"file-name-slash": {"sign-secp256k1-file", replaceOnce("file-name: release-1.0.tar.gz", "file-name: ../release-1.0.tar.gz"), "contains a directory separator"},
		"key-id-mismatch": {"sign-secp256k1-digest", func(t *testing.T, s string) string { return setField(t, s, "key-id", strings.Repeat("11", 16)) }, "does not match the public key"},
		"key-public-not-point": {"sign-secp256k1-digest", func(t *testing.T, s string) string {
			return setField(t, s, "key-public", "02"+strings.Repeat("ff", 32))
		}, "not a secp256k1 point"},
		"key-threshold-high":     {"sign-secp256k1-digest", replaceOnce("key-threshold: 2", "key-threshold: 4"), "key threshold 4 is outside 2..3"},
		"key-session-reused":     {"sign-secp256k1-digest", func(t *testing.T, s string) string { return setField(t, s, "session", fieldValue(t, s, "key-session")) }, "plan session equals the key's session"},
		"key-party-share-zero":   {"sign-secp256k1-digest", func(t *testing.T, s string) string { return replaceShareKey(t, s, 1, "00"+shareKeyOf(t, s, 1)) }, "no leading zero byte"},
		"key-party-share-dup":    {"sign-secp256k1-digest", func(t *testing.T, s string) string { return replaceShareKey(t, s, 1, shareKeyOf(t, s, 0)) }, "have the same share key"},
		"key-party-name-wrong":   {"sign-secp256k1-digest", replaceOnce("key-party: carol ", "key-party: carla "), `card is named "carol" but key party 3 is named "carla"`},
		"reshare-threshold":      {"reshare-secp256k1", replaceOnce("threshold: 3", "threshold: 5"), "threshold 5 is outside 2..4"},
		"reshare-old-too-few":    {"reshare-secp256k1", replaceOnce(cardLine(t, "old", 0), ""), "only 1 old member, but key"},
		"reshare-old-not-holder": {"reshare-secp256k1", replaceOnce(cardLine(t, "old", 0), cardLine(t, "old", 3)), "is not a holder of key"},
		"reshare-name-two-cards": {"reshare-secp256k1", replaceOnce(nErin, strings.Replace(nErin, "new: erin", "new: alice", 1)), "one name must mean one card"},
		"reshare-new-duplicate":  {"reshare-secp256k1", replaceOnce(nErin, cardLine(t, "new", 3)), `new member 3 "dave"`},
		// Transactions: the items are what the bytes say, checked on read.
		"tx-digest-tampered": {"sign-secp256k1-psbt", func(t *testing.T, s string) string { return setField(t, s, "digest", strings.Repeat("ab", 32)) }, "item 1's digest abababab"},
		"tx-item-missing": {"sign-secp256k1-psbt", func(t *testing.T, s string) string {
			i := strings.Index(s, "item: 2\n")
			return s[:i]
		}, "the transaction needs 2 signatures by this key, the plan has 1 items"},
		"tx-input-swapped": {"sign-secp256k1-psbt", replaceOnce("input: 1\n", "input: 0\n"), "item 2 signs input 0, the transaction's signature 2 is for input 1"},
		"tx-wrong-chain":   {"sign-secp256k1-eth-tx", replaceOnce("tx-chain-id: 1\n", "tx-chain-id: 5\n"), "wrong chain id: the transaction is for chain 1"},
		"tx-path-changed":  {"sign-secp256k1-eth-tx", replaceOnce("tx-path: m/0/2\n", "tx-path: m/0/3\n"), "item 1 is signed at m/0/2, the transaction names m/0/3"},
		"tx-kind-unknown":  {"sign-secp256k1-psbt", replaceOnce("tx: psbt\n", "tx: zcash\n"), `unknown transaction kind "zcash"`},
		"tx-path-on-psbt":  {"sign-secp256k1-psbt", replaceOnce("tx-network: mainnet\n", "tx-network: mainnet\ntx-path: m/0/1\n"), `expected "tx-data", found "tx-path"`},
		"tx-sighash-all":   {"sign-secp256k1-psbt", replaceOnce("tx-finalize: yes\n", "tx-finalize: yes\ntx-allow-sighash: SIGHASH_ALL\n"), "list only types other than SIGHASH_ALL"},
		"tx-payload-alone": {"sign-secp256k1-batch-hd", replaceOnce("payload: digest\n", "payload: eth-tx\n"), "belongs to a transaction, and the plan has none"},
		"tx-typed-chain":   {"sign-secp256k1-eip712", replaceOnce("tx-chain-id: 1\n", "tx-chain-id: 137\n"), "the typed data's domain is for chain 1"},
		"tx-request-path":  {"sign-secp256k1-eth-sign-request", replaceOnce("tx-chain-id: 1\n", "tx-chain-id: 1\ntx-path: m/0/9\n"), "an eth-sign-request names its own derivation path"},
	}
}

// txVectors are the transactions of the plan vectors: a PSBT spending two
// P2WPKH children of the key (built with btcutil/psbt), an EIP-1559
// transaction signed by the child m/0/2, and EIP-712's own example.
func txVectors(t *testing.T, pub *keyshare.Public) (psbtReq, ethReq, typedReq, urReq *txn.Request) {
	t.Helper()
	b, err := btctest.Build(pub.Account(), &chaincfg.MainNetParams, "plan vector", []btctest.Input{
		{Path: hd.Path{0, 3}, Amount: 150_000}, {Path: hd.Path{0, 7}, Amount: 90_000},
	}, []btctest.Output{{Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", Amount: 200_000}, {Change: true, Path: hd.Path{1, 0}, Amount: 38_000}})
	if err != nil {
		t.Fatal(err)
	}
	tx, _, err := eth.ParseRequest([]byte(`{"to": "0x3535353535353535353535353535353535353535", "value": "0xde0b6b3a7640000", "nonce": "0x7",
		"gas": "0x5208", "maxFeePerGas": "0x6fc23ac00", "maxPriorityFeePerGas": "0x77359400", "chainId": "0x1"}`))
	if err != nil {
		t.Fatal(err)
	}
	typed, err := os.ReadFile("../testdata/vectors/eip712/valid-eip712-mail.json")
	if err != nil {
		t.Fatal(err)
	}
	fp := pub.Account().Fingerprint()
	id := fixed32("request id")
	req, err := ur.EncodeEthSignRequest(&ur.EthSignRequest{RequestID: id[:16], SignData: typed, DataType: ur.EthTypedData, ChainID: 1,
		Path: ur.Keypath{Path: []uint32{0, 9}, Hardened: []bool{false, false}, SourceFingerprint: ur.Fingerprint(fp)}, Origin: "watch wallet"})
	if err != nil {
		t.Fatal(err)
	}
	return &txn.Request{Kind: txn.PSBT, Data: b.Bytes(), Network: btc.Mainnet, Finalize: true},
		&txn.Request{Kind: txn.EthTx, Data: tx.Payload, ChainID: 1, Path: hd.Path{0, 2}},
		&txn.Request{Kind: txn.EIP712, Data: typed, ChainID: 1},
		&txn.Request{Kind: txn.EthSignRequest, Data: req, ChainID: 1}
}

func lines(s string) []string { return strings.SplitAfter(s, "\n") }

func fieldValue(t *testing.T, s, key string) string {
	t.Helper()
	for _, l := range lines(s) {
		if v, ok := strings.CutPrefix(l, key+": "); ok {
			return strings.TrimSuffix(v, "\n")
		}
	}
	t.Fatalf("vector mutation: no field %q", key)
	return ""
}

func setField(t *testing.T, s, key, value string) string {
	t.Helper()
	return strings.Replace(s, key+": "+fieldValue(t, s, key)+"\n", key+": "+value+"\n", 1)
}

// setFieldN sets the n-th (0-based) occurrence of key.
func setFieldN(t *testing.T, s, key string, n int, value string) string {
	t.Helper()
	ls := lines(s)
	for i, l := range ls {
		if strings.HasPrefix(l, key+": ") {
			if n == 0 {
				ls[i] = key + ": " + value + "\n"
				return strings.Join(ls, "")
			}
			n--
		}
	}
	t.Fatalf("vector mutation: no field %q", key)
	return ""
}

func upperField(t *testing.T, s, key string) string {
	t.Helper()
	return setField(t, s, key, strings.ToUpper(fieldValue(t, s, key)))
}

func swapLines(i, j int) func(t *testing.T, s string) string {
	return func(t *testing.T, s string) string {
		l := lines(s)
		l[i-1], l[j-1] = l[j-1], l[i-1]
		return strings.Join(l, "")
	}
}

// replaceFrom replaces everything from the line starting with prefix to the
// end of the file.
func replaceFrom(t *testing.T, s, prefix, with string) string {
	t.Helper()
	i := strings.Index(s, "\n"+prefix)
	if i < 0 {
		t.Fatalf("vector mutation: %q not found", prefix)
	}
	return s[:i+1] + with
}

func keyPartyLines(t *testing.T, s string) []string {
	var out []string
	for _, l := range lines(s) {
		if strings.HasPrefix(l, "key-party: ") {
			out = append(out, l)
		}
	}
	return out
}

func shareKeyOf(t *testing.T, s string, i int) string {
	f := strings.Fields(keyPartyLines(t, s)[i])
	return f[3]
}

func replaceShareKey(t *testing.T, s string, i int, sk string) string {
	l := keyPartyLines(t, s)[i]
	f := strings.Fields(l)
	return strings.Replace(s, l, strings.Join(append(f[:3], sk), " ")+"\n", 1)
}

func writeVectors(t *testing.T) {
	old, _ := filepath.Glob(filepath.Join(vectorDir, "*"))
	for _, f := range old {
		os.Remove(f)
	}
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{}
	for name, p := range validVectors(t) {
		b, err := p.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		valid[name] = string(b)
		if err := os.WriteFile(filepath.Join(vectorDir, name+".plan"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range invalidVectors(t) {
		src, ok := valid[v.from]
		if !ok {
			t.Fatalf("%s: no valid vector %q", name, v.from)
		}
		b := v.mutate(t, src)
		if b == src {
			t.Fatalf("%s: mutation changed nothing", name)
		}
		if err := os.WriteFile(filepath.Join(vectorDir, "invalid-"+name+".plan"), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(vectorDir, "invalid-"+name+".expect"), []byte(v.expect+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVectors runs every vector in testdata/vectors/plan: a valid one must
// parse and re-encode to the same bytes; an invalid one must be refused with
// an error containing its .expect text.
func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.plan"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var nValid, nInvalid int
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".plan")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			expect, err := os.ReadFile(strings.TrimSuffix(f, ".plan") + ".expect")
			if errors.Is(err, os.ErrNotExist) {
				if strings.HasPrefix(name, "invalid-") {
					t.Fatal("invalid vector without .expect")
				}
				nValid++
				p, err := Parse(data)
				if err != nil {
					t.Fatalf("valid vector refused: %v", err)
				}
				b, err := p.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, data) {
					t.Fatalf("re-encoding differs:\n%s\nwant:\n%s", b, data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			nInvalid++
			want := strings.TrimSuffix(string(expect), "\n")
			_, err = Parse(data)
			if err == nil {
				t.Fatalf("invalid vector accepted (want error containing %q)", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not contain %q", err, want)
			}
		})
	}
	if nValid < 9 || nInvalid < 40 {
		t.Fatalf("found %d valid and %d invalid vectors; the vector set is incomplete", nValid, nInvalid)
	}
}
