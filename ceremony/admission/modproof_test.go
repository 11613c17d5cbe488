package admission

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/paillier"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// forgeModProof writes a Paillier-Blum modulus proof for N = m·q, where q is
// a prime = 3 mod 4 and m is anything the prover can factor, using W = m.
// Because W = 0 mod every prime of m, the fourth-root equations
// X^4 = (-1)^a · W^b · Y hold modulo m with X = 0 there; only the Blum
// prime q has to cooperate. phi is φ(N), for the N-th roots Z.
//
// This follows the verifier of tss-lib v2.0.2 (crypto/modproof), which
// checks Jacobi(W, N) != 1 but not gcd(W, N) == 1 (fixed upstream in #323).
func forgeModProof(t *testing.T, N, m, q, phi *big.Int) *modproof.ProofMod {
	t.Helper()
	if new(big.Int).Mod(q, big.NewInt(4)).Int64() != 3 {
		t.Fatal("q must be 3 mod 4")
	}
	W := new(big.Int).Set(m)
	invN := new(big.Int).ModInverse(N, phi)
	if invN == nil {
		t.Fatal("gcd(N, phi(N)) != 1: no N-th roots")
	}
	// ((q+1)/4)^2 maps a quadratic residue mod q to a fourth root.
	e := new(big.Int).Rsh(new(big.Int).Add(q, big.NewInt(1)), 2)
	e.Mul(e, e)
	// X = CRT(0 mod m, r mod q) = r · m · (m^-1 mod q).
	crt := new(big.Int).Mul(m, new(big.Int).ModInverse(m, q))
	crt.Mod(crt, N)

	var Y, X, Z [modproof.Iterations]*big.Int
	A := new(big.Int).Lsh(big.NewInt(1), modproof.Iterations)
	B := new(big.Int).Lsh(big.NewInt(1), modproof.Iterations)
	for i := range Y {
		ei := common.SHA512_256i_TAGGED(session, append([]*big.Int{W, N}, Y[:i]...)...)
		Y[i] = common.RejectionSample(N, ei)
		Z[i] = new(big.Int).Exp(Y[i], invN, N)

		target := new(big.Int).Mul(W, Y[i])
		target.Mod(target, N)
		a := uint(0)
		if big.Jacobi(new(big.Int).Mod(target, q), q) != 1 {
			a = 1
			target.Sub(N, target)
		}
		r := new(big.Int).Exp(new(big.Int).Mod(target, q), e, q)
		X[i] = new(big.Int).Mul(r, crt)
		X[i].Mod(X[i], N)
		A.SetBit(A, i, a)
		B.SetBit(B, i, 1)
	}
	return &modproof.ProofMod{W: W, X: X, A: A, B: B, Z: Z}
}

