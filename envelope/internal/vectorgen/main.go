// Command vectorgen writes the test vectors of the card, identity and
// envelope formats into testdata/vectors/{card,identity,envelope}. Run it
// from the module root:
//
//	go run ./envelope/internal/vectorgen
//
// Keys are fixed (below, public test-only keys), so text vectors come out
// byte-identical on every run; age files are re-encrypted with fresh
// randomness, so regenerate only when the formats change.
package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
)

// TEST-ONLY keys. They are public in this repository; never use them.
var testKeys = []struct{ name, ageKey, seed string }{
	{"alice", "AGE-SECRET-KEY-1S63M55GKEVF8S3CMEJCRG4CZ9L5MANTXWD7FR32LHZVE95R8AVZS3E4WAD", "6c10f8256b7fdcaf5782d60080e8af3ba563175dc5fd24748782a56ccf225f10"},
	{"bob", "AGE-SECRET-KEY-12M584SQ4HFK48UHT0T5QWPU4XVU2X7AACVZYV2SCLQ2LQJ6RYR4QM7NZ8N", "a3689d4c0244bdcec951494f2a82bcb0ccbb2aac8e572b7abea065e094add441"},
	{"carol", "AGE-SECRET-KEY-1K4CDHWCUY74FL2DQJPYF46PUA53HNHZQF395J8M6PFXF8PA0F0PSDYK82U", "c36bd351b0e9ab8abba6e02f58bb07cff682459d982375e0f9cfe0bd721a1292"},
}

const root = "testdata/vectors"

func main() {
	log.SetFlags(0)
	ids := map[string]*identity.Identity{}
	plain := map[string][]byte{}
	for _, k := range testKeys {
		rec := fmt.Sprintf("%s\nname: %s\nage-secret-key: %s\nsigning-seed: %s\n", identity.IdentityMagic, k.name, k.ageKey, k.seed)
		id, err := identity.ParseIdentity([]byte(rec))
		check(err)
		ids[k.name] = id
		plain[k.name] = []byte(rec)
	}
	cards(ids)
	identities(ids, plain)
	envelopes(ids, plain)
}

