package ceremony

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
	"github.com/coldsig/coldsig/plan"
)

// proofFixture is a refresh of the TEST-ONLY Ed25519 2-of-3 key (old alice
// and bob, new alice, bob and carol) with synthetic confirmations signed by
// the test identities: the proof format does not depend on how the
// confirmations were produced.
type proofFixture struct {
	fx    *keysharetest.Fixture
	plan  *plan.Plan
	ids   map[string]*identity.Identity
	proof []byte
}

func newProofFixture(t *testing.T, mutate func(slot int, h *envelope.Header, payload *[]byte)) *proofFixture {
	t.Helper()
	return newProofFixtureOf(t, keysharetest.Load(t, keyshare.CurveEd25519), mutate)
}

// newProofFixtureOf is newProofFixture for the key of fx.
func newProofFixtureOf(t *testing.T, fx *keysharetest.Fixture, mutate func(slot int, h *envelope.Header, payload *[]byte)) *proofFixture {
	t.Helper()
	ids := map[string]*identity.Identity{}
	var cards []*identity.Card
	for i, n := range keysharetest.Names {
		ids[n] = fx.IDs[i]
		cards = append(cards, fx.IDs[i].Card())
	}
	p, err := plan.NewReshare(fx.Public, cards[:2], cards, 2)
	if err != nil {
		t.Fatal(err)
	}
	pf := &proofFixture{fx: fx, plan: p, ids: ids}
	pf.proof = pf.build(t, 1, mutate)
	return pf
}

// build makes the proof of attester slot (1 or 2), signed by that party.
func (pf *proofFixture) build(t *testing.T, attester int, mutate func(slot int, h *envelope.Header, payload *[]byte)) []byte {
	t.Helper()
	p := pf.plan
	roster := p.Roster()
	digest := keyDigest(p.Key.PublicKey, p.Key.ChainCode)
	ph, err := phases(p.Curve, plan.Reshare, RoleNew)
	if err != nil {
		t.Fatal(err)
	}
	cw := textrec.NewWriter(confirmMagic)
	cw.Hex("result", digest[:])
	conf, err := cw.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	w := textrec.NewWriter(ReshareProofMagic)
	w.Base64("plan", pb)
	w.Uint("attester", uint64(attester))
	for slot := 1; slot <= len(roster); slot++ {
		if slot == attester {
			continue
		}
		h := envelope.Header{Session: p.Session, Protocol: flowName(p.Curve, plan.Reshare), Round: ph[len(ph)-1].Round + 1, From: slot, To: envelope.ToAll, Seq: 9}
		payload := conf
		if mutate != nil {
			mutate(slot, &h, &payload)
		}
		inner, err := envelope.SealInner(h, payload, pf.ids[roster[slot-1].Name])
		if err != nil {
			t.Fatal(err)
		}
		w.Base64("confirmation", inner)
	}
	body, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	signer := pf.ids[roster[attester-1].Name]
	sig := ed25519.Sign(signer.Signing, append([]byte(proofSignatureDomain), body...))
	return append(body, "signature: "+hex.EncodeToString(sig)+"\n"...)
}

