package admission

import (
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/crypto/facproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/mta"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsaresharing "github.com/bnb-chain/tss-lib/v2/eddsa/resharing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// modulusBits is the size tss-lib v2.0.2 generates for both the Paillier
// modulus and NTilde, and the size its ECDSA keygen round 2 insists on.
const modulusBits = 2048

var one = big.NewInt(1)

func checkECDSAKeygenRound1(p Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsakeygen.KGRound1Message)
	n := m.UnmarshalPaillierPK().N
	if err := checkPaillierKey(from, n, m.UnmarshalNTilde(), m.UnmarshalH1(), m.UnmarshalH2()); err != nil {
		return err
	}
	return p.Tracker.recordPaillierN(from, n)
}

func checkECDSAKeygenShare(_ Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsakeygen.KGRound2Message1)
	return checkFacProofPresent(from, m.GetFacProof())
}

func checkECDSAKeygenDecommit(p Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsakeygen.KGRound2Message2)
	if err := checkVSSDecommitment(from, len(m.GetDeCommitment()), p.Threshold); err != nil {
		return err
	}
	n, err := p.Tracker.paillierNOf(from)
	if err != nil {
		return err
	}
	return checkModProof(from, m.GetModProof(), n)
}

func checkECDSAReshareKeys(_ Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsaresharing.DGRound2Message1)
	n := m.UnmarshalPaillierPK().N
	if err := checkPaillierKey(from, n, m.UnmarshalNTilde(), m.UnmarshalH1(), m.UnmarshalH2()); err != nil {
		return err
	}
	return checkModProof(from, m.GetModProof(), n)
}

func checkECDSAReshareDecommit(p Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsaresharing.DGRound3Message2)
	return checkVSSDecommitment(from, len(m.GetVDecommitment()), p.NewThreshold)
}

func checkECDSAReshareFacProof(_ Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsaresharing.DGRound4Message1)
	return checkFacProofPresent(from, m.GetFacProof())
}

func checkEdDSAKeygenDecommit(p Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*eddsakeygen.KGRound2Message2)
	return checkVSSDecommitment(from, len(m.GetDeCommitment()), p.Threshold)
}

func checkEdDSAReshareDecommit(p Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*eddsaresharing.DGRound3Message2)
	return checkVSSDecommitment(from, len(m.GetVDecommitment()), p.NewThreshold)
}

// checkPaillierKey holds a sender's Paillier modulus and ring-Pedersen
// parameters to the shape tss-lib generates. v2.0.2's keygen checks the two
// bit lengths and h1 != h2 in round 2 but its resharing checks neither
// length, so a new-committee member could announce a short Paillier
// modulus or NTilde, while MtA and its range proofs assume both are far
// larger than the q^7-sized values they carry. Checking at admission holds
// both flows to the same rule.
func checkPaillierKey(from *tss.PartyID, n, nTilde, h1, h2 *big.Int) error {
	if n.BitLen() != modulusBits || n.Bit(0) == 0 {
		return reject(from, CheckPaillierKey, "Paillier modulus is %d bits or even; want an odd %d-bit modulus", n.BitLen(), modulusBits)
	}
	if nTilde.BitLen() != modulusBits || nTilde.Bit(0) == 0 {
		return reject(from, CheckPaillierKey, "NTilde is %d bits or even; want an odd %d-bit modulus", nTilde.BitLen(), modulusBits)
	}
	for _, h := range []*big.Int{h1, h2} {
		if h.Cmp(one) <= 0 || h.Cmp(nTilde) >= 0 {
			return reject(from, CheckPaillierKey, "h1 or h2 is outside (1, NTilde)")
		}
	}
	if h1.Cmp(h2) == 0 {
		return reject(from, CheckPaillierKey, "h1 equals h2")
	}
	return nil
}