func cards(ids map[string]*identity.Identity) {
	dir := filepath.Join(root, "card")
	reset(dir)
	for _, n := range []string{"alice", "bob"} {
		c := ids[n].Card()
		write(dir, "valid-"+n+".card", cardBytes(c))
		write(dir, "valid-"+n+".card.fingerprint", []byte(c.FingerprintHex()+"\n"+c.FingerprintWords()+"\n"))
	}
	good := string(cardBytes(ids["alice"].Card()))
	lines := strings.SplitAfter(good, "\n") // magic, name, age-recipient, signing-key, ""
	invalid := []struct{ name, data, expect string }{
		{"not-a-card", "hello\n", "not a coldsig card"},
		{"empty", "", "not a coldsig card"},
		{"identity-not-card", "coldsig/identity/v1\nname: alice\n", "not a coldsig card"},
		{"version-2", strings.Replace(good, "/v1\n", "/v2\n", 1), "unsupported format version"},
		{"no-newline-after-magic", "coldsig/card/v1", "missing newline after magic line"},
		{"missing-final-newline", strings.TrimSuffix(good, "\n"), "line 4: missing final newline"},
		{"crlf", strings.ReplaceAll(good, "\n", "\r\n"), "line 1: CRLF line endings"},
		{"crlf-fields", lines[0] + strings.ReplaceAll(strings.Join(lines[1:], ""), "\n", "\r\n"), "line 2: name: control character U+000D in value"},
		{"missing-signing-key", lines[0] + lines[1] + lines[2], "line 4: missing \"signing-key\""},
		{"fields-swapped", lines[0] + lines[2] + lines[1] + lines[3], "line 2: expected \"name\", found \"age-recipient\""},
		{"extra-field", good + "comment: hi\n", "line 5: unexpected field \"comment\""},
		{"blank-line", lines[0] + "\n" + strings.Join(lines[1:], ""), "line 2: expected \"key: value\""},
		{"two-spaces", lines[0] + "name:  alice\n" + lines[2] + lines[3], "line 2: name: leading or trailing space in value"},
		{"trailing-space", lines[0] + "name: alice \n" + lines[2] + lines[3], "line 2: name: leading or trailing space in value"},
		{"name-slash", lines[0] + "name: ../alice\n" + lines[2] + lines[3], "line 2: name: invalid party name"},
		{"name-too-long", lines[0] + "name: " + strings.Repeat("a", identity.MaxNameLen+1) + "\n" + lines[2] + lines[3], "line 2: name: invalid party name: longer than 64 bytes"},
		{"key-uppercase", lines[0] + lines[1] + strings.ToUpper(lines[2]) + lines[3], "line 3: invalid character 'A' in key"},
		{"recipient-value-uppercase", lines[0] + lines[1] + "age-recipient: " + strings.ToUpper(strings.TrimPrefix(lines[2], "age-recipient: ")) + lines[3], "line 3: age-recipient: malformed recipient"},
		{"recipient-bad-checksum", lines[0] + lines[1] + flipLastChar(lines[2]) + lines[3], "line 3: age-recipient: malformed recipient"},
		{"recipient-secret-key", lines[0] + lines[1] + "age-recipient: " + testKeys[0].ageKey + "\n" + lines[3], "line 3: age-recipient: malformed recipient"},
		{"signing-key-odd-length", lines[0] + lines[1] + lines[2] + lines[3][:len(lines[3])-2] + "\n", "line 4: signing-key: not lowercase hex"},
		{"signing-key-31-bytes", lines[0] + lines[1] + lines[2] + lines[3][:len(lines[3])-3] + "\n", "line 4: signing-key: 31 bytes, want 32"},
		{"signing-key-33-bytes", lines[0] + lines[1] + lines[2] + strings.TrimSuffix(lines[3], "\n") + "00\n", "line 4: signing-key: 33 bytes, want 32"},
		{"signing-key-uppercase", lines[0] + lines[1] + lines[2] + "signing-key: " + strings.ToUpper(strings.TrimPrefix(lines[3], "signing-key: ")), "line 4: signing-key: not lowercase hex"},
	}
	for _, v := range invalid {
		write(dir, "invalid-"+v.name+".card", []byte(v.data))
		write(dir, "invalid-"+v.name+".card.expect", []byte(v.expect+"\n"))
	}
}

