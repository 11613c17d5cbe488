package admission

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/crypto/facproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/paillier"
	"github.com/bnb-chain/tss-lib/v2/crypto/vss"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

func TestRoutingAndFlow(t *testing.T) {
	ids := partyIDs("p-", 3)
	sender := ids[1]
	eddsaSign := Params{Flow: EdDSASigning, Threshold: 1, PartyCount: 3}
	r1 := eddsasigning.NewSignRound1Message(sender, big.NewInt(7))
	if err := Check(eddsaSign, wireOf(t, r1), sender, true); err != nil {
		t.Fatalf("honest broadcast refused: %v", err)
	}

	t.Run("garbage", func(t *testing.T) {
		wantRejected(t, Check(eddsaSign, []byte("not protobuf \xff\xff"), sender, true), CheckParse, sender)
	})
	t.Run("broadcast sent point-to-point", func(t *testing.T) {
		wantRejected(t, Check(eddsaSign, wireOf(t, r1), sender, false), CheckRouting, sender)
	})
	t.Run("other flow", func(t *testing.T) {
		params := Params{Flow: ECDSASigning, Threshold: 1, PartyCount: 3,
			PaillierN: []*big.Int{big.NewInt(1), big.NewInt(1), big.NewInt(1)}}
		wantRejected(t, Check(params, wireOf(t, r1), sender, true), CheckFlow, sender)
	})
	t.Run("sender outside the session", func(t *testing.T) {
		outsider := tss.NewPartyID("x", "x", big.NewInt(99))
		outsider.Index = 3
		msg := eddsasigning.NewSignRound1Message(outsider, big.NewInt(7))
		wantRejected(t, Check(eddsaSign, wireOf(t, msg), outsider, true), CheckRouting, outsider)
	})
	t.Run("empty fields fail ValidateBasic", func(t *testing.T) {
		msg := ecdsasigning.NewSignRound1Message2(sender, big.NewInt(0))
		params := Params{Flow: ECDSASigning, Threshold: 1, PartyCount: 3,
			PaillierN: []*big.Int{big.NewInt(1), big.NewInt(1), big.NewInt(1)}}
		wantRejected(t, Check(params, wireOf(t, msg), sender, true), CheckBasic, sender)
	})
	t.Run("resharing committee of the message type", func(t *testing.T) {
		// DGRound2Message2 comes from the new committee (2 parties here);
		// index 2 exists only in the old one.
		params := Params{Flow: ECDSAResharing, Threshold: 1, PartyCount: 3, NewThreshold: 1, NewPartyCount: 2}
		late := tss.NewPartyID("y", "y", big.NewInt(5))
		late.Index = 2
		msg := ecdsaresharing.NewDGRound2Message2(ids, late)
		wantRejected(t, Check(params, wireOf(t, msg), late, true), CheckRouting, late)
		msg = ecdsaresharing.NewDGRound2Message2(ids, sender)
		if err := Check(params, wireOf(t, msg), sender, true); err != nil {
			t.Fatalf("ack from new member refused: %v", err)
		}
	})
}

func TestParamsErrorsAreNotBlamedOnSender(t *testing.T) {
	ids := partyIDs("p-", 2)
	wire := wireOf(t, eddsasigning.NewSignRound1Message(ids[0], big.NewInt(7)))
	for name, p := range map[string]Params{
		"no flow":              {Threshold: 1, PartyCount: 2},
		"t >= n":               {Flow: EdDSASigning, Threshold: 2, PartyCount: 2},
		"keygen no tracker":    {Flow: ECDSAKeygen, Threshold: 1, PartyCount: 2},
		"tracker wrong size":   {Flow: ECDSAKeygen, Threshold: 1, PartyCount: 2, Tracker: NewTracker(3)},
		"signing no moduli":    {Flow: ECDSASigning, Threshold: 1, PartyCount: 2},
		"resharing no new set": {Flow: EdDSAResharing, Threshold: 1, PartyCount: 2},
	} {
		err := Check(p, wire, ids[0], true)
		var rej *RejectedError
		if !errors.Is(err, ErrParams) || errors.As(err, &rej) {
			t.Errorf("%s: want ErrParams, got %v", name, err)
		}
	}
	if err := Check(Params{Flow: EdDSASigning, Threshold: 1, PartyCount: 2}, wire, nil, true); !errors.Is(err, ErrParams) {
		t.Errorf("nil sender: want ErrParams, got %v", err)
	}
}

