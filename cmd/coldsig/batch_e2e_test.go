package main

// Batch signing and HD child keys through the real binary, on the
// committed TEST-ONLY 2-of-3 keys (no keygen runs): a batch finishes in
// exactly as many step rounds, with as many envelopes, as one signature;
// every signature verifies under the child key that btcutil's hdkeychain,
// an independent BIP32 implementation, derives from public.json's xpub.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
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

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// fixtureCLI is a ceremony directory holding the test-only identities
// (ids/NAME.key, ids/NAME.card) and the given key fixture dirs, copied as
// DEST/public.json and DEST/share-<i>.age.
func fixtureCLI(t testing.TB, dirs map[string]string) *cli {
	c := &cli{t: t, bin: coldsigBinary(t), dir: t.TempDir()}
	if err := os.MkdirAll(c.path("ids"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range keysharetest.Names {
		copyFile(t, keysharetest.IdentityPath(n), c.path("ids", n+".key"), 0o600)
		copyFile(t, keysharetest.CardPath(n), c.path("ids", n+".card"), 0o644)
	}
	for dest, src := range dirs {
		if err := os.MkdirAll(c.path(dest), 0o700); err != nil {
			t.Fatal(err)
		}
		copyFile(t, filepath.Join(src, "public.json"), c.path(dest, "public.json"), 0o644)
		for i := 1; i <= 3; i++ {
			name := fmt.Sprintf("share-%d.age", i)
			copyFile(t, filepath.Join(src, name), c.path(dest, name), 0o600)
		}
	}
	return c
}

func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

// tripCount is what a ceremony cost each party: the step invocations that
// advanced it (exit 0), and the envelopes it handed on.
type tripCount struct {
	steps     map[string]int
	envelopes map[string]int
}

// countedRun is ceremonyRun that counts, per party, the steps that advanced
// and the envelopes its outbox ends with.
func (c *cli) countedRun(planPath, stick string, parties []party) tripCount {
	c.t.Helper()
	tc := tripCount{steps: c.ceremonySteps(planPath, stick, parties), envelopes: map[string]int{}}
	for _, p := range parties {
		tc.envelopes[p.name] = len(readDirT(c.t, c.path(p.workdir, "outbox")))
	}
	return tc
}

func signers(dir string, names ...string) []party {
	var out []party
	for _, n := range names {
		idx := map[string]int{"alice": 1, "bob": 2, "carol": 3}[n]
		out = append(out, party{name: n, workdir: n + "-" + dir, join: []string{"--share", fmt.Sprintf("key/share-%d.age", idx)}})
	}
	return out
}

type batchSig struct {
	signatureJSON
	Path           string `json:"path"`
	ChildPublicKey string `json:"child_public_key"`
	Item           int    `json:"item"`
	Items          int    `json:"items"`
	Session        string `json:"session"`
}

// refChild derives the child at path from the xpub with hdkeychain.
func refChild(t testing.TB, xpub, path string) *btcec.PublicKey {
	t.Helper()
	k, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	if path != "" {
		for _, part := range strings.Split(strings.TrimPrefix(path, "m/"), "/") {
			var i uint32
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil {
				t.Fatal(err)
			}
			if k, err = k.Derive(i); err != nil {
				t.Fatal(err)
			}
		}
	}
	pk, err := k.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func TestE2EBatchHDSecp256k1(t *testing.T) {
	skipIfShort(t)
	c := fixtureCLI(t, map[string]string{"key": keysharetest.HDDir()})
	var pub struct {
		publicJSON
		XPub       string `json:"xpub"`
		Descriptor string `json:"descriptor"`
	}
	readJSON(t, c.path("key", "public.json"), &pub)

	// One signature: the reference for rounds and envelopes.
	one := sha256.Sum256([]byte("single"))
	c.ok("plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card",
		"--path", "m/0/3", "--digest", hex.EncodeToString(one[:]), "-o", "one.plan")
	single := c.countedRun("one.plan", "stick-one", signers("one", "alice", "carol"))

	// A batch of 20 digests with mixed paths, from a batch file.
	var lines []string
	digests := make([][32]byte, 20)
	paths := make([]string, 20)
	for i := range digests {
		digests[i] = sha256.Sum256([]byte(fmt.Sprintf("utxo %d", i)))
		switch i % 4 {
		case 0:
			paths[i] = ""
		case 1:
			paths[i] = fmt.Sprintf("m/0/%d", i)
		case 2:
			paths[i] = fmt.Sprintf("m/1/%d", i)
		default:
			paths[i] = fmt.Sprintf("m/%d/7/2147483647", i)
		}
		line := "digest " + hex.EncodeToString(digests[i][:])
		if paths[i] != "" {
			line = paths[i] + " " + line
		}
		lines = append(lines, line)
	}
	batch := "coldsig/batch/v1\n# twenty inputs\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(c.path("sweep.batch"), []byte(batch), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card",
		"--batch", "sweep.batch", "-o", "sweep.plan")
	show := c.ok("plan", "show", "sweep.plan").stdout
	if !strings.Contains(show, "20 items, one signature each") || !strings.Contains(show, "item 20 of 20:") || !strings.Contains(show, "child m/19/7/2147483647 of the key") {
		t.Fatalf("plan show does not list every item:\n%s", show)
	}
	sg := signers("sweep", "alice", "carol")
	many := c.countedRun("sweep.plan", "stick-sweep", sg)
	for _, n := range []string{"alice", "carol"} {
		if many.steps[n] != single.steps[n] || many.envelopes[n] != single.envelopes[n] {
			t.Fatalf("%s: a batch of 20 took %d steps and %d envelopes, one signature %d and %d",
				n, many.steps[n], many.envelopes[n], single.steps[n], single.envelopes[n])
		}
	}
	t.Logf("2-of-3 secp256k1: 1 signature and 20 signatures both took %d steps and %d envelopes per party", single.steps["alice"], single.envelopes["alice"])

	for i := range digests {
		name := fmt.Sprintf("signature-%02d.json", i+1)
		data := c.sameFiles(filepath.Join("result", name), names(sg)...)
		var sig batchSig
		if err := json.Unmarshal(data, &sig); err != nil {
			t.Fatal(err)
		}
		if sig.Item != i+1 || sig.Items != 20 || sig.Path != paths[i] || sig.Digest != hex.EncodeToString(digests[i][:]) {
			t.Fatalf("%s: item %d/%d path %q digest %s", name, sig.Item, sig.Items, sig.Path, sig.Digest)
		}
		want := refChild(t, pub.XPub, paths[i])
		if paths[i] != "" && sig.ChildPublicKey != hex.EncodeToString(want.SerializeCompressed()) {
			t.Fatalf("%s: child key %s, hdkeychain derives %x", name, sig.ChildPublicKey, want.SerializeCompressed())
		}
		r, _ := new(big.Int).SetString(sig.R, 16)
		s, _ := new(big.Int).SetString(sig.S, 16)
		if !ecdsa.Verify(want.ToECDSA(), digests[i][:], r, s) {
			t.Fatalf("%s: crypto/ecdsa does not verify under the hdkeychain child %s", name, paths[i])
		}
		if sig.EthAddress != independentEthAddress(t, want.SerializeCompressed()) {
			t.Fatalf("%s: eth_address %s is not the child's", name, sig.EthAddress)
		}
		out := c.ok("verify", "--key", "key/public.json", "--signature", filepath.Join("alice-sweep", "result", name))
		if !strings.Contains(out.stdout, "OK: valid secp256k1 signature") {
			t.Fatalf("verify: %s", out.stdout)
		}
	}
	if _, err := os.Stat(c.path("alice-sweep", "result", "signature.json")); err == nil {
		t.Fatal("a batch also wrote signature.json")
	}

	// coldsig address agrees with hdkeychain (and with btcutil's P2WPKH).
	out := c.ok("address", "--key", "key/public.json", "--path", "m/0/7", "--json").stdout
	var raw []map[string]string
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("address --json: %v\n%s", err, out)
	}
	want := refChild(t, pub.XPub, "m/0/7")
	wa, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(want.SerializeCompressed()), &chaincfg.MainNetParams)
	if raw[0]["public_key"] != hex.EncodeToString(want.SerializeCompressed()) || raw[0]["btc_address"] != wa.EncodeAddress() ||
		raw[0]["eth_address"] != independentEthAddress(t, want.SerializeCompressed()) || raw[0]["path"] != "m/0/7" {
		t.Fatalf("address m/0/7: %v; hdkeychain: %x %s", raw[0], want.SerializeCompressed(), wa.EncodeAddress())
	}
	t.Logf("demo key xpub %s; m/0/7 = %s / %s", pub.XPub, wa.EncodeAddress(), raw[0]["eth_address"])
}