func identities(ids map[string]*identity.Identity, plain map[string][]byte) {
	dir := filepath.Join(root, "identity")
	reset(dir)
	const pass = "vector passphrase"
	write(dir, "valid-plain.key", plain["alice"])
	write(dir, "valid-plain.key.card", cardBytes(ids["alice"].Card()))
	enc, err := identity.EncryptIdentity(ids["bob"], []byte(pass), 10)
	check(err)
	write(dir, "valid-scrypt.key", enc)
	write(dir, "valid-scrypt.key.passphrase", []byte(pass+"\n"))
	write(dir, "valid-scrypt.key.card", cardBytes(ids["bob"].Card()))

	write(dir, "invalid-wrong-passphrase.key", enc)
	write(dir, "invalid-wrong-passphrase.key.passphrase", []byte("vector passphrasE\n"))
	write(dir, "invalid-wrong-passphrase.key.expect", []byte("wrong passphrase\n"))

	tampered := bytes.Clone(enc)
	tampered[len(tampered)-1] ^= 1
	write(dir, "invalid-tampered.key", tampered)
	write(dir, "invalid-tampered.key.passphrase", []byte(pass+"\n"))
	write(dir, "invalid-tampered.key.expect", []byte("failed to decrypt and authenticate payload chunk\n"))

	var x25519 bytes.Buffer
	w, err := age.Encrypt(&x25519, ids["bob"].X25519.Recipient())
	check(err)
	w.Write(plain["bob"])
	check(w.Close())
	write(dir, "invalid-x25519-encrypted.key", x25519.Bytes())
	write(dir, "invalid-x25519-encrypted.key.passphrase", []byte(pass+"\n"))
	write(dir, "invalid-x25519-encrypted.key.expect", []byte("not a coldsig identity: an age file, but not passphrase-encrypted\n"))

	var wrapped bytes.Buffer
	sr, err := age.NewScryptRecipient(pass)
	check(err)
	sr.SetWorkFactor(10)
	w, err = age.Encrypt(&wrapped, sr)
	check(err)
	w.Write([]byte("hello\n"))
	check(w.Close())
	write(dir, "invalid-encrypted-garbage.key", wrapped.Bytes())
	write(dir, "invalid-encrypted-garbage.key.passphrase", []byte(pass+"\n"))
	write(dir, "invalid-encrypted-garbage.key.expect", []byte("decrypted content: not a coldsig identity\n"))

	good := string(plain["alice"])
	lines := strings.SplitAfter(good, "\n") // magic, name, age-secret-key, signing-seed
	invalid := []struct{ name, data, expect string }{
		{"not-identity", "hello\n", "not a coldsig identity: neither a passphrase-encrypted age file nor a coldsig/identity/v1 record"},
		{"card-not-identity", string(cardBytes(ids["alice"].Card())), "not a coldsig identity"},
		{"version-2", strings.Replace(good, "/v1\n", "/v2\n", 1), "unsupported format version"},
		{"secret-key-lowercase", lines[0] + lines[1] + strings.ToLower(lines[2]) + lines[3], "line 3: age-secret-key: malformed"},
		{"secret-key-bad-checksum", lines[0] + lines[1] + flipLastChar(lines[2]) + lines[3], "line 3: age-secret-key: malformed"},
		{"seed-short", lines[0] + lines[1] + lines[2] + "signing-seed: 00\n", "line 4: signing-seed: want 32 bytes of lowercase hex"},
		{"seed-uppercase", lines[0] + lines[1] + lines[2] + "signing-seed: " + strings.ToUpper(strings.TrimPrefix(lines[3], "signing-seed: ")), "line 4: signing-seed: want 32 bytes of lowercase hex"},
		{"missing-seed", lines[0] + lines[1] + lines[2], "line 4: missing \"signing-seed\""},
		{"name-space", lines[0] + "name: alice smith\n" + lines[2] + lines[3], "line 2: name: invalid party name"},
	}
	for _, v := range invalid {
		write(dir, "invalid-"+v.name+".key", []byte(v.data))
		write(dir, "invalid-"+v.name+".key.expect", []byte(v.expect+"\n"))
	}
}

