package plan

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
)

func TestKeygenRoundTrip(t *testing.T) {
	cards := testCards(t, 0, 1, 2)
	p, err := NewKeygen(keyshare.CurveSecp256k1, 2, cards)
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewKeygen(keyshare.CurveSecp256k1, 2, cards)
	if err != nil {
		t.Fatal(err)
	}
	if p.Session == q.Session {
		t.Fatal("two plans got the same session id")
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if fp, err := r.Fingerprint(); err != nil || fp != sha256.Sum256(b) || hexFP(r) != hexFP(p) {
		t.Fatal("fingerprint is not SHA-256 of the plan bytes")
	}
	d, err := Describe(r, [32]byte{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(strings.Fields(d.Words)); got != 8 {
		t.Fatalf("fingerprint words: %d words, want 8", got)
	}
	for i, c := range cards {
		slot, ok := r.Slot(c.Fingerprint())
		if !ok || slot != i+1 {
			t.Fatalf("slot of %s = %d, %v; want %d", c.Name, slot, ok, i+1)
		}
		if !r.Roster()[i].Equal(c) || r.Roster()[i].FingerprintHex() != c.FingerprintHex() {
			t.Fatalf("roster %d is not %s", i+1, c.Name)
		}
	}
	if _, ok := r.Slot(testCard(t, 3).Fingerprint()); ok {
		t.Fatal("a card outside the plan has a slot")
	}
}

func TestKeygenErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		curve     string
		threshold int
		cards     []*identity.Card
		is        error
	}{
		{"threshold 1", keyshare.CurveSecp256k1, 1, testCards(t, 0, 1, 2), ErrThreshold},
		{"threshold > n", keyshare.CurveEd25519, 4, testCards(t, 0, 1, 2), ErrThreshold},
		{"one party", keyshare.CurveEd25519, 2, testCards(t, 0), ErrTooFew},
		{"duplicate card", keyshare.CurveEd25519, 2, testCards(t, 0, 1, 0), ErrDuplicate},
		{"unknown curve", "p256", 2, testCards(t, 0, 1), ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewKeygen(tc.curve, tc.threshold, tc.cards)
			if !errors.Is(err, tc.is) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
		})
	}
	var many []*identity.Card
	for i := 0; i < MaxParties+1; i++ {
		// Distinct keys per card: two cards may not share a key.
		c := *testCard(t, i%6)
		c.Name = c.Name + "-" + string(rune('a'+i))
		x, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		seed := sha256.Sum256([]byte(c.Name))
		c.Recipient, c.SigningKey = x.Recipient(), ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		many = append(many, &c)
	}
	if _, err := NewKeygen(keyshare.CurveEd25519, 2, many); !errors.Is(err, ErrTooMany) {
		t.Fatalf("17 parties: err = %v", err)
	}
	if _, err := NewKeygen(keyshare.CurveEd25519, 2, many[:MaxParties]); err != nil {
		t.Fatalf("16 parties: %v", err)
	}
}

func TestSignCanonicalSignerOrder(t *testing.T) {
	pub := testPublic(t, keyshare.CurveSecp256k1, 2, 0, 1, 2)
	d := fixed32("x")
	a, err := NewSign(pub, testCards(t, 2, 0), NewDigestPayload(d))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSign(pub, testCards(t, 0, 2), NewDigestPayload(d))
	if err != nil {
		t.Fatal(err)
	}
	b.Session = a.Session
	ab, _ := a.Marshal()
	bb, _ := b.Marshal()
	if !bytes.Equal(ab, bb) {
		t.Fatal("the same signer set in another order gives another plan")
	}
	if a.Signers[0].Name != "alice" || a.Signers[1].Name != "carol" {
		t.Fatalf("signers not in key order: %s, %s", a.Signers[0].Name, a.Signers[1].Name)
	}
	kp, ok := a.KeyParty(testCard(t, 2).Fingerprint())
	if !ok || kp.Index != 3 || kp.Name != "carol" {
		t.Fatalf("KeyParty(carol) = %+v, %v", kp, ok)
	}
	if s, _ := a.Slot(testCard(t, 2).Fingerprint()); s != 2 {
		t.Fatalf("carol's signing slot = %d, want 2", s)
	}
	if !bytes.Equal(a.SignedBytes(0), d[:]) {
		t.Fatal("SignedBytes of a digest plan is not the digest")
	}
}

