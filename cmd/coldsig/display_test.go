package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// callData200 is 200 bytes of call data to an unknown selector with a
// marker at offset 150: past the 127 bytes (256 hex characters) that
// termsafe.String kept of a field value.
func callData200() []byte {
	data := make([]byte, 200)
	copy(data, []byte{0x12, 0x34, 0x56, 0x78})
	for i := 4; i < len(data); i++ {
		data[i] = 0x11
	}
	copy(data[150:], []byte{0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d})
	return data
}

// unwrapped is doc without white space and HTML line breaks, so that a
// value wrapped over several lines reads as one string.
func unwrapped(doc string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(doc, "<br>", "")), "")
}

// TestSignedValuesShownWhole (review finding M2): every screen shows all
// of what is signed. 200 bytes of call data are shown in full by plan
// sign, plan show, join, status and the ceremony record (text and HTML).
func TestSignedValuesShownWhole(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"key": keysharetest.HDDir()})
	var pub publicJSON
	readJSON(t, c.path("key", "public.json"), &pub)
	data := callData200()
	want := "0x" + hex.EncodeToString(data)
	txJSON := fmt.Sprintf(`{"from": %q, "to": "0x3535353535353535353535353535353535353535", "value": "0x0",
  "nonce": "0x1", "gas": "0x30000", "maxFeePerGas": "0x6fc23ac00", "maxPriorityFeePerGas": "0x3b9aca00", "chainId": "0x1", "data": %q}`, pub.EthAddress, want)
	if err := os.WriteFile(c.path("tx.json"), []byte(txJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(what, doc string) {
		t.Helper()
		if !strings.Contains(unwrapped(doc), want) {
			t.Errorf("%s does not show the whole call data %s:\n%s", what, want, doc)
		}
	}
	check("plan sign", c.ok("plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card",
		"--eth-tx", "tx.json", "--chain-id", "1", "-o", "call.plan").stdout)
	check("plan show", c.ok("plan", "show", "call.plan").stdout)
	check("join", c.ok("join", "--yes", "call.plan", "--identity", "ids/alice.key", "--share", "key/share-1.age", "--workdir", "alice-sg").stdout)
	check("status", c.ok("status", "--workdir", "alice-sg").stdout)
	c.ok("report", "--workdir", "alice-sg", "-o", "record.txt")
	c.ok("report", "--workdir", "alice-sg", "-o", "record.html")
	for _, n := range []string{"record.txt", "record.html"} {
		b, err := os.ReadFile(c.path(n))
		if err != nil {
			t.Fatal(err)
		}
		check(n, string(b))
	}
}

// TestAccountChecksChainCode (review finding M4): public.json is not
// signed, and its xpub is checked against public_key only, so an edited
// chain code passes every check of the file; a wallet paired with it would
// derive addresses the key can never sign for. account refuses it unless
// the officer's own share says the same chain code, or --unchecked says
// the officer compares the xpub words instead.
func TestAccountChecksChainCode(t *testing.T) {
	c := fixtureCLI(t, map[string]string{"key": keysharetest.HDDir()})
	pub, err := keyshare.LoadPublic(c.path("key", "public.json"))
	if err != nil {
		t.Fatal(err)
	}
	words := pub.XPubWords()
	forged := *pub
	if err := forged.SetChainCode(bytes.Repeat([]byte{0x42}, 32)); err != nil {
		t.Fatal(err)
	}
	b, err := forged.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path("forged-public.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The old account exported the forged xpub as it was.
	if r := c.run("account", "--key", "forged-public.json"); r.code != 2 || !strings.Contains(r.stderr, "give --share SHARE and --identity KEY") || strings.Contains(r.stdout, forged.XPub) {
		t.Fatalf("account without a check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := c.run("account", "--key", "forged-public.json", "--share", "key/share-1.age", "--identity", "ids/alice.key")
	if r.code != 1 || !strings.Contains(r.stderr, "chain code is not the key's") || strings.Contains(r.stdout, forged.XPub) {
		t.Fatalf("account with an edited chain code: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ok := c.ok("account", "--key", "key/public.json", "--share", "key/share-1.age", "--identity", "ids/alice.key").stdout
	if !strings.Contains(ok, "xpub words   "+words) {
		t.Fatalf("account does not print the xpub words %q:\n%s", words, ok)
	}
	// --unchecked: said loudly, with the words to compare.
	u := c.run("account", "--key", "forged-public.json", "--unchecked")
	if u.code != 0 || !strings.Contains(u.stderr, "NOT checked") || !strings.Contains(u.stdout, "xpub words   "+forged.XPubWords()) || forged.XPubWords() == words {
		t.Fatalf("--unchecked: exit %d\n%s%s", u.code, u.stdout, u.stderr)
	}
	if r := c.run("account", "--key", "key/public.json", "--unchecked", "--share", "key/share-1.age"); r.code != 2 {
		t.Fatalf("--unchecked with --share: exit %d", r.code)
	}
}