func envelopes(ids map[string]*identity.Identity, plain map[string][]byte) {
	dir := filepath.Join(root, "envelope")
	reset(dir)
	// Slot 1 is alice (the sender), slot 2 bob (the reader), slot 3 carol.
	for _, n := range []string{"alice", "bob", "carol"} {
		write(dir, "keys/"+n+".key", plain[n])
		write(dir, "keys/"+n+".card", cardBytes(ids[n].Card()))
	}
	var session, echo [32]byte
	for i := range session {
		session[i] = byte(0xc0 + i)
		echo[i] = byte(i)
	}
	p2p := envelope.Header{Session: session, Protocol: "ecdsa-keygen", Round: 2, From: 1, To: 2, Seq: 2, Echo: echo}
	bc := envelope.Header{Session: session, Protocol: "eddsa-sign", Round: 1, From: 1, To: envelope.ToAll, Seq: 0}
	payload := []byte("\x0a\x1ebinance.tsslib.ecdsa.keygen.KGRound2Message1\x12\x03abc")
	inner := func(h envelope.Header, p []byte, signer string) string {
		b, err := envelope.SealInner(h, p, ids[signer])
		check(err)
		return string(b)
	}
	good := inner(p2p, payload, "alice")
	write(dir, "valid-p2p.env", []byte(good))
	write(dir, "valid-broadcast.env", []byte(inner(bc, []byte{0}, "alice")))
	big := envelope.Header{Session: session, Protocol: "ecdsa-reshare", Round: envelope.MaxRound, From: envelope.MaxParty, To: envelope.MaxParty - 1, Seq: 18446744073709551615, Echo: echo}
	bigPayload := bytes.Repeat([]byte{0xff}, 300)
	write(dir, "valid-limits.env", []byte(inner(big, bigPayload, "alice")))

	lines := strings.SplitAfter(good, "\n")
	// 0 magic, 1 session, 2 protocol, 3 round, 4 from, 5 to, 6 seq, 7 echo, 8 payload, 9 signature
	with := func(i int, l string) string {
		c := append([]string(nil), lines...)
		c[i] = l
		return strings.Join(c, "")
	}
	resigned := func(mutate func(string) string) string {
		// Re-sign a hand-edited record, to show that the parser, not the
		// signature, refuses it.
		signed := mutate(strings.Join(lines[:9], ""))
		return signed + signLine(ids["alice"], signed)
	}
	invalid := []struct{ name, data, expect string }{
		{"not-envelope", "hello\n", "not a coldsig envelope"},
		{"version-2", strings.Replace(good, "/v1\n", "/v2\n", 1), "unsupported format version"},
		{"payload-changed", with(8, "payload: "+b64("other payload")+"\n"), "bad envelope signature: not signed by alice (party 1)"},
		{"round-changed", with(3, "round: 3\n"), "bad envelope signature"},
		{"to-changed", with(5, "to: all\n"), "bad envelope signature"},
		{"echo-changed", with(7, "echo: "+strings.Repeat("00", 32)+"\n"), "bad envelope signature"},
		{"signed-by-bob", inner(p2p, payload, "bob"), "bad envelope signature: not signed by alice (party 1)"},
		{"signature-without-domain", strings.Join(lines[:9], "") + rawSignLine(ids["alice"], strings.Join(lines[:9], "")), "bad envelope signature"},
		{"signature-short", with(9, "signature: 00\n"), "line 10: signature: 1 bytes, want 64"},
		{"signature-missing", strings.Join(lines[:9], ""), "line 10: missing \"signature\""},
		{"field-after-signature", good + "note: x\n", "line 11: unexpected field \"note\""},
		{"session-zero", resigned(func(s string) string {
			return strings.Replace(s, lines[1], "session: "+strings.Repeat("00", 32)+"\n", 1)
		}), "line 2: session: all-zero session id"},
		{"session-short", with(1, "session: c0c1\n"), "line 2: session: 2 bytes, want 32"},
		{"protocol-unknown", resigned(func(s string) string { return strings.Replace(s, lines[2], "protocol: rsa-keygen\n", 1) }), "line 3: protocol: unknown protocol \"rsa-keygen\""},
		{"round-zero", with(3, "round: 0\n"), "line 4: round: 0 is out of range 1..99"},
		{"round-100", with(3, "round: 100\n"), "line 4: round: 100 is out of range 1..99"},
		{"round-leading-zero", with(3, "round: 02\n"), "line 4: round: not a canonical decimal number"},
		{"from-zero", with(4, "from: 0\n"), "line 5: from: 0 is out of range 1..255"},
		{"from-256", with(4, "from: 256\n"), "line 5: from: 256 is out of range 1..255"},
		{"to-self", with(5, "to: 1\n"), "line 6: to: party 1 addresses itself"},
		{"to-zero", with(5, "to: 0\n"), "line 6: to: want \"all\" or a party slot 1..255"},
		{"to-ALL", with(5, "to: ALL\n"), "line 6: to: want \"all\" or a party slot 1..255"},
		{"seq-negative", with(6, "seq: -1\n"), "line 7: seq: not a canonical decimal number"},
		{"seq-overflow", with(6, "seq: 18446744073709551616\n"), "line 7: seq: not a canonical decimal number"},
		{"echo-uppercase", with(7, "echo: "+strings.Repeat("AB", 32)+"\n"), "line 8: echo: not lowercase hex"},
		{"payload-unpadded", with(8, "payload: "+strings.TrimRight(b64("ab"), "=")+"\n"), "line 9: payload: invalid base64"},
		{"payload-noncanonical-bits", with(8, "payload: YR==\n"), "line 9: payload: invalid base64"},
		{"payload-urlsafe", with(8, "payload: -_-_\n"), "line 9: payload: invalid base64"},
		{"fields-swapped", with(3, lines[4]), "line 4: expected \"round\", found \"from\""},
	}
	for _, v := range invalid {
		write(dir, "invalid-"+v.name+".env", []byte(v.data))
		write(dir, "invalid-"+v.name+".env.expect", []byte(v.expect+"\n"))
	}

	// Outer age files, opened with keys/bob.key.
	seal := func(in string, to ...string) []byte {
		var rcpts []age.Recipient
		for _, n := range to {
			rcpts = append(rcpts, ids[n].Card().Recipient)
		}
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, rcpts...)
		check(err)
		w.Write([]byte(in))
		check(w.Close())
		return buf.Bytes()
	}
	write(dir, "valid-p2p.age", seal(good, "bob"))
	write(dir, "valid-p2p.age.inner", []byte(good))
	bcInner := inner(bc, []byte{0}, "alice")
	write(dir, "valid-broadcast.age", seal(bcInner, "alice", "bob", "carol"))
	write(dir, "valid-broadcast.age.inner", []byte(bcInner))
	write(dir, "invalid-not-for-me.age", seal(good, "carol"))
	write(dir, "invalid-not-for-me.age.expect", []byte("not encrypted to this party\n"))
	damaged := seal(good, "bob")
	damaged[len(damaged)-20] ^= 0x80
	write(dir, "invalid-damaged.age", damaged)
	write(dir, "invalid-damaged.age.expect", []byte("damaged or tampered age file\n"))
	write(dir, "invalid-plaintext.age", []byte(good))
	write(dir, "invalid-plaintext.age.expect", []byte("not a coldsig envelope: not an age file\n"))
	write(dir, "invalid-inner-garbage.age", seal("hello\n", "bob"))
	write(dir, "invalid-inner-garbage.age.expect", []byte("not a coldsig envelope\n"))
	write(dir, "invalid-inner-bad-signature.age", seal(with(8, "payload: "+b64("other payload")+"\n"), "bob"))
	write(dir, "invalid-inner-bad-signature.age.expect", []byte("bad envelope signature\n"))
}

func signLine(id *identity.Identity, signed string) string {
	return rawSignLine(id, envelope.SignatureDomain+signed)
}

func rawSignLine(id *identity.Identity, msg string) string {
	return fmt.Sprintf("signature: %x\n", ed25519.Sign(id.Signing, []byte(msg)))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func flipLastChar(line string) string {
	b := []byte(strings.TrimSuffix(line, "\n"))
	if b[len(b)-1] == 'q' {
		b[len(b)-1] = 'p'
	} else {
		b[len(b)-1] = 'q'
	}
	return string(b) + "\n"
}

func reset(dir string) {
	check(os.RemoveAll(dir))
	check(os.MkdirAll(filepath.Join(dir), 0o755))
}

func write(dir, name string, data []byte) {
	p := filepath.Join(dir, name)
	check(os.MkdirAll(filepath.Dir(p), 0o755))
	check(os.WriteFile(p, data, 0o644))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// cardBytes is the card's canonical encoding; the generator's own cards
// are always valid.
func cardBytes(c *identity.Card) []byte {
	b, err := c.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	return b
}