func TestSignErrors(t *testing.T) {
	secp := testPublic(t, keyshare.CurveSecp256k1, 2, 0, 1, 2)
	ed := testPublic(t, keyshare.CurveEd25519, 3, 0, 1, 2, 3)
	dig := NewDigestPayload(fixed32("d"))
	msg, _ := NewTextPayload(keyshare.CurveEd25519, "hello")
	for _, tc := range []struct {
		name    string
		key     *keyshare.Public
		signers []*identity.Card
		payload *Payload
		is      error
		text    string
	}{
		{"signer not in key", secp, testCards(t, 0, 3), dig, ErrNotHolder, `signer 2 "dave" (card ` + testCard(t, 3).FingerprintWords() + ") is not a holder of key"},
		{"first signer not in key", secp, testCards(t, 3, 2, 0), dig, ErrNotHolder, `signer 1 "dave"`},
		{"too few", secp, testCards(t, 1), dig, ErrTooFew, "only 1 signer, but key"},
		{"too few of 3", ed, testCards(t, 0, 3), msg, ErrTooFew, "needs at least 3 (3-of-4)"},
		{"duplicate", secp, testCards(t, 1, 1), dig, ErrDuplicate, "listed twice"},
		{"digest on ed25519", ed, testCards(t, 0, 1, 2), dig, ErrPayload, "a raw digest cannot be signed"},
		{"message on secp256k1", secp, testCards(t, 0, 1), msg, ErrPayload, "secp256k1 signs messages as eip191"},
		{"no payload", secp, testCards(t, 0, 1), nil, ErrPayload, "nothing to sign"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSign(tc.key, tc.signers, tc.payload)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.text)
			}
		})
	}
}