func TestE2EBatchEd25519(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"key": keysharetest.Dir("ed25519")})
	var pub publicJSON
	readJSON(t, c.path("key", "public.json"), &pub)
	c.ok("plan", "sign", "--key", "key/public.json", "--signer", "ids/bob.card", "--signer", "ids/carol.card",
		"--message", "just one", "-o", "one.plan")
	single := c.countedRun("one.plan", "stick-one", signers("one", "bob", "carol"))

	msgs := []string{"payout 1 to erin", "payout 2 to frank", "payout 3 to grace\nwith a second line", "payout 4", "payout 5\tend"}
	args := []string{"plan", "sign", "--key", "key/public.json", "--signer", "ids/bob.card", "--signer", "ids/carol.card"}
	for _, m := range msgs {
		args = append(args, "--message", m)
	}
	c.ok(append(args, "-o", "five.plan")...)
	sg := signers("five", "bob", "carol")
	five := c.countedRun("five.plan", "stick-five", sg)
	for _, n := range []string{"bob", "carol"} {
		if five.steps[n] != single.steps[n] || five.envelopes[n] != single.envelopes[n] {
			t.Fatalf("%s: a batch of 5 took %d steps and %d envelopes, one signature %d and %d",
				n, five.steps[n], five.envelopes[n], single.steps[n], single.envelopes[n])
		}
	}
	pk, _ := hex.DecodeString(pub.PublicKey)
	for i, m := range msgs {
		name := fmt.Sprintf("signature-%02d.json", i+1)
		var sig batchSig
		if err := json.Unmarshal(c.sameFiles(filepath.Join("result", name), names(sg)...), &sig); err != nil {
			t.Fatal(err)
		}
		sb, _ := hex.DecodeString(sig.Signature)
		if sig.Item != i+1 || !ed25519.Verify(ed25519.PublicKey(pk), []byte(m), sb) {
			t.Fatalf("%s: item %d, crypto/ed25519 does not verify %q", name, sig.Item, m)
		}
		c.ok("verify", "--key", "key/public.json", "--signature", filepath.Join("bob-five", "result", name))
	}

	// Ed25519 keys have no derivation paths.
	r := c.run("plan", "sign", "--key", "key/public.json", "--signer", "ids/bob.card", "--signer", "ids/carol.card",
		"--path", "m/0/7", "--message", "x", "-o", "bad.plan")
	if r.code != 1 || !strings.Contains(r.stderr, "Ed25519 has no non-hardened (public) derivation standard") {
		t.Fatalf("--path on ed25519: exit %d\n%s", r.code, r.stderr)
	}
	if r := c.run("address", "--key", "key/public.json", "--path", "m/0/7"); r.code != 1 || !strings.Contains(r.stderr, "no child keys") {
		t.Fatalf("address --path on ed25519: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(c.path("bad.plan")); err == nil {
		t.Fatal("a refused plan was written")
	}
}

