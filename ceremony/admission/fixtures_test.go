package admission

import (
	"crypto/elliptic"
	"crypto/rand"
	"math/big"
	"sync"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	cmt "github.com/bnb-chain/tss-lib/v2/crypto/commitments"
	"github.com/bnb-chain/tss-lib/v2/crypto/dlnproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/vss"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Honest pieces built with tss-lib's own constructors from the test-only
// pre-parameters, so that each negative test changes exactly one thing.

var session = []byte("admission test session")

var (
	honestModProofOnce sync.Once
	honestModProofVal  *modproof.ProofMod
)

// honestModProof is the modproof test-only-0's owner would send.
func honestModProof(t testing.TB) *modproof.ProofMod {
	t.Helper()
	pp := testPreParams(t, 0)
	honestModProofOnce.Do(func() {
		pf, err := modproof.NewProof(session, pp.PaillierSK.N, pp.PaillierSK.P, pp.PaillierSK.Q, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		honestModProofVal = pf
	})
	if honestModProofVal == nil {
		t.Fatal("honest modproof unavailable")
	}
	return honestModProofVal
}

var (
	dlnOnce      sync.Once
	dln1, dln2   *dlnproof.Proof
	dlnPreParams = 0
)

// honestDLNProofs are test-only-0's proofs about its h1, h2 and NTilde.
func honestDLNProofs(t testing.TB) (*dlnproof.Proof, *dlnproof.Proof) {
	t.Helper()
	pp := testPreParams(t, dlnPreParams)
	dlnOnce.Do(func() {
		dln1 = dlnproof.NewDLNProof(pp.H1i, pp.H2i, pp.Alpha, pp.P, pp.Q, pp.NTildei, rand.Reader)
		dln2 = dlnproof.NewDLNProof(pp.H2i, pp.H1i, pp.Beta, pp.P, pp.Q, pp.NTildei, rand.Reader)
	})
	return dln1, dln2
}

// honestKeygenRound1 is the round-1 broadcast test-only-0's owner sends.
func honestKeygenRound1(t testing.TB, from *tss.PartyID) tss.ParsedMessage {
	t.Helper()
	pp := testPreParams(t, 0)
	d1, d2 := honestDLNProofs(t)
	msg, err := ecdsakeygen.NewKGRound1Message(from, big.NewInt(12345), &pp.PaillierSK.PublicKey,
		pp.NTildei, pp.H1i, pp.H2i, d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// dealing is one dealer's Feldman VSS: the commitment vector, the shares
// for ids, and a hash decommitment of the vector as tss-lib sends it.
type dealing struct {
	vs     vss.Vs
	shares vss.Shares
	decom  cmt.HashDeCommitment
	commit cmt.HashCommitment
}

// deal makes an honest degree-threshold dealing, then appends extra more
// commitment points (extra < 0 drops points) before committing, which is
// what a dealer trying to change the threshold would send.
func deal(t testing.TB, ec elliptic.Curve, threshold int, ids []*big.Int, extra int) dealing {
	t.Helper()
	secret := common.GetRandomPositiveInt(rand.Reader, ec.Params().N)
	vs, shares, err := vss.Create(ec, threshold, secret, ids, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < extra; i++ {
		vs = append(vs, crypto.ScalarBaseMult(ec, common.GetRandomPositiveInt(rand.Reader, ec.Params().N)))
	}
	if extra < 0 {
		vs = vs[:len(vs)+extra]
	}
	flat, err := crypto.FlattenECPoints(vs)
	if err != nil {
		t.Fatal(err)
	}
	c := cmt.NewHashCommitment(rand.Reader, flat...)
	return dealing{vs: vs, shares: shares, decom: c.D, commit: c.C}
}

func keysOf(ids tss.SortedPartyIDs) []*big.Int {
	ks := make([]*big.Int, len(ids))
	for i, id := range ids {
		ks[i] = id.KeyInt()
	}
	return ks
}