// writeProofVectors adds the reshare-proof vectors (kind rsproof).
func writeProofVectors(t *testing.T) {
	pf := newProofFixture(t, nil)
	s := string(pf.proof)
	vec(t, "valid.rsproof", "", pf.proof)
	vec(t, "tampered.rsproof", "not signed by bob (old member 2", []byte(strings.Replace(s, "attester: 1", "attester: 2", 1)))
	vec(t, "attester-new-member.rsproof", "is not in the old committee", []byte(strings.Replace(s, "attester: 1", "attester: 3", 1)))
	lines := strings.Split(s, "\n")
	var dropped []string
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "confirmation: ") {
			n++
			if n == 4 { // carol's (new slot 5)
				continue
			}
		}
		dropped = append(dropped, l)
	}
	// Re-signed, so that only the missing confirmation is wrong.
	vec(t, "missing-new-member.rsproof", "no confirmation from new member carol", resign(t, pf, strings.Join(dropped, "\n")))
	vec(t, "other-key.rsproof", "confirmed another key", newProofFixture(t, func(slot int, h *envelope.Header, payload *[]byte) {
		if slot == 4 {
			w := textrec.NewWriter(confirmMagic)
			d := sha256.Sum256([]byte("another key"))
			w.Hex("result", d[:])
			*payload, _ = w.Bytes()
		}
	}).proof)
	vec(t, "wrong-round.rsproof", "is not a confirmation of this reshare", newProofFixture(t, func(slot int, h *envelope.Header, _ *[]byte) {
		if slot == 3 {
			h.Round = 4
		}
	}).proof)
	vec(t, "to-one-party.rsproof", "is not a confirmation of this reshare", newProofFixture(t, func(slot int, h *envelope.Header, _ *[]byte) {
		if slot == 3 {
			h.To = 1
		}
	}).proof)
	// A confirmation re-signed by someone else than its sender.
	forged := newProofFixture(t, nil)
	forged.ids["carol"] = forged.ids["bob"]
	vec(t, "confirmation-forged.rsproof", "bad envelope signature", forged.build(t, 1, nil))
	vec(t, "not-a-proof.rsproof", "not a coldsig file", []byte("coldsig/plan/v1\n"))
}

// resign replaces the attester signature of an edited proof body.
func resign(t *testing.T, pf *proofFixture, edited string) []byte {
	body := edited[:strings.Index(edited, "signature: ")]
	sig := ed25519.Sign(pf.ids["alice"].Signing, append([]byte(proofSignatureDomain), body...))
	return []byte(body + "signature: " + hex.EncodeToString(sig) + "\n")
}

func FuzzParseReshareProof(f *testing.F) {
	seedVectors(f, "rsproof")
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseReshareProof(b)
	})
}