// TestE2EPathRefusals: a hardened path and a key made before HD keys are
// refused with the reason, and nothing is written.
func TestE2EPathRefusals(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"hd": keysharetest.HDDir(), "old": keysharetest.Dir("secp256k1")})
	d := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		args      []string
		code      int
		err, hint string
	}{
		{[]string{"--key", "hd/public.json", "--path", "m/44'/0", "--digest", d}, 1, "hardened derivation is impossible for a threshold key", "non-hardened"},
		{[]string{"--key", "old/public.json", "--path", "m/0/7", "--digest", d}, 1, "has no chain code", "sign without --path"},
		{[]string{"--key", "hd/public.json", "--digest", d, "--digest", strings.Repeat("cd", 32), "--path", "m/0/1"}, 2, "--path m/0/1 is not followed by a payload", ""},
		{[]string{"--key", "hd/public.json", "--path", "m/0/1", "--digest", d, "--path", "m/0/1", "--digest", d}, 1, "item 2 signs the same bytes with the same key as item 1", ""},
		{[]string{"--key", "hd/public.json", "--path", "m/x", "--digest", d}, 2, "invalid derivation path", ""},
	} {
		args := append([]string{"plan", "sign", "--signer", "ids/alice.card", "--signer", "ids/bob.card"}, tc.args...)
		r := c.run(append(args, "-o", "bad.plan")...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.err) || !strings.Contains(r.stderr, tc.hint) {
			t.Errorf("%v: exit %d\n%s", tc.args, r.code, r.stderr)
		}
		if _, err := os.Stat(c.path("bad.plan")); err == nil {
			t.Fatalf("%v: a refused plan was written", tc.args)
		}
	}
	if r := c.run("address", "--key", "old/public.json", "--path", "m/0/7"); r.code != 1 || !strings.Contains(r.stderr, "no chain code") {
		t.Errorf("address on a pre-HD key: exit %d\n%s", r.code, r.stderr)
	}
	// A pre-HD key still signs without a path, and a single payload with
	// a path on an HD key keeps working as one item.
	c.ok("plan", "sign", "--key", "old/public.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card", "--digest", d, "-o", "old.plan")
	if data, _ := os.ReadFile(c.path("old.plan")); !strings.HasPrefix(string(data), "coldsig/plan/v1\n") {
		t.Fatal("a plain plan of a pre-HD key is not written as v1")
	}
}