// checkModProof applies upstream #323: the Paillier-Blum modulus proof must
// use a W coprime to N. v2.0.2 only asks that W be a quadratic non-residue
// via the Jacobi symbol, and Jacobi(W, N) is 0, not 1, when W shares a
// factor with N; with W = p the equations X^4 = ±W·Y hold trivially modulo
// p, so the proof says nothing about that part of N (a three-prime modulus
// passes, as the tests show).
//
// The proof must also be present: v2.0.2's ValidateBasic lets it be absent
// for compatibility with parties that ran with SetNoProofMod, which coldsig
// never does.
func checkModProof(from *tss.PartyID, parts [][]byte, n *big.Int) error {
	pf, err := modproof.NewProofFromBytes(parts)
	if err != nil {
		return reject(from, CheckProofPresent, "modproof missing or malformed: %v", err)
	}
	if new(big.Int).GCD(nil, nil, pf.W, n).Cmp(one) != 0 {
		return reject(from, CheckModProof, "modproof W shares a factor with the Paillier modulus (upstream #323)")
	}
	return nil
}

// checkFacProofPresent refuses a message whose no-small-factor proof is
// absent, which v2.0.2 tolerates for parties running SetNoProofFac.
func checkFacProofPresent(from *tss.PartyID, parts [][]byte) error {
	if _, err := facproof.NewProofFromBytes(parts); err != nil {
		return reject(from, CheckProofPresent, "facproof missing or malformed: %v", err)
	}
	return nil
}

// checkVSSDecommitment applies upstream #291. A Feldman commitment to a
// polynomial of degree t has exactly t+1 points; the decommitment carries
// the blinding value r followed by the points as x, y pairs. v2.0.2 keygen
// never compares the count: a longer vector is accepted because share
// verification reads only the first t+1 entries, and a shorter one makes
// share verification index past the end and panic.
func checkVSSDecommitment(from *tss.PartyID, decommitLen, threshold int) error {
	want := 1 + 2*(threshold+1)
	if decommitLen != want {
		return reject(from, CheckVSS, "decommitment has %d values; a degree-%d polynomial needs %d (r and %d points) (upstream #291)",
			decommitLen, threshold, want, threshold+1)
	}
	return nil
}

// checkECDSASignMtA covers the only place v2.0.2 verifies Alice's range
// proof: SignRound1Message1, which the receiver (Bob) checks twice in round
// 2, in BobMid and BobMidWC, with the same proof and ciphertext.
func checkECDSASignMtA(p Params, c tss.MessageContent, from *tss.PartyID) error {
	m := c.(*ecdsasigning.SignRound1Message1)
	n := p.PaillierN[from.Index]
	nSquare := new(big.Int).Mul(n, n)
	// Verify raises the ciphertext to the power -e modulo N^2; big.Int.Exp
	// returns nil for a non-invertible base and the next multiplication
	// dereferences it, which panics inside one of round 2's goroutines and
	// takes the whole process down. An honest ciphertext is a unit.
	cA := m.UnmarshalC()
	if cA.Sign() <= 0 || cA.Cmp(nSquare) >= 0 || new(big.Int).GCD(nil, nil, cA, n).Cmp(one) != 0 {
		return reject(from, CheckMtACipher, "MtA ciphertext is not a unit modulo the sender's N^2")
	}
	pf, err := m.UnmarshalRangeProofAlice()
	if err != nil {
		return reject(from, CheckRangeProof, "range proof malformed: %v", err)
	}
	return checkRangeProofAlice(from, pf)
}

// checkRangeProofAlice applies upstream #289. With Z = 1 the ring-Pedersen
// equation w = h1^s1 · h2^s2 · z^-e no longer depends on the challenge, and
// together with S = 1 (or a ciphertext of 1) the Paillier equation does not
// either, so a "proof" can be written down without knowing any plaintext;
// S1 == S2 is the tell-tale of such hand-made responses. Honest proofs hit
// these values with negligible probability.
func checkRangeProofAlice(from *tss.PartyID, pf *mta.RangeProofAlice) error {
	switch {
	case pf.S.Cmp(one) == 0:
		return reject(from, CheckRangeProof, "range proof has S = 1 (upstream #289)")
	case pf.Z.Cmp(one) == 0:
		return reject(from, CheckRangeProof, "range proof has Z = 1 (upstream #289)")
	case pf.S1.Cmp(pf.S2) == 0:
		return reject(from, CheckRangeProof, "range proof has S1 = S2 (upstream #289)")
	}
	return nil
}