func TestPayloads(t *testing.T) {
	// ethers.js hashMessage("hello world"), a widely published value.
	if got := EIP191Digest([]byte("hello world")); hex.EncodeToString(got[:]) != "d9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68" {
		t.Fatalf("EIP191Digest(hello world) = %x", got)
	}
	ed := testPublic(t, keyshare.CurveEd25519, 2, 0, 1)
	f, err := NewFilePayload("a.txt", strings.NewReader("abc"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewSign(ed, testCards(t, 0, 1), f)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("abc"))
	if !bytes.Equal(p.SignedBytes(0), want[:]) || f.FileSize != 3 {
		t.Fatalf("ed25519 file payload signs %x, want the SHA-256 %x", p.SignedBytes(0), want)
	}
	m, _ := NewTextPayload(keyshare.CurveEd25519, "hi\tthere\nsecond line")
	p, err = NewSign(ed, testCards(t, 0, 1), m)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.SignedBytes(0)) != "hi\tthere\nsecond line" {
		t.Fatalf("ed25519 message payload signs %q", p.SignedBytes(0))
	}
	for _, bad := range []string{"", "a\rb", "\u202eevil", "nul\x00", strings.Repeat("a", MaxMessage+1), "\xff"} {
		m, _ := NewTextPayload(keyshare.CurveEd25519, bad)
		if _, err := NewSign(ed, testCards(t, 0, 1), m); !errors.Is(err, ErrPayload) {
			t.Errorf("message %q accepted (err %v)", bad, err)
		}
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`, " a", "a\u202eb", strings.Repeat("x", MaxFileName+1)} {
		if _, err := NewFilePayload(bad, strings.NewReader("")); !errors.Is(err, ErrPayload) {
			t.Errorf("file name %q accepted (err %v)", bad, err)
		}
	}
}

func TestReshareSlots(t *testing.T) {
	pub := testPublic(t, keyshare.CurveEd25519, 2, 0, 1, 2)
	p, err := NewReshare(pub, testCards(t, 2, 0), testCards(t, 2, 3, 4), 2)
	if err != nil {
		t.Fatal(err)
	}
	if names(p.Old) != "alice carol" || names(p.New) != "carol dave erin" || names(p.Roster()) != "alice carol carol dave erin" {
		t.Fatalf("old %q new %q roster %q", names(p.Old), names(p.New), names(p.Roster()))
	}
	carol := testCard(t, 2).Fingerprint()
	if s := p.Slots(carol); len(s) != 2 || s[0] != 2 || s[1] != 3 {
		t.Fatalf("carol's slots = %v, want [2 3]", s)
	}
	if s, _ := p.Slot(carol); s != 2 {
		t.Fatalf("carol's Slot = %d, want her old slot 2", s)
	}
	if s, ok := p.NewSlot(carol); !ok || s != 3 {
		t.Fatalf("carol's NewSlot = %d, %v, want 3", s, ok)
	}
	if s, ok := p.NewSlot(testCard(t, 0).Fingerprint()); ok {
		t.Fatalf("alice (old only) has new slot %d", s)
	}
	if s, _ := p.Slot(testCard(t, 4).Fingerprint()); s != 5 {
		t.Fatalf("erin's slot = %d, want 5", s)
	}
	// Refresh: the same people, the same threshold.
	if _, err := NewReshare(pub, testCards(t, 0, 1, 2), testCards(t, 0, 1, 2), 2); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := NewReshare(pub, testCards(t, 0, 1), testCards(t, 3, 4), 3); !errors.Is(err, ErrThreshold) {
		t.Fatalf("3-of-2 new committee: err = %v", err)
	}
	if _, err := NewReshare(pub, testCards(t, 0, 5), testCards(t, 3, 4), 2); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("old member outside the key: err = %v", err)
	}
}

func names(cs []*identity.Card) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return strings.Join(n, " ")
}

func TestLoadNamesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ceremony.plan")
	if err := os.WriteFile(path, []byte("coldsig/plan/v1\nprotocol: keygen\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": line 3: ") {
		t.Fatalf("err = %v, want it to start with the file and line", err)
	}
	_, err = Load(filepath.Join(dir, "missing.plan"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.plan") {
		t.Fatalf("err = %v", err)
	}
	big := bytes.Repeat([]byte("x"), maxPlanSize+1)
	os.WriteFile(path, big, 0o644)
	if _, err := Load(path); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized plan: err = %v", err)
	}
}

// FuzzParse checks that whatever Parse accepts re-encodes to the same bytes
// (the format is canonical) and that its fingerprint is stable.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.plan"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatalf("parsed plan does not marshal: %v", err)
		}
		if !bytes.Equal(b, data) {
			t.Fatalf("round trip differs:\n%q\n%q", data, b)
		}
		if fp, err := p.Fingerprint(); err != nil || fp != sha256.Sum256(data) {
			t.Fatal("fingerprint differs from SHA-256 of the bytes")
		}
		_ = p.Roster()
	})
}

func hexFP(p *Plan) string {
	fp, err := p.Fingerprint()
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(fp[:])
}

func TestEthAddress(t *testing.T) {
	// The generator point (private key 1) has a widely published address.
	g, _ := hex.DecodeString("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	got, err := EthAddress(g)
	if err != nil || got != "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf" {
		t.Fatalf("EthAddress(G) = %q, %v", got, err)
	}
}

func TestParseDigest(t *testing.T) {
	want := [32]byte{0x5c, 0x0f}
	want[31] = 0xe3
	hexs := "5c0f" + strings.Repeat("00", 29) + "e3"
	for _, s := range []string{hexs, "0x" + hexs, "0X" + strings.ToUpper(hexs)} {
		if d, err := ParseDigest(s); err != nil || d != want {
			t.Errorf("%q: %x, %v", s, d, err)
		}
	}
	for s, msg := range map[string]string{"": "0 bytes", "0x" + hexs[:62]: "31 bytes", hexs + "00": "33 bytes", "zz" + hexs[2:]: "not hex", " " + hexs: "not hex"} {
		if _, err := ParseDigest(s); err == nil || err.Error() != msg && !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", s, err, msg)
		}
	}
}

// FuzzParseDigest: what parses is exactly 32 bytes whose hex is the input
// without its 0x prefix.
func FuzzParseDigest(f *testing.F) {
	f.Add("0x" + strings.Repeat("ab", 32))
	f.Add(strings.Repeat("0", 63))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			return
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
		if !strings.EqualFold(hex.EncodeToString(d[:]), rest) {
			t.Fatalf("%q parsed as %x", s, d)
		}
	})
}
