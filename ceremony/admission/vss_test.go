package admission

import (
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	cmt "github.com/bnb-chain/tss-lib/v2/crypto/commitments"
	"github.com/bnb-chain/tss-lib/v2/crypto/schnorr"
	"github.com/bnb-chain/tss-lib/v2/crypto/vss"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsaresharing "github.com/bnb-chain/tss-lib/v2/eddsa/resharing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// keygenRound3Accepts replays what v2.0.2's keygen round 3 does with a
// dealer's decommitment and the share it sent: open the hash commitment,
// read the points (on-curve checked), verify the share. It reports whether
// every share of the dealing passes.
func keygenRound3Accepts(t *testing.T, ec elliptic.Curve, threshold int, d dealing) bool {
	t.Helper()
	ok, flat := (&cmt.HashCommitDecommit{C: d.commit, D: d.decom}).DeCommit()
	if !ok {
		return false
	}
	vs, err := crypto.UnFlattenECPoints(ec, flat)
	if err != nil {
		return false
	}
	for _, sh := range d.shares {
		share := vss.Share{Threshold: threshold, ID: sh.ID, Share: sh.Share}
		if !share.Verify(ec, threshold, vs) {
			return false
		}
	}
	return true
}

// TestVSSThresholdRaisingRefusedInECDSAKeygen: a dealer in a 2-of-3 keygen
// (t = 1) commits to t+2 points. v2.0.2 opens the commitment and verifies
// every share against it; Check refuses the decommitment.
func TestVSSThresholdRaisingRefusedInECDSAKeygen(t *testing.T) {
	const threshold = 1
	ids := partyIDs("kg-", 3)
	sender := ids[2]
	params := Params{Flow: ECDSAKeygen, Threshold: threshold, PartyCount: 3, Tracker: NewTracker(3)}
	if err := Check(params, wireOf(t, honestKeygenRound1(t, sender)), sender, true); err != nil {
		t.Fatalf("honest round 1: %v", err)
	}

	raised := deal(t, tss.S256(), threshold, keysOf(ids), +1)
	if len(raised.vs) != threshold+2 {
		t.Fatalf("dealing has %d commitments", len(raised.vs))
	}
	if !keygenRound3Accepts(t, tss.S256(), threshold, raised) {
		t.Fatal("tss-lib v2.0.2 refuses t+2 commitments; the test no longer shows the gap")
	}
	msg := ecdsakeygen.NewKGRound2Message2(sender, raised.decom, honestModProof(t))
	wantRejected(t, Check(params, wireOf(t, msg), sender, true), CheckVSS, sender)

	// Too few points: v2.0.2 indexes past the end of the vector and panics.
	lowered := deal(t, tss.S256(), threshold, keysOf(ids), -1)
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		keygenRound3Accepts(t, tss.S256(), threshold, lowered)
		return false
	}()
	if !panicked {
		t.Fatal("tss-lib v2.0.2 no longer panics on t commitments")
	}
	msg = ecdsakeygen.NewKGRound2Message2(sender, lowered.decom, honestModProof(t))
	wantRejected(t, Check(params, wireOf(t, msg), sender, true), CheckVSS, sender)

	honest := deal(t, tss.S256(), threshold, keysOf(ids), 0)
	if !keygenRound3Accepts(t, tss.S256(), threshold, honest) {
		t.Fatal("honest dealing refused by v2.0.2")
	}
	msg = ecdsakeygen.NewKGRound2Message2(sender, honest.decom, honestModProof(t))
	if err := Check(params, wireOf(t, msg), sender, true); err != nil {
		t.Fatalf("honest decommitment refused: %v", err)
	}
}

// TestVSSThresholdRaisingRefusedInEdDSAKeygen is the same for Ed25519,
// whose round-2 broadcast carries a Schnorr proof instead of a modproof.
func TestVSSThresholdRaisingRefusedInEdDSAKeygen(t *testing.T) {
	const threshold = 2
	ec := tss.Edwards()
	ids := partyIDs("ed-", 4)
	sender := ids[0]
	params := Params{Flow: EdDSAKeygen, Threshold: threshold, PartyCount: 4}
	x := common.GetRandomPositiveInt(rand.Reader, ec.Params().N)
	proof, err := schnorr.NewZKProof(session, x, crypto.ScalarBaseMult(ec, x), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raised := deal(t, ec, threshold, keysOf(ids), +1)
	if !keygenRound3Accepts(t, ec, threshold, raised) {
		t.Fatal("tss-lib v2.0.2 refuses t+2 commitments; the test no longer shows the gap")
	}
	msg := eddsakeygen.NewKGRound2Message2(sender, raised.decom, proof)
	wantRejected(t, Check(params, wireOf(t, msg), sender, true), CheckVSS, sender)

	honest := deal(t, ec, threshold, keysOf(ids), 0)
	msg = eddsakeygen.NewKGRound2Message2(sender, honest.decom, proof)
	if err := Check(params, wireOf(t, msg), sender, true); err != nil {
		t.Fatalf("honest decommitment refused: %v", err)
	}
}

// TestVSSResharingUsesNewThreshold: in resharing the old committee deals
// polynomials of the NEW committee's degree. v2.0.2's resharing already
// compares the count (round 4); Check does it at admission too, against
// NewThreshold, not the old one.
func TestVSSResharingUsesNewThreshold(t *testing.T) {
	const oldT, newT = 1, 2
	oldIDs, newIDs := partyIDs("old-", 3), partyIDs("new-", 4)
	sender := oldIDs[1]
	params := Params{Flow: ECDSAResharing, Threshold: oldT, PartyCount: 3, NewThreshold: newT, NewPartyCount: 4}
	edParams := params
	edParams.Flow = EdDSAResharing
	for _, tc := range []struct {
		name   string
		ec     elliptic.Curve
		params Params
		build  func(cmt.HashDeCommitment) tss.ParsedMessage
	}{
		{"ecdsa", tss.S256(), params, func(d cmt.HashDeCommitment) tss.ParsedMessage {
			return ecdsaresharing.NewDGRound3Message2(newIDs, sender, d)
		}},
		{"eddsa", tss.Edwards(), edParams, func(d cmt.HashDeCommitment) tss.ParsedMessage {
			return eddsaresharing.NewDGRound3Message2(newIDs, sender, d)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, extra := range []int{-1, +1} {
				d := deal(t, tc.ec, newT, keysOf(newIDs), extra)
				wantRejected(t, Check(tc.params, wireOf(t, tc.build(d.decom)), sender, true), CheckVSS, sender)
			}
			d := deal(t, tc.ec, newT, keysOf(newIDs), 0)
			if err := Check(tc.params, wireOf(t, tc.build(d.decom)), sender, true); err != nil {
				t.Fatalf("honest resharing decommitment refused: %v", err)
			}
		})
	}
}