func roundTripModProof(t *testing.T, pf *modproof.ProofMod) *modproof.ProofMod {
	t.Helper()
	bzs := pf.Bytes()
	out, err := modproof.NewProofFromBytes(bzs[:])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestModProofWDividingNRefusedInKeygen: the owner of an honest Paillier key
// writes a modproof with W = p. tss-lib v2.0.2's verifier accepts it; Check
// refuses the round-2 broadcast carrying it and names the sender.
func TestModProofWDividingNRefusedInKeygen(t *testing.T) {
	pp := testPreParams(t, 0)
	P, Q, N := pp.PaillierSK.P, pp.PaillierSK.Q, pp.PaillierSK.N
	phi := new(big.Int).Mul(new(big.Int).Sub(P, big.NewInt(1)), new(big.Int).Sub(Q, big.NewInt(1)))
	forged := roundTripModProof(t, forgeModProof(t, N, P, Q, phi))
	if big.Jacobi(forged.W, N) != 0 {
		t.Fatal("forged W should have Jacobi symbol 0")
	}
	if !forged.Verify(session, N) {
		t.Fatal("tss-lib v2.0.2 modproof.Verify rejects the forged proof; the test no longer shows the gap")
	}

	ids := partyIDs("kg-", 3)
	sender := ids[1]
	params := Params{Flow: ECDSAKeygen, Threshold: 1, PartyCount: 3, Tracker: NewTracker(3)}
	if err := Check(params, wireOf(t, honestKeygenRound1(t, sender)), sender, true); err != nil {
		t.Fatalf("honest round 1: %v", err)
	}
	d := deal(t, tss.S256(), 1, keysOf(ids), 0)

	bad := ecdsakeygen.NewKGRound2Message2(sender, d.decom, forged)
	rej := wantRejected(t, Check(params, wireOf(t, bad), sender, true), CheckModProof, sender)
	t.Logf("refused: %v", rej)

	good := ecdsakeygen.NewKGRound2Message2(sender, d.decom, honestModProof(t))
	if !honestModProof(t).Verify(session, N) {
		t.Fatal("honest modproof does not verify")
	}
	if err := Check(params, wireOf(t, good), sender, true); err != nil {
		t.Fatalf("honest round 2 broadcast refused: %v", err)
	}
}

// blumPrime and anyPrime make ordinary (not safe) primes; each takes
// milliseconds.
func prime(t *testing.T, bits int, blum bool) *big.Int {
	t.Helper()
	for {
		p, err := rand.Prime(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		if !blum || p.Bit(1) == 1 {
			return p
		}
	}
}

// TestModProofThreePrimeModulusRefusedInResharing shows what #323 is about:
// a 2048-bit modulus with three prime factors, two of them = 1 mod 4, is
// not a Paillier-Blum modulus, yet v2.0.2 accepts a proof that it is. The
// new-committee key message carrying it in resharing (where v2.0.2 does not
// even check the modulus size) is refused.
func TestModProofThreePrimeModulusRefusedInResharing(t *testing.T) {
	var N, m, q, phi *big.Int
	for {
		p1, p2 := prime(t, 683, false), prime(t, 683, false)
		q = prime(t, 682, true)
		m = new(big.Int).Mul(p1, p2)
		N = new(big.Int).Mul(m, q)
		if N.BitLen() != 2048 || p1.Cmp(p2) == 0 {
			continue
		}
		phi = new(big.Int).Mul(new(big.Int).Sub(p1, big.NewInt(1)), new(big.Int).Sub(p2, big.NewInt(1)))
		phi.Mul(phi, new(big.Int).Sub(q, big.NewInt(1)))
		if new(big.Int).GCD(nil, nil, N, phi).Cmp(big.NewInt(1)) == 0 {
			break
		}
	}
	forged := roundTripModProof(t, forgeModProof(t, N, m, q, phi))
	if !forged.Verify(session, N) {
		t.Fatal("tss-lib v2.0.2 modproof.Verify rejects the three-prime proof; the test no longer shows the gap")
	}

	pp := testPreParams(t, 0)
	oldIDs, newIDs := partyIDs("old-", 3), partyIDs("new-", 3)
	sender := newIDs[2]
	params := Params{Flow: ECDSAResharing, Threshold: 1, PartyCount: 3, NewThreshold: 1, NewPartyCount: 3}
	d1, d2 := honestDLNProofs(t)
	build := func(n *big.Int, pf *modproof.ProofMod) []byte {
		msg, err := ecdsaresharing.NewDGRound2Message1(append(oldIDs, newIDs...), sender,
			&paillier.PublicKey{N: n}, pf, pp.NTildei, pp.H1i, pp.H2i, d1, d2)
		if err != nil {
			t.Fatal(err)
		}
		return wireOf(t, msg)
	}
	wantRejected(t, Check(params, build(N, forged), sender, true), CheckModProof, sender)
	if err := Check(params, build(pp.PaillierSK.N, honestModProof(t)), sender, true); err != nil {
		t.Fatalf("honest resharing key message refused: %v", err)
	}
}