func TestTracker(t *testing.T) {
	ids := partyIDs("kg-", 2)
	sender := ids[0]
	params := Params{Flow: ECDSAKeygen, Threshold: 1, PartyCount: 2, Tracker: NewTracker(2)}
	d := deal(t, tss.S256(), 1, keysOf(ids), 0)
	r2 := wireOf(t, ecdsakeygen.NewKGRound2Message2(sender, d.decom, honestModProof(t)))

	if err := Check(params, r2, sender, true); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("round 2 before round 1: want ErrOutOfOrder, got %v", err)
	}
	r1 := wireOf(t, honestKeygenRound1(t, sender))
	for i := 0; i < 2; i++ { // a re-run delivers the same message again
		if err := Check(params, r1, sender, true); err != nil {
			t.Fatalf("round 1 (delivery %d): %v", i+1, err)
		}
	}
	if err := Check(params, r2, sender, true); err != nil {
		t.Fatalf("round 2 after round 1: %v", err)
	}

	// The same sender announcing a different (well-formed) key.
	pp := testPreParams(t, 1)
	d1, d2 := honestDLNProofs(t)
	other, err := ecdsakeygen.NewKGRound1Message(sender, big.NewInt(1), &pp.PaillierSK.PublicKey,
		testPreParams(t, 0).NTildei, testPreParams(t, 0).H1i, testPreParams(t, 0).H2i, d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	wantRejected(t, Check(params, wireOf(t, other), sender, true), CheckConsistency, sender)
}

func TestPaillierKeyShape(t *testing.T) {
	pp := testPreParams(t, 0)
	ids := partyIDs("kg-", 2)
	sender := ids[1]
	d1, d2 := honestDLNProofs(t)
	short := new(big.Int).Rsh(pp.PaillierSK.N, 1024)
	short.SetBit(short, 0, 1)
	even := new(big.Int).SetBit(pp.PaillierSK.N, 0, 0)
	for name, tc := range map[string]struct{ n, nTilde, h1, h2 *big.Int }{
		"1024-bit N":      {short, pp.NTildei, pp.H1i, pp.H2i},
		"even N":          {even, pp.NTildei, pp.H1i, pp.H2i},
		"1024-bit NTilde": {pp.PaillierSK.N, short, pp.H1i, pp.H2i},
		"h1 = h2":         {pp.PaillierSK.N, pp.NTildei, pp.H1i, pp.H1i},
		"h1 = 1":          {pp.PaillierSK.N, pp.NTildei, big.NewInt(1), pp.H2i},
		"h2 >= NTilde":    {pp.PaillierSK.N, pp.NTildei, pp.H1i, new(big.Int).Add(pp.NTildei, pp.H2i)},
	} {
		t.Run(name, func(t *testing.T) {
			params := Params{Flow: ECDSAKeygen, Threshold: 1, PartyCount: 2, Tracker: NewTracker(2)}
			msg, err := ecdsakeygen.NewKGRound1Message(sender, big.NewInt(1), &paillier.PublicKey{N: tc.n}, tc.nTilde, tc.h1, tc.h2, d1, d2)
			if err != nil {
				t.Fatal(err)
			}
			wantRejected(t, Check(params, wireOf(t, msg), sender, true), CheckPaillierKey, sender)
		})
	}
}

// TestProofsMustBePresent: v2.0.2 lets the modproof and facproof fields be
// empty (its ValidateBasic skips them for parties that disabled the proofs);
// coldsig never disables them, so an absent proof is refused at admission.
func TestProofsMustBePresent(t *testing.T) {
	ids := partyIDs("kg-", 2)
	sender, to := ids[0], ids[1]
	zero := big.NewInt(0)
	// What v2.0.2 sends with SetNoProofFac / SetNoProofMod.
	noFac := &facproof.ProofFac{P: zero, Q: zero, A: zero, B: zero, T: zero, Sigma: zero,
		Z1: zero, Z2: zero, W1: zero, W2: zero, V: zero}
	noMod := &modproof.ProofMod{W: zero, X: *new([modproof.Iterations]*big.Int), A: zero, B: zero,
		Z: *new([modproof.Iterations]*big.Int)}

	params := Params{Flow: ECDSAKeygen, Threshold: 1, PartyCount: 2, Tracker: NewTracker(2)}
	share := &vss.Share{Threshold: 1, ID: to.KeyInt(), Share: big.NewInt(12345)}
	msg := ecdsakeygen.NewKGRound2Message1(to, sender, share, noFac)
	wantRejected(t, Check(params, wireOf(t, msg), sender, false), CheckProofPresent, sender)

	if err := Check(params, wireOf(t, honestKeygenRound1(t, sender)), sender, true); err != nil {
		t.Fatal(err)
	}
	d := deal(t, tss.S256(), 1, keysOf(ids), 0)
	msg = ecdsakeygen.NewKGRound2Message2(sender, d.decom, noMod)
	wantRejected(t, Check(params, wireOf(t, msg), sender, true), CheckProofPresent, sender)

	reshare := Params{Flow: ECDSAResharing, Threshold: 1, PartyCount: 2, NewThreshold: 1, NewPartyCount: 2}
	msg = ecdsaresharing.NewDGRound4Message1(to, sender, noFac)
	wantRejected(t, Check(reshare, wireOf(t, msg), sender, false), CheckProofPresent, sender)
}