// TestE2EBatchBadItemAborts: one bad item in a batch envelope, signed by
// its sender, aborts the whole batch naming the sender and the item.
func TestE2EBatchBadItemAborts(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"key": keysharetest.Dir("ed25519")})
	c.ok("plan", "sign", "--key", "key/public.json", "--signer", "ids/bob.card", "--signer", "ids/carol.card",
		"--message", "one", "--message", "two", "--message", "three", "-o", "b.plan")
	ps := signers("b", "bob", "carol")
	for _, p := range ps {
		c.ok(append([]string{"join", "b.plan", "--yes", "--identity", "ids/" + p.name + ".key", "--workdir", p.workdir}, p.join...)...)
		c.move(p.workdir, "stick")
	}
	bobID := loadTestIdentity(t, c.path("ids", "bob.key"))
	carolID := loadTestIdentity(t, c.path("ids", "carol.key"))
	f := globT(t, c.path("stick", "*-r01-p2-to-all.age"))[0]
	env, err := envelope.Open(readFileT(t, f), bobID)
	if err != nil {
		t.Fatal(err)
	}
	// The items payload as docs/format.md specifies it: magic line, then
	// per item a 2-byte index, a 4-byte length and the message.
	rest, ok := bytes.CutPrefix(env.Payload, []byte("coldsig/items/v1\n"))
	if !ok {
		t.Fatalf("a batch envelope without the items header: %q", env.Payload[:20])
	}
	var items [][]byte
	for len(rest) > 0 {
		n := binary.BigEndian.Uint32(rest[2:6])
		items = append(items, rest[6:6+n])
		rest = rest[6+n:]
	}
	if len(items) != 3 {
		t.Fatalf("%d items in the envelope, want 3", len(items))
	}
	items[1] = []byte{0x0a, 0x03, 'b', 'a', 'd'}
	var payload []byte
	payload = append(payload, "coldsig/items/v1\n"...)
	for i, m := range items {
		payload = binary.BigEndian.AppendUint16(payload, uint16(i+1))
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(m)))
		payload = append(payload, m...)
	}
	rcpts := c.recipients("bob", "carol")
	crafted, err := envelope.Seal(env.Header, payload, carolID, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, crafted, 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("step", "--workdir", ps[0].workdir, "--identity", "ids/bob.key", "--inbox", "stick")
	if r.code != exitAborted || !strings.Contains(r.stderr, "item 2:") || !strings.Contains(r.stderr, "culprit: carol (party 2)") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if ents := readDirT(t, c.path(ps[0].workdir, "state")); len(ents) != 0 {
		t.Fatalf("state not destroyed after abort: %v", ents)
	}
	if ents, _ := filepath.Glob(c.path(ps[0].workdir, "result", "signature*.json")); len(ents) != 0 {
		t.Fatalf("an aborted batch released %v", ents)
	}
}
