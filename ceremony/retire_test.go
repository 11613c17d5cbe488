package ceremony

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/envelope"
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
	fx := keysharetest.Load(t, keyshare.CurveEd25519)
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
	digest := sha256.Sum256(p.Key.PublicKey)
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
		h := envelope.Header{Session: p.Session, Protocol: "eddsa-reshare", Round: 5, From: slot, To: envelope.ToAll, Seq: 9}
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
