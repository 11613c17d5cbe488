package admission

import (
	"crypto/rand"
	"math/big"
	"strings"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto/mta"
	"github.com/bnb-chain/tss-lib/v2/crypto/paillier"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// rangeSetup is one MtA direction: Alice (test-only-1) sends, Bob
// (test-only-0) verifies against his own NTilde, h1, h2 as signing round 2
// of v2.0.2 does.
type rangeSetup struct {
	pkA               *paillier.PublicKey
	nTildeB, h1B, h2B *big.Int
	nTildeA, h1A, h2A *big.Int
	ids               tss.SortedPartyIDs
	alice, bob        *tss.PartyID
	params            Params
}

func newRangeSetup(t *testing.T) rangeSetup {
	t.Helper()
	alicePP, bobPP := testPreParams(t, 1), testPreParams(t, 0)
	ids := partyIDs("sig-", 2)
	moduli := []*big.Int{bobPP.PaillierSK.N, alicePP.PaillierSK.N}
	return rangeSetup{
		pkA:     &alicePP.PaillierSK.PublicKey,
		nTildeB: bobPP.NTildei, h1B: bobPP.H1i, h2B: bobPP.H2i,
		nTildeA: alicePP.NTildei, h1A: alicePP.H1i, h2A: alicePP.H2i,
		ids: ids, bob: ids[0], alice: ids[1],
		params: Params{Flow: ECDSASigning, Threshold: 1, PartyCount: 2, PaillierN: moduli},
	}
}

// forgeRangeProof writes Alice's range proof for the ciphertext c = 1
// without any witness. v2.0.2's verifier checks
//
//	U = Γ^s1 · S^N · c^-e  (mod N²)   and   W = h1^s1 · h2^s2 · Z^-e  (mod Ñ)
//
// With c = 1 the first equation does not involve e; with Z = 1 the second
// does not either, and with Z = Ñ-1 it involves only the parity of e, so
// retrying until e is even is enough. Nothing ties s1 to a plaintext.
func forgeRangeProof(s rangeSetup, Z, S *big.Int, sameS bool) *mta.RangeProofAlice {
	q := tss.S256().Params().N
	N, NSquare := s.pkA.N, s.pkA.NSquare()
	c := big.NewInt(1)
	for k := int64(1); ; k++ {
		s1 := new(big.Int).Add(q, big.NewInt(k))
		s2 := new(big.Int).Add(q, big.NewInt(k+1))
		if sameS {
			s2.Set(s1)
		}
		U := new(big.Int).Exp(s.pkA.Gamma(), s1, NSquare)
		U.Mul(U, new(big.Int).Exp(S, N, NSquare)).Mod(U, NSquare)
		W := new(big.Int).Exp(s.h1B, s1, s.nTildeB)
		W.Mul(W, new(big.Int).Exp(s.h2B, s2, s.nTildeB)).Mod(W, s.nTildeB)
		e := common.RejectionSample(q, common.SHA512_256i(append(s.pkA.AsInts(), c, Z, U, W)...))
		if Z.Cmp(one) == 0 || e.Bit(0) == 0 {
			return &mta.RangeProofAlice{Z: Z, U: U, W: W, S: S, S1: s1, S2: s2}
		}
	}
}

// TestRangeProofDegenerateValuesRefused: for each value upstream #289 bans,
// a witness-free proof that tss-lib v2.0.2 accepts (and on which Bob goes
// on to answer in MtA) is refused by Check, naming Alice.
func TestRangeProofDegenerateValuesRefused(t *testing.T) {
	s := newRangeSetup(t)
	minusOne := new(big.Int).Sub(s.nTildeB, one)
	two := big.NewInt(2)
	cases := []struct {
		name   string
		Z, S   *big.Int
		sameS  bool
		reason string
	}{
		{"Z=1,S=1,S1=S2", one, one, true, "S = 1"},
		{"Z=1", one, two, false, "Z = 1"},
		{"S=1", minusOne, one, false, "S = 1"},
		{"S1=S2", minusOne, two, true, "S1 = S2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pf := forgeRangeProof(s, tc.Z, tc.S, tc.sameS)
			c := big.NewInt(1)
			if !pf.Verify(tss.S256(), s.pkA, s.nTildeB, s.h1B, s.h2B, c) {
				t.Fatal("tss-lib v2.0.2 RangeProofAlice.Verify rejects the forgery; the test no longer shows the gap")
			}
			// The whole of Bob's round-2 step accepts it and answers.
			b := common.GetRandomPositiveInt(rand.Reader, tss.S256().Params().N)
			if _, _, _, _, err := mta.BobMid(session, tss.S256(), s.pkA, pf, b, c,
				s.nTildeA, s.h1A, s.h2A, s.nTildeB, s.h1B, s.h2B, rand.Reader); err != nil {
				t.Fatalf("v2.0.2 BobMid refuses the forgery: %v", err)
			}
			msg := ecdsasigning.NewSignRound1Message1(s.bob, s.alice, c, pf)
			rej := wantRejected(t, Check(s.params, wireOf(t, msg), s.alice, false), CheckRangeProof, s.alice)
			if !strings.Contains(rej.Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", rej.Reason, tc.reason)
			}
		})
	}
}

// TestMtACiphertextNotAUnitRefused: a ciphertext sharing a factor with N²
// makes v2.0.2's range-proof verifier dereference the nil that big.Int.Exp
// returns for a non-invertible base: a panic in a round-2 goroutine, which
// ends the process. Check refuses it first.
func TestMtACiphertextNotAUnitRefused(t *testing.T) {
	s := newRangeSetup(t)
	pf := forgeRangeProof(s, one, big.NewInt(2), false)
	c := new(big.Int).Set(s.pkA.N)
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		pf.Verify(tss.S256(), s.pkA, s.nTildeB, s.h1B, s.h2B, c)
		return false
	}()
	if !panicked {
		t.Fatal("v2.0.2 RangeProofAlice.Verify no longer panics on a non-unit ciphertext")
	}
	for _, bad := range []*big.Int{c, s.pkA.NSquare(), new(big.Int).Add(s.pkA.NSquare(), one)} {
		msg := ecdsasigning.NewSignRound1Message1(s.bob, s.alice, bad, pf)
		wantRejected(t, Check(s.params, wireOf(t, msg), s.alice, false), CheckMtACipher, s.alice)
	}
}

// TestHonestRangeProofPasses: what AliceInit produces passes both v2.0.2 and
// Check.
func TestHonestRangeProofPasses(t *testing.T) {
	s := newRangeSetup(t)
	k := common.GetRandomPositiveInt(rand.Reader, tss.S256().Params().N)
	cA, pf, err := mta.AliceInit(tss.S256(), s.pkA, k, s.nTildeB, s.h1B, s.h2B, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !pf.Verify(tss.S256(), s.pkA, s.nTildeB, s.h1B, s.h2B, cA) {
		t.Fatal("honest proof does not verify")
	}
	msg := ecdsasigning.NewSignRound1Message1(s.bob, s.alice, cA, pf)
	if err := Check(s.params, wireOf(t, msg), s.alice, false); err != nil {
		t.Fatalf("honest MtA message refused: %v", err)
	}
}
