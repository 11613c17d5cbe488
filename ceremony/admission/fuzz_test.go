package admission

import (
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/mta"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// FuzzCheck feeds arbitrary wire bytes to Check under every flow. Check
// reads bytes from other machines, so whatever arrives it must answer with
// nil, a RejectedError or ErrOutOfOrder, and never panic.
func FuzzCheck(f *testing.F) {
	ids := partyIDs("fz-", 3)
	sender := ids[1]
	pp0, pp1 := testPreParams(f, 0), testPreParams(f, 1)
	moduli := []*big.Int{pp0.PaillierSK.N, pp1.PaillierSK.N, pp0.PaillierSK.N}

	k := common.GetRandomPositiveInt(rand.Reader, tss.S256().Params().N)
	cA, pf, err := mta.AliceInit(tss.S256(), &pp1.PaillierSK.PublicKey, k, pp0.NTildei, pp0.H1i, pp0.H2i, rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	d := deal(f, tss.S256(), 1, keysOf(ids), 0)
	// A well-formed but meaningless modproof keeps the seeding cheap;
	// Check never verifies it, tss-lib does.
	var xs [modproof.Iterations]*big.Int
	for i := range xs {
		xs[i] = big.NewInt(int64(i + 2))
	}
	bits := new(big.Int).Lsh(big.NewInt(1), modproof.Iterations)
	dummy := &modproof.ProofMod{W: big.NewInt(3), X: xs, A: bits, B: bits, Z: xs}
	for _, msg := range []tss.ParsedMessage{
		ecdsasigning.NewSignRound1Message1(ids[0], sender, cA, pf),
		ecdsakeygen.NewKGRound2Message2(sender, d.decom, dummy),
		ecdsaresharing.NewDGRound3Message2(ids, sender, d.decom),
		eddsasigning.NewSignRound1Message(sender, big.NewInt(7)),
	} {
		f.Add(wireOf(f, msg), true)
		f.Add(wireOf(f, msg), false)
	}

	tracker := NewTracker(3)
	if err := tracker.recordPaillierN(sender, pp0.PaillierSK.N); err != nil {
		f.Fatal(err)
	}
	all := []Params{
		{Flow: ECDSAKeygen, Threshold: 1, PartyCount: 3, Tracker: tracker},
		{Flow: ECDSASigning, Threshold: 1, PartyCount: 3, PaillierN: moduli},
		{Flow: ECDSAResharing, Threshold: 1, PartyCount: 3, NewThreshold: 1, NewPartyCount: 3},
		{Flow: EdDSAKeygen, Threshold: 1, PartyCount: 3},
		{Flow: EdDSASigning, Threshold: 1, PartyCount: 3},
		{Flow: EdDSAResharing, Threshold: 1, PartyCount: 3, NewThreshold: 2, NewPartyCount: 3},
	}
	f.Fuzz(func(t *testing.T, wire []byte, broadcast bool) {
		for _, p := range all {
			err := Check(p, wire, sender, broadcast)
			var rej *RejectedError
			switch {
			case err == nil, errors.Is(err, ErrOutOfOrder):
			case errors.As(err, &rej):
				if rej.Sender != sender || rej.Check == "" {
					t.Fatalf("%s: rejection without culprit or check: %v", p.Flow, err)
				}
			default:
				t.Fatalf("%s: unexpected error %v", p.Flow, err)
			}
		}
	})
}
