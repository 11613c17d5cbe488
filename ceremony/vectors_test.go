package ceremony

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"golang.org/x/crypto/sha3"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/keyshare"
)

var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors/ceremony")

const vectorDir = "../testdata/vectors/ceremony"

// A vector file is named NAME.KIND; NAME.KIND.expect, if present, holds a
// substring of the error the parser must return (no .expect: must parse,
// and re-encode to the same bytes where the format is canonical).
var vectorParsers = map[string]func([]byte) ([]byte, error){
	"state": func(b []byte) ([]byte, error) {
		s, err := parsePartyState(b)
		if err != nil {
			return nil, err
		}
		return s.marshal()
	},
	"confirm": func(b []byte) ([]byte, error) {
		d, v, err := parseConfirmation(b)
		if err != nil {
			return nil, err
		}
		w := textrec.NewWriter(confirmMagic)
		w.Hex("result", d[:])
		if len(v) > 0 {
			w.String("view", encodeView(v))
		}
		return w.Bytes()
	},
	"log": func(b []byte) ([]byte, error) {
		l, err := ParseLog(b)
		if err != nil {
			return nil, err
		}
		return l.Marshal()
	},
	"preparams": func(b []byte) ([]byte, error) {
		_, err := ParsePreParams(b)
		return nil, err
	},
	"joins": func(b []byte) ([]byte, error) {
		l, err := ParseLedger(b)
		if err != nil {
			return nil, err
		}
		return l.Marshal()
	},
	"rsproof": func(b []byte) ([]byte, error) {
		_, err := ParseReshareProof(b)
		return nil, err
	},
	"sigjson": func(b []byte) ([]byte, error) {
		sf, err := ParseSignature(b)
		if err != nil {
			return nil, err
		}
		pub, err := vectorPublic(sf)
		if err != nil {
			return nil, err
		}
		return nil, sf.Verify(pub)
	},
	"sigself": func(b []byte) ([]byte, error) {
		sf, err := ParseSignature(b)
		if err != nil {
			return nil, err
		}
		return nil, sf.Verify(nil)
	},
}