// TestCheckRetire: a reshare proof is accepted only from the retiring
// officer, for his share's committee, with a signature of exactly the
// retire statement; and an honest signer signs a statement only as the
// committee it names as new.
func TestCheckRetire(t *testing.T) {
	pf := newProofFixture(t, nil)
	proof, err := ParseReshareProof(pf.proof)
	if err != nil {
		t.Fatal(err)
	}
	alice := pf.fx.Shares[0]
	newS := hex.EncodeToString(pf.plan.Session[:])
	statement := RetireStatement(alice.KeyID, alice.Session, newS)
	// A signature under the key: the test fixture's key is a threshold key
	// whose private key nobody has, so sign with a stand-in key and check
	// every refusal that comes before the signature check, then the
	// statement check with a real signature under a real key.
	sig := &SignatureFile{Format: SignatureFormat, Curve: alice.Curve, KeyID: alice.KeyID, PublicKey: alice.PublicKey,
		Payload: SignedPayload{Kind: "message", Text: statement}, Message: hex.EncodeToString([]byte(statement)),
		Signature: strings.Repeat("00", 64), Committee: newS, Session: newS, Transcript: newS}
	if _, err := CheckRetire(pf.fx.Shares[1], pf.ids["bob"], proof, sig, nil); err == nil || !strings.Contains(err.Error(), "signed by alice") {
		t.Fatalf("bob with alice's proof: %v", err)
	}
	if _, err := CheckRetire(alice, pf.ids["alice"], proof, sig, nil); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("bad signature: %v", err)
	}
	other := *alice
	other.Session = strings.Repeat("ab", 32)
	if _, err := CheckRetire(&other, pf.ids["alice"], proof, sig, nil); err == nil || !strings.Contains(err.Error(), "the share belongs to committee abababab") {
		t.Fatalf("share of another committee: %v", err)
	}

	// The honest-signer rule.
	signPlan := func(key *keyshare.Public, text string) *plan.Plan {
		pl, err := plan.NewTextPayload(key.Curve, text)
		if err != nil {
			t.Fatal(err)
		}
		var signers []*identity.Card
		for _, n := range []string{"alice", "bob"} {
			signers = append(signers, pf.ids[n].Card())
		}
		p, err := plan.NewSign(key, signers, pl)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldS := pf.fx.Public.Session
	if err := checkRetireStatement(signPlan(pf.fx.Public, RetireStatement(alice.KeyID, strings.Repeat("cd", 32), oldS))); err != nil {
		t.Fatalf("the committee named as new may sign: %v", err)
	}
	for text, want := range map[string]string{
		RetireStatement(alice.KeyID, oldS, newS):                                 "only the committee named as new may sign it",
		RetireStatement(alice.KeyID, oldS, oldS):                                 "same committee",
		RetireStatement(strings.Repeat("0", 32), "x", oldS):                      "starts like a retire statement",
		RetireStatement(strings.Repeat("0", 32), oldS, oldS)[:60]:                "starts like a retire statement",
		RetireStatement(strings.Repeat("0", 32), strings.Repeat("cd", 32), oldS): "it is for key 0000",
	} {
		if err := checkRetireStatement(signPlan(pf.fx.Public, text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	if err := checkRetireStatement(signPlan(pf.fx.Public, "an ordinary message")); err != nil {
		t.Fatal(err)
	}
}

// forgeChildSignature is the forgery of the security review (C1): a v2
// signature.json that names the real key (public_key, key_id) but claims to
// be by its child at path, with child_public_key the attacker's own key,
// which signs text as an EIP-191 message. Nothing relates the attacker's
// key to the real one.
func forgeChildSignature(t testing.TB, keyHex, path, text string, committee, session string) *SignatureFile {
	t.Helper()
	seed := sha256.Sum256([]byte("coldsig test-only attacker key"))
	attacker, _ := btcec.PrivKeyFromBytes(seed[:])
	digest := plan.EIP191Digest([]byte(text))
	pk, _ := hex.DecodeString(keyHex)
	sf := &SignatureFile{Format: SignatureFormatV2, Curve: keyshare.CurveSecp256k1,
		KeyID: keyshare.KeyID(keyshare.CurveSecp256k1, pk), PublicKey: keyHex,
		Path: path, ChildPublicKey: hex.EncodeToString(attacker.PubKey().SerializeCompressed()),
		Payload: SignedPayload{Kind: string(plan.PayloadEIP191), Text: text}, Digest: hex.EncodeToString(digest[:]),
		Committee: committee, Session: session, Transcript: session}
	signSigFile(t, attacker, digest[:], sf)
	return sf
}

// TestCheckRetireChildKeyForgery (review finding C1): a retire statement
// "signed" by a made-up child of the key is refused, whether or not the
// file is checked against the key's xpub; honest software signs a retire
// statement with the key itself only.
func TestCheckRetireChildKeyForgery(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	pf := newProofFixtureOf(t, fx, nil)
	proof, err := ParseReshareProof(pf.proof)
	if err != nil {
		t.Fatal(err)
	}
	alice := fx.Shares[0]
	newS := hex.EncodeToString(pf.plan.Session[:])
	statement := RetireStatement(alice.KeyID, alice.Session, newS)
	forged := forgeChildSignature(t, alice.PublicKey, "m/0/1", statement, newS, newS)
	if _, err := CheckRetire(alice, pf.ids["alice"], proof, forged, nil); err == nil {
		t.Fatal("a retire statement signed by an unrelated key claiming to be a child of the key was accepted")
	} else if !strings.Contains(err.Error(), "child") {
		t.Fatalf("refused for another reason: %v", err)
	}
	if _, err := CheckRetire(alice, pf.ids["alice"], proof, forged, fx.Public); err == nil {
		t.Fatal("the forgery was accepted with the new committee's public.json given")
	}
	// The same file is no signature of the key's at all: without the
	// key's public.json a child cannot be checked, with it it is not the
	// key's child.
	if err := forged.Verify(nil); err == nil || !strings.Contains(err.Error(), "public.json") {
		t.Fatalf("Verify(nil) of a child signature: %v", err)
	}
	if err := forged.Verify(fx.Public); err == nil || !strings.Contains(err.Error(), "is not the key's child at m/0/1") {
		t.Fatalf("Verify(public.json) of the forgery: %v", err)
	}

	// And honest software never makes such a signature: a plan that signs
	// a retire statement with a child key is refused at plan and at join
	// time (CheckSignPlan is what both call), even by the committee named
	// as new.
	own := RetireStatement(alice.KeyID, strings.Repeat("cd", 32), fx.Public.Session)
	pl, err := plan.NewTextPayload(fx.Public.Curve, own)
	if err != nil {
		t.Fatal(err)
	}
	signers := []*identity.Card{pf.ids["alice"].Card(), pf.ids["bob"].Card()}
	ok, err := plan.NewSignItems(fx.Public, signers, []*plan.Item{plan.NewItem(pl, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSignPlan(ok); err != nil {
		t.Fatalf("the key itself may sign its new committee's statement: %v", err)
	}
	child, err := plan.NewSignItems(fx.Public, signers, []*plan.Item{plan.NewItem(pl, hd.Path{0, 1})})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSignPlan(child); err == nil || !strings.Contains(err.Error(), "not by its child m/0/1") {
		t.Fatalf("a retire statement signed by a child key: %v", err)
	}
}

// hostileRetireCase is the hostile-corpus case of review finding C1,
// written with the vectors (-update-vectors): alice's own reshare proof of
// the TEST-ONLY HD key and the child-key forgery of the retire statement,
// run against the real binary by cmd/coldsig TestHostileCorpus.
const hostileRetireCase = "../testdata/hostile/p1-retire-child-key-forgery.txtar"

func writeHostileRetireCase(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	pf := newProofFixtureOf(t, fx, nil)
	alice := fx.Shares[0]
	newS := hex.EncodeToString(pf.plan.Session[:])
	statement := RetireStatement(alice.KeyID, alice.Session, newS)
	forged, err := forgeChildSignature(t, alice.PublicKey, "m/0/1", statement, newS, newS).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// A statement naming the fixture's committee as new, which that
	// committee could sign, but not with a child key.
	own := RetireStatement(alice.KeyID, strings.Repeat("cd", 32), fx.Public.Session)
	script := `# Review finding C1 (generated with the ceremony vectors: make vectors).
# share retire took a retire statement "signed" by any key that claimed to be
# a child of the key: a v2 signature.json with path m/0/1, child_public_key
# the attacker's own key, signing the EIP-191 digest of the retire statement,
# public_key and key_id the real key's. Verify checked it against the file's
# own child_public_key and never derived the child from the key. Alice's
# reshare proof here is genuine (her TEST-ONLY identity signed it), so only
# the signature stands between the attacker and her share.
cp $KEYS/ecdsa-2of3-hd/share-1.age share.age
csig exit:1 share retire share.age --identity $KEYS/test-only-alice.key --proof reshare-proof.txt --signature signature.json
stderr 'claims to be by the child key at "m/0/1"'
stderr 'nothing was destroyed'
exists share.age

# Checked against the key's public.json, the child is derived from the xpub:
# the attacker's key is not the key's child.
csig exit:1 verify --key $KEYS/ecdsa-2of3-hd/public.json --signature signature.json
stderr 'child_public_key is not the key''s child at m/0/1'

# Honest software never signs a retire statement with a child key: plan
# sign refuses it (and so does every signer's join).
csig exit:1 plan sign --key $KEYS/ecdsa-2of3-hd/public.json --signer $KEYS/test-only-alice.card --signer $KEYS/test-only-bob.card --path m/0/1 --message '` + own + `' -o retire.plan
stderr 'a retire statement is signed by the key itself, not by its child m/0/1'
! exists retire.plan
-- reshare-proof.txt --
` + string(pf.proof) + `-- signature.json --
` + string(forged)
	if err := os.WriteFile(hostileRetireCase, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRetireStatementFor: the statement names the two committees of one
// key; two keys, or one committee twice, have none.
func TestRetireStatementFor(t *testing.T) {
	old := keysharetest.Load(t, keyshare.CurveSecp256k1).Public
	nw := *old
	nw.Session = strings.Repeat("ab", 32)
	text, err := RetireStatementFor(old, &nw)
	if err != nil || text != RetireStatement(old.KeyID, old.Session, nw.Session) {
		t.Fatalf("%q, %v", text, err)
	}
	if _, err := RetireStatementFor(old, old); err == nil || !strings.Contains(err.Error(), "the same committee") {
		t.Fatalf("one committee twice: %v", err)
	}
	other := keysharetest.Load(t, keyshare.CurveEd25519).Public
	if _, err := RetireStatementFor(old, other); err == nil || !strings.Contains(err.Error(), "different keys") {
		t.Fatalf("two keys: %v", err)
	}
}