func TestVectors(t *testing.T) {
	if *updateVectors {
		writeVectors(t)
	}
	entries, err := os.ReadDir(vectorDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".expect") || name == "README.md" {
			continue
		}
		kind := name[strings.LastIndex(name, ".")+1:]
		parse, ok := vectorParsers[kind]
		if !ok {
			t.Errorf("%s: unknown vector kind %q", name, kind)
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(vectorDir, name))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(filepath.Join(vectorDir, name+".expect"))
			out, err := parse(data)
			if len(want) == 0 {
				if err != nil {
					t.Fatalf("valid vector refused: %v", err)
				}
				if out != nil && string(out) != string(data) {
					t.Fatalf("does not re-encode to the same bytes:\n%s", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("invalid vector accepted; want error containing %q", strings.TrimSpace(string(want)))
			}
			if !strings.Contains(err.Error(), strings.TrimSpace(string(want))) {
				t.Fatalf("error %q does not contain %q", err, strings.TrimSpace(string(want)))
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d vectors found", n)
	}
}

func vec(t *testing.T, name, expect string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(vectorDir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(vectorDir, name+".expect")
	os.Remove(p)
	if expect != "" {
		if err := os.WriteFile(p, []byte(expect+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeVectors(t *testing.T) {
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(vectorDir, "*"))
	for _, f := range old {
		if !strings.HasSuffix(f, "README.md") {
			os.Remove(f)
		}
	}
	d := func(b byte) (x [32]byte) { x[0], x[31] = b, b; return }
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// Party state.
	st := &partyState{Phase: 2, Seq: 7, View: View{{10, 1, d(1)}, {10, 2, d(2)}, {22, 1, d(3)}},
		Snapshot: []byte("coldsig/snapshot/v1\nopaque"), Consumed: []consumed{{1, 2, 0, d(0xa4)}, {2, 2, 1, d(0xb5)}},
		TrackerN: []*big.Int{big.NewInt(0xabcdef), nil, big.NewInt(0x1234567)}}
	good := must(st.marshal())
	vec(t, "running.state", "", good)
	fin := &partyState{Phase: 3, Seq: 9, View: st.View, Result: []byte(`{"k":1}`), ResultDigest: d(6), Consumed: st.Consumed,
		PaillierN: []*big.Int{big.NewInt(77), big.NewInt(91)}}
	vec(t, "confirming.state", "", must(fin.marshal()))
	vec(t, "old-member-no-result.state", "", must((&partyState{Phase: 2, Seq: 4, ResultDigest: d(7)}).marshal()))
	bound := &partyState{Phase: 1, Seq: 3, Snapshot: []byte("coldsig/snapshot/v1\nopaque"), LogHead: d(0x33),
		LogLines: []string{"time 2026-01-01T00:00:00Z", "sent cs-00000000-eddsa-keygen-r02-p1-to-all.age digest " + fmt.Sprintf("%x", d(9)), "committed step 2"}}
	bs := string(must(bound.marshal()))
	vec(t, "log-bound.state", "", []byte(bs))
	vec(t, "log-line-without-head.state", "unexpected field", []byte(strings.Replace(bs, fmt.Sprintf("log-head: %x\n", d(0x33)), "", 1)))
	vec(t, "log-head-short.state", "log-head", []byte(strings.Replace(bs, fmt.Sprintf("log-head: %x", d(0x33)), "log-head: 33", 1)))
	s := string(good)
	vec(t, "wrong-magic.state", "not a coldsig file", []byte(strings.Replace(s, "party-state/v1", "party-state-x/v1", 1)))
	vec(t, "future-version.state", "unsupported format version", []byte(strings.Replace(s, "party-state/v1", "party-state/v2", 1)))
	vec(t, "phase-leading-zero.state", "not a canonical decimal", []byte(strings.Replace(s, "phase: 2", "phase: 02", 1)))
	vec(t, "view-unsorted.state", "view", []byte(strings.Replace(s, encodeView(st.View), fmt.Sprintf("22:1:%x,10:1:%x", d(3), d(1)), 1)))
	vec(t, "view-forked.state", "view", []byte(strings.Replace(s, encodeView(st.View), fmt.Sprintf("10:1:%x,10:1:%x", d(1), d(2)), 1)))
	vec(t, "consumed-uppercase.state", "consumed: malformed", []byte(strings.Replace(s, fmt.Sprintf("%x", d(0xa4)), strings.ToUpper(fmt.Sprintf("%x", d(0xa4))), 1)))
	vec(t, "consumed-short.state", "consumed: malformed", []byte(strings.Replace(s, fmt.Sprintf("1 2 0 %x", d(0xa4)), "1 2 0 abcd", 1)))
	vec(t, "tracker-zero.state", "not a positive lowercase hex", []byte(strings.Replace(s, "tracker-n: abcdef", "tracker-n: 0", 1)))
	vec(t, "tracker-padded.state", "not a positive lowercase hex", []byte(strings.Replace(s, "tracker-n: abcdef", "tracker-n: 00abcdef", 1)))
	vec(t, "fields-out-of-order.state", `expected "phase", found "seq"`, []byte(strings.Replace(s, "phase: 2\nseq: 7\n", "seq: 7\nphase: 2\n", 1)))
	vec(t, "trailing-field.state", "unexpected field", []byte(s+"extra: 1\n"))
	vec(t, "bad-base64.state", "invalid base64", []byte(strings.Replace(s, "snapshot: ", "snapshot: !", 1)))

	// Confirmation payloads.
	cw := textrec.NewWriter(confirmMagic)
	d8 := d(8)
	cw.Hex("result", d8[:])
	cw.String("view", encodeView(st.View))
	conf := must(cw.Bytes())
	vec(t, "valid.confirm", "", conf)
	vec(t, "short-result.confirm", "result: 31 bytes, want 32", []byte(strings.Replace(string(conf), fmt.Sprintf("result: %x", d(8)), fmt.Sprintf("result: %x", func() []byte { x := d(8); return x[:31] }()), 1)))
	vec(t, "missing-result.confirm", `expected "result"`, []byte(strings.Replace(string(conf), fmt.Sprintf("result: %x\n", d(8)), "", 1)))
	vec(t, "malformed-view.confirm", "malformed view entry", []byte(strings.Replace(string(conf), "view: ", "view: 1:x:", 1)))

	// Log.
	var l Log
	l.Append("joined session 00 plan 00 as party 1 (member)")
	l.Append("sent cs-00000000-eddsa-keygen-r01-p1-to-all.age digest " + fmt.Sprintf("%x", d(9)))
	l.Append("accepted round 1 from party 2 to all digest " + fmt.Sprintf("%x", d(10)))
	lb := must(l.Marshal())
	vec(t, "valid.log", "", lb)
	vec(t, "edited-entry.log", "hash chain broken", []byte(strings.Replace(string(lb), "from party 2", "from party 3", 1)))
	vec(t, "dropped-entry.log", "hash chain broken", []byte(strings.Join(append(strings.SplitN(string(lb), "\n", 3)[:2], strings.SplitN(string(lb), "\n", 4)[3]), "\n")))
	vec(t, "uppercase-chain.log", "malformed chain value", []byte(strings.Replace(string(lb), hex.EncodeToString(l.Entries[0].Chain[:]), strings.ToUpper(hex.EncodeToString(l.Entries[0].Chain[:])), 1)))

	// Join ledger.
	led := &Ledger{Identity: d(0x1d), Entries: []LedgerEntry{
		{Session: d(0x51), Slot: 1, Plan: d(0x71), Committed: true, WorkDir: "/home/alice/alice-kg"},
		{Session: d(0x52), Slot: 4, Plan: d(0x72), WorkDir: "/media/alice key/reshare new"},
	}}
	lg := string(must(led.Marshal()))
	vec(t, "valid.joins", "", []byte(lg))
	vec(t, "empty.joins", "", must((&Ledger{Identity: d(0x1d)}).Marshal()))
	led1 := &Ledger{Version: 1, Identity: d(0x1d), Entries: []LedgerEntry{
		{Session: d(0x51), Slot: 1, Plan: d(0x71), Committed: true, WorkDir: "/home/alice/alice-kg"},
		{Session: d(0x52), Slot: 4, Plan: d(0x72), Committed: true, WorkDir: "/media/alice key/reshare new"},
	}}
	lg1 := string(must(led1.Marshal()))
	vec(t, "valid-v1.joins", "", []byte(lg1))
	e0 := fmt.Sprintf("join: %x 1 %x committed /home/alice/alice-kg\n", d(0x51), d(0x71))
	vec(t, "future-version.joins", "unsupported format version", []byte(strings.Replace(lg, "joins/v2", "joins/v3", 1)))
	vec(t, "no-identity.joins", `expected "identity", found "join"`, []byte(strings.Replace(lg, fmt.Sprintf("identity: %x\n", d(0x1d)), "", 1)))
	vec(t, "twice.joins", "recorded twice", []byte(lg+e0))
	vec(t, "twice-other-state.joins", "recorded twice", []byte(lg+strings.Replace(e0, " committed ", " joined ", 1)))
	vec(t, "relative-dir.joins", "not a clean absolute path", []byte(strings.Replace(lg, "/home/alice/alice-kg", "alice-kg", 1)))
	vec(t, "unclean-dir.joins", "not a clean absolute path", []byte(strings.Replace(lg, "/home/alice/alice-kg", "/home/alice/../alice-kg", 1)))
	vec(t, "slot-zero.joins", "party: 0 is out of range 1..32", []byte(strings.Replace(lg, fmt.Sprintf("%x 1 ", d(0x51)), fmt.Sprintf("%x 0 ", d(0x51)), 1)))
	vec(t, "short-session.joins", "32 bytes of lowercase hex", []byte(strings.Replace(lg, fmt.Sprintf("%x 1 ", d(0x51)), fmt.Sprintf("%x 1 ", d(0x51))[2:], 1)))
	vec(t, "missing-dir.joins", `want "<session> <party> <plan> <joined|committed> <work dir>"`, []byte(strings.Replace(lg, " /home/alice/alice-kg", "", 1)))
	// A v1 entry in a v2 ledger: the state is missing.
	vec(t, "missing-state.joins", `want "<session> <party> <plan> <joined|committed> <work dir>"`, []byte(strings.Replace(lg, " committed /home/alice/alice-kg", " /home/alice/alice-kg", 1)))
	// With spaces in the work dir, the first word is taken for the state.
	vec(t, "missing-state-spaces.joins", `state "/media/alice" is neither "joined" nor "committed"`, []byte(strings.Replace(lg, " joined /media/alice key", " /media/alice key", 1)))
	vec(t, "unknown-state.joins", `state "pending" is neither "joined" nor "committed"`, []byte(strings.Replace(lg, " committed ", " pending ", 1)))
	vec(t, "v1-missing-dir.joins", `want "<session> <party> <plan> <work dir>"`, []byte(strings.Replace(lg1, " /home/alice/alice-kg", "", 1)))
	vec(t, "v1-state-field.joins", "not a clean absolute path", []byte(strings.Replace(lg1, " /home/alice/alice-kg", " committed /home/alice/alice-kg", 1)))
	vec(t, "crlf.joins", "CRLF", []byte(strings.ReplaceAll(lg, "\n", "\r\n")))

	// Pre-parameters (plaintext record; the file on disk is this, age-encrypted).
	raw, err := os.ReadFile("../testdata/preparams/test-only-0.json")
	if err != nil {
		t.Fatal(err)
	}
	var pp ecdsakeygen.LocalPreParams
	if err := json.Unmarshal(raw, &pp); err != nil {
		t.Fatal(err)
	}
	js := must(json.Marshal(&pp))
	ppw := func(curve string, js []byte) []byte {
		w := textrec.NewWriter(PreParamsMagic)
		w.String("curve", curve)
		w.Base64("tss-lib-json", js)
		return must(w.Bytes())
	}
	vec(t, "test-only-valid.preparams", "", ppw("secp256k1", js))
	vec(t, "wrong-curve.preparams", "only secp256k1 uses pre-parameters", ppw("ed25519", js))
	vec(t, "unknown-member.preparams", "unknown field", ppw("secp256k1", []byte(`{"Extra":1,`+string(js[1:]))))
	bad := pp
	bad.H2i = new(big.Int).Add(pp.H2i, big.NewInt(1))
	vec(t, "h2-not-h1-power.preparams", "fail tss-lib's validation", ppw("secp256k1", must(json.Marshal(&bad))))
	bad = pp
	bad.NTildei = new(big.Int).Add(pp.NTildei, big.NewInt(2))
	vec(t, "ntilde-not-from-primes.preparams", "fail tss-lib's validation", ppw("secp256k1", must(json.Marshal(&bad))))
	bad = pp
	bad.Alpha = nil
	vec(t, "missing-alpha.preparams", "fail tss-lib's validation", ppw("secp256k1", must(json.Marshal(&bad))))

	// signature.json, signed here with plain keys (the format does not
	// depend on how the signature was made). TEST ONLY keys.
	priv, _ := btcec.PrivKeyFromBytes(sha256.New().Sum([]byte("coldsig test-only vector key")))
	pub := priv.PubKey().SerializeCompressed()
	msg := "vector message"
	digest := eip191Digest(msg)
	sig, err := btcecdsa.SignCompact(priv, digest, true)
	if err != nil {
		t.Fatal(err)
	}
	v := int(sig[0]-27-4) & 1
	r, sBytes := sig[1:33], sig[33:65]
	addr, _ := keyshare.EthAddress(pub)
	var rs, ss btcec.ModNScalar
	rs.SetByteSlice(r)
	ss.SetByteSlice(sBytes)
	ecdsaSig := SignatureFile{Format: SignatureFormat, Curve: "secp256k1", KeyID: keyshare.KeyID("secp256k1", pub),
		PublicKey: hex.EncodeToString(pub), Payload: SignedPayload{Kind: "eip191", Text: msg},
		Digest: hex.EncodeToString(digest), R: hex.EncodeToString(r), S: hex.EncodeToString(sBytes), V: &v,
		DER:          hex.EncodeToString(btcecdsa.NewSignature(&rs, &ss).Serialize()),
		EthSignature: hex.EncodeToString(append(append(append([]byte{}, r...), sBytes...), byte(v+27))),
		EthAddress:   addr, Committee: fmt.Sprintf("%x", d(14)), Session: fmt.Sprintf("%x", d(11)), Transcript: fmt.Sprintf("%x", d(12))}
	vec(t, "ecdsa-valid.sigjson", "", must(ecdsaSig.Marshal()))
	mut := func(name, expect string, f func(*SignatureFile)) {
		c := ecdsaSig
		vv := *c.V
		c.V = &vv
		f(&c)
		vec(t, name, expect, must(c.Marshal()))
	}
	mut("ecdsa-wrong-digest.sigjson", "ECDSA verification failed", func(c *SignatureFile) {
		c.Payload = SignedPayload{Kind: "digest"}
		c.Digest = fmt.Sprintf("%x", d(13))
	})
	mut("ecdsa-text-not-signed.sigjson", "not the EIP-191 digest of the payload text", func(c *SignatureFile) { c.Payload.Text = "pay someone else" })
	mut("ecdsa-file-not-signed.sigjson", "not the SHA-256", func(c *SignatureFile) {
		c.Payload = SignedPayload{Kind: "file", File: "a.bin", FileSize: 3, FileSHA256: fmt.Sprintf("%x", d(15))}
	})
	mut("ecdsa-wrong-v.sigjson", "v does not recover", func(c *SignatureFile) { *c.V ^= 1 })
	mut("ecdsa-v-27.sigjson", "v must be 0 or 1", func(c *SignatureFile) { *c.V = 27 })
	mut("ecdsa-wrong-address.sigjson", "eth_address does not match", func(c *SignatureFile) { c.EthAddress = strings.ToLower(c.EthAddress) })
	mut("ecdsa-wrong-der.sigjson", "der does not encode", func(c *SignatureFile) { c.DER = c.DER[:len(c.DER)-2] + "00" })
	mut("ecdsa-eth-sig-v.sigjson", "eth_signature is not", func(c *SignatureFile) { c.EthSignature = c.EthSignature[:128] + "00" })
	hs := new(big.Int).Sub(btcec.S256().N, new(big.Int).SetBytes(sBytes))
	mut("ecdsa-high-s.sigjson", "not low-S", func(c *SignatureFile) { c.S = hex.EncodeToString(hs.FillBytes(make([]byte, 32))) })
	mut("missing-committee.sigjson", "committee must be 32 bytes", func(c *SignatureFile) { c.Committee = "" })
	// verify prints the session of a batch item: never terminal controls.
	mut("session-not-hex.sigjson", "session must be 32 bytes of lowercase hex", func(c *SignatureFile) {
		c.Session = "\x1b[2J\x1b[HOK: valid signature" + strings.Repeat("0", 34)
	})
	mut("transcript-uppercase.sigjson", "transcript must be 32 bytes of lowercase hex", func(c *SignatureFile) { c.Transcript = strings.ToUpper(c.Transcript) })
	vec(t, "unknown-member.sigjson", "unknown field", []byte(strings.Replace(string(must(ecdsaSig.Marshal())), `"curve"`, `"extra": 1, "curve"`, 1)))
	vec(t, "other-format.sigjson", "not a coldsig signature file", []byte(strings.Replace(string(must(ecdsaSig.Marshal())), SignatureFormat, "coldsig/signature/v3", 1)))

	// v2: a signature by a BIP32 child (path m/0/7 of the test key with a
	// fixed chain code) and an item of a batch.
	acct, err := hd.Master(pub, vectorChainCode)
	if err != nil {
		t.Fatal(err)
	}
	child, delta, err := acct.Derive(hd.Path{0, 7})
	if err != nil {
		t.Fatal(err)
	}
	cpriv, _ := btcec.PrivKeyFromBytes(new(big.Int).Mod(new(big.Int).Add(new(big.Int).SetBytes(priv.Serialize()), delta), btcec.S256().N).FillBytes(make([]byte, 32)))
	signWith := func(k *btcec.PrivateKey, c *SignatureFile) { signSigFile(t, k, digest, c) }
	childSig := ecdsaSig
	childSig.Format, childSig.Path, childSig.ChildPublicKey = SignatureFormatV2, "m/0/7", hex.EncodeToString(child.PublicKey)
	signWith(cpriv, &childSig)
	vec(t, "ecdsa-child-valid.sigjson", "", must(childSig.Marshal()))
	itemSig := ecdsaSig
	itemSig.Format, itemSig.Item, itemSig.Items = SignatureFormatV2, 2, 3
	vec(t, "ecdsa-item-valid.sigjson", "", must(itemSig.Marshal()))
	both := childSig
	both.Item, both.Items = 20, 20
	vec(t, "ecdsa-child-item-valid.sigjson", "", must(both.Marshal()))
	v2mut := func(name, expect string, from SignatureFile, f func(*SignatureFile)) {
		c := from
		f(&c)
		b, err := json.MarshalIndent(&c, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		vec(t, name, expect, append(b, '\n'))
	}
	v2mut("v2-not-needed.sigjson", `is written as "coldsig/signature/v1"`, ecdsaSig, func(c *SignatureFile) { c.Format = SignatureFormatV2 })
	v2mut("path-on-v1.sigjson", "need format", childSig, func(c *SignatureFile) { c.Format = SignatureFormat })
	v2mut("item-on-v1.sigjson", "need format", itemSig, func(c *SignatureFile) { c.Format = SignatureFormat })
	v2mut("item-out-of-range.sigjson", "item 4 of 3", itemSig, func(c *SignatureFile) { c.Item = 4 })
	v2mut("item-of-one.sigjson", "item 1 of 1", itemSig, func(c *SignatureFile) { c.Item, c.Items = 1, 1 })
	v2mut("path-without-child.sigjson", "path and child_public_key go together", childSig, func(c *SignatureFile) { c.ChildPublicKey = "" })
	v2mut("path-hardened.sigjson", "path", childSig, func(c *SignatureFile) { c.Path = "m/0/7'" })
	v2mut("child-signed-by-parent.sigjson", "ECDSA verification failed", childSig, func(c *SignatureFile) { signWith(priv, c) })
	v2mut("child-wrong-address.sigjson", "eth_address does not match", childSig, func(c *SignatureFile) { c.EthAddress = addr })

	// Without the key's public.json (Verify(nil)) a key's own signature is
	// checked against its public_key, but a child's never: the file's
	// child_public_key could be anyone's key (review finding C1).
	vec(t, "ecdsa-valid.sigself", "", must(ecdsaSig.Marshal()))
	vec(t, "child-without-public.sigself", "can be checked only against the key's public.json", must(childSig.Marshal()))
	// The forgery itself: a retire statement signed by an unrelated key
	// named as the key's child at m/0/1.
	statement := RetireStatement(keyshare.KeyID("secp256k1", pub), fmt.Sprintf("%x", d(14)), fmt.Sprintf("%x", d(11)))
	forged := forgeChildSignature(t, hex.EncodeToString(pub), "m/0/1", statement, fmt.Sprintf("%x", d(11)), fmt.Sprintf("%x", d(12)))
	vec(t, "child-key-forgery.sigjson", "child_public_key is not the key's child at m/0/1", must(forged.Marshal()))
	vec(t, "child-key-forgery.sigself", "can be checked only against the key's public.json", must(forged.Marshal()))

	seed := sha256.Sum256([]byte("coldsig test-only ed25519 vector key"))
	ek := ed25519.NewKeyFromSeed(seed[:])
	epub := ek.Public().(ed25519.PublicKey)
	edSig := SignatureFile{Format: SignatureFormat, Curve: "ed25519", KeyID: keyshare.KeyID("ed25519", epub),
		PublicKey: hex.EncodeToString(epub), Payload: SignedPayload{Kind: "message", Text: msg},
		Message: hex.EncodeToString([]byte(msg)), Signature: hex.EncodeToString(ed25519.Sign(ek, []byte(msg))),
		Committee: fmt.Sprintf("%x", d(14)), Session: fmt.Sprintf("%x", d(11)), Transcript: fmt.Sprintf("%x", d(12))}
	vec(t, "ed25519-valid.sigjson", "", must(edSig.Marshal()))
	bad2 := edSig
	bad2.Message = hex.EncodeToString([]byte(msg + "!"))
	bad2.Payload.Text = msg + "!"
	vec(t, "ed25519-wrong-message.sigjson", "Ed25519 verification failed", must(bad2.Marshal()))
	bad2 = edSig
	bad2.Payload.Text = "another text"
	vec(t, "ed25519-text-not-signed.sigjson", "the signed message is not the payload text", must(bad2.Marshal()))
	bad2 = edSig
	bad2.Signature = bad2.Signature[:126]
	vec(t, "ed25519-short-signature.sigjson", "malformed", must(bad2.Marshal()))

	writeProofVectors(t)
	writeHostileRetireCase(t)
}

// signSigFile signs digest with k and fills c's ECDSA members (r, s, v,
// der, eth_signature, eth_address) as the engine writes them.
func signSigFile(t testing.TB, k *btcec.PrivateKey, digest []byte, c *SignatureFile) {
	t.Helper()
	sig, err := btcecdsa.SignCompact(k, digest, true)
	if err != nil {
		t.Fatal(err)
	}
	v := int(sig[0]-27-4) & 1
	r, sb := sig[1:33], sig[33:65]
	var rs, ss btcec.ModNScalar
	rs.SetByteSlice(r)
	ss.SetByteSlice(sb)
	a, err := keyshare.EthAddress(k.PubKey().SerializeCompressed())
	if err != nil {
		t.Fatal(err)
	}
	c.R, c.S, c.V = hex.EncodeToString(r), hex.EncodeToString(sb), &v
	c.DER = hex.EncodeToString(btcecdsa.NewSignature(&rs, &ss).Serialize())
	c.EthSignature = hex.EncodeToString(append(append(append([]byte{}, r...), sb...), byte(v+27)))
	c.EthAddress = a
}

// vectorChainCode is the chain code of the secp256k1 vector key (a key
// derived from a public string): the sigjson vectors are checked against
// the key's public.json with this chain code, as 'coldsig verify' checks
// a signature against public.json.
var vectorChainCode = sha256.Sum256([]byte("coldsig test-only vector chain code"))

// vectorPublic is the public.json a sigjson vector is verified against:
// the key the file names, with vectorChainCode for secp256k1 (so that a
// child is derived, never taken from the file).
func vectorPublic(sf *SignatureFile) (*keyshare.Public, error) {
	pk, err := hex.DecodeString(sf.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("public_key is not hex")
	}
	pub := &keyshare.Public{Format: keyshare.PublicFormat, Curve: sf.Curve, PublicKey: sf.PublicKey, KeyID: keyshare.KeyID(sf.Curve, pk)}
	if sf.Curve == keyshare.CurveSecp256k1 {
		if err := pub.SetChainCode(vectorChainCode[:]); err != nil {
			return nil, err
		}
	}
	return pub, nil
}

func eip191Digest(msg string) []byte {
	h := sha3.NewLegacyKeccak256()
	fmt.Fprintf(h, "\x19Ethereum Signed Message:\n%d%s", len(msg), msg)
	return h.Sum(nil)
}

// Fuzz targets, seeded from the vectors.

func seedVectors(f *testing.F, kind string) {
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*."+kind))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParseLedger: anything ParseLedger accepts re-encodes to the same
// bytes (the ledger is canonical, so an edit always shows).
func FuzzParseLedger(f *testing.F) {
	seedVectors(f, "joins")
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLedger(data)
		if err != nil {
			return
		}
		out, err := l.Marshal()
		if err != nil || string(out) != string(data) {
			t.Fatalf("accepted ledger does not re-encode: %v\n%q\n%q", err, data, out)
		}
	})
}

func FuzzParsePartyState(f *testing.F) {
	seedVectors(f, "state")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parsePartyState(b)
		if err != nil {
			return
		}
		out, err := s.marshal()
		if err != nil || string(out) != string(b) {
			t.Fatalf("accepted input does not re-encode to itself: %v\n%q\n%q", err, b, out)
		}
	})
}

func FuzzParseConfirmation(f *testing.F) {
	seedVectors(f, "confirm")
	f.Fuzz(func(t *testing.T, b []byte) {
		parseConfirmation(b)
	})
}

func FuzzParsePreParams(f *testing.F) {
	seedVectors(f, "preparams")
	f.Fuzz(func(t *testing.T, b []byte) {
		ParsePreParams(b)
	})
}

func FuzzParseSignature(f *testing.F) {
	seedVectors(f, "sigjson")
	seedVectors(f, "sigself")
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := ParseSignature(b)
		if err != nil {
			return
		}
		if sf.Verify(nil) == nil && sf.Path != "" {
			t.Fatal("a child key's signature verified without the key's public.json")
		}
		if pub, err := vectorPublic(sf); err == nil {
			sf.Verify(pub)
		}
	})
}
