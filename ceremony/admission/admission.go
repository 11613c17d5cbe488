// Package admission inspects every inbound tss-lib message before it reaches
// tss-lib v2.0.2's UpdateFromBytes, and refuses the ones that upstream
// tss-lib learned to refuse only after v2.0.2 was tagged.
//
// The Go module proxy serves tss-lib v2 at v2.0.2 only, so the fixes upstream
// made later (modproof gcd(W, N) != 1, #323; Alice's range proof with S == 1,
// Z == 1 or S1 == S2, #289; a VSS commitment vector longer or shorter than
// threshold+1, #291) cannot be had by upgrading. Every one of them is a check
// on a value that arrives in a message, so it can be applied here, before the
// message is stored, with the sender named as the culprit.
//
// Check is deliberately independent of envelopes, files and the ceremony
// engine: it takes the tss-lib wire bytes (msg.WireBytes()), the sender's
// PartyID as the caller authenticated it, and the broadcast flag the caller
// received it under. docs/admission.md lists every check and its reason.
package admission

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Flow names the tss-lib protocol a message belongs to.
type Flow int

const (
	ECDSAKeygen Flow = iota + 1
	ECDSASigning
	ECDSAResharing
	EdDSAKeygen
	EdDSASigning
	EdDSAResharing
)

func (f Flow) String() string {
	switch f {
	case ECDSAKeygen:
		return "ecdsa keygen"
	case ECDSASigning:
		return "ecdsa signing"
	case ECDSAResharing:
		return "ecdsa resharing"
	case EdDSAKeygen:
		return "eddsa keygen"
	case EdDSASigning:
		return "eddsa signing"
	case EdDSAResharing:
		return "eddsa resharing"
	}
	return fmt.Sprintf("flow(%d)", int(f))
}

// Params describes the session a message is checked against. Which fields
// are required depends on Flow; Check returns ErrParams (not a
// RejectedError) when one is missing, because that is the caller's mistake,
// not the sender's.
type Params struct {
	Flow Flow

	// Threshold is tss-lib's t (t+1 parties are needed to sign). In
	// resharing it is the old committee's t.
	Threshold int
	// PartyCount is the number of parties in keygen and signing (the
	// signers only), and the size of the old committee in resharing.
	PartyCount int

	// NewThreshold and NewPartyCount describe the new committee; resharing
	// only. The commitments the old committee deals are to polynomials of
	// degree NewThreshold.
	NewThreshold  int
	NewPartyCount int

	// PaillierN holds, for ECDSA signing, each signer's Paillier modulus,
	// indexed by the signer's tss-lib index in the signing session (that is,
	// keygen.BuildLocalSaveDataSubset(key, signers).PaillierPKs[i].N). The
	// MtA ciphertext a signer sends in round 1 must be a unit modulo its
	// own N squared; see checkMtACiphertext.
	PaillierN []*big.Int

	// Tracker carries what ECDSA keygen needs from earlier rounds: the
	// sender's round-1 Paillier modulus, against which its round-2 modproof
	// is checked. Required for ECDSAKeygen; one Tracker per receiving party
	// and session.
	Tracker *Tracker
}

// Names of the checks, as reported in RejectedError.Check. They are stable:
// logs and tests match on them.
const (
	CheckParse        = "parse"           // wire bytes are not a tss-lib message
	CheckFlow         = "flow"            // message type does not belong to this flow
	CheckRouting      = "routing"         // wrong broadcast flag or sender outside its committee
	CheckBasic        = "basic"           // tss-lib's own ValidateBasic failed
	CheckProofPresent = "proof-present"   // a proof tss-lib treats as optional is missing or malformed
	CheckPaillierKey  = "paillier-key"    // Paillier N / NTilde / h1 / h2 out of shape
	CheckModProof     = "modproof"        // upstream #323
	CheckRangeProof   = "range-proof"     // upstream #289
	CheckMtACipher    = "mta-ciphertext"  // MtA ciphertext not a unit mod N^2
	CheckVSS          = "vss-commitments" // upstream #291
	CheckConsistency  = "consistency"     // contradicts what the sender sent earlier
)

// RejectedError is returned when a message is refused. Sender is the party
// whose message it is (the culprit); Check is one of the Check* names.
type RejectedError struct {
	Sender *tss.PartyID
	Check  string
	Reason string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("message from %s refused (%s check): %s", describe(e.Sender), e.Check, e.Reason)
}

func describe(p *tss.PartyID) string {
	if p == nil || p.MessageWrapper_PartyID == nil {
		return "unknown party"
	}
	return fmt.Sprintf("party %q (index %d)", p.Id, p.Index)
}

// ErrParams means Check was called with Params or a sender that cannot
// describe a session; it is a bug in the caller, never the sender's fault.
var ErrParams = errors.New("admission: invalid parameters")

// ErrOutOfOrder means a message needs state from an earlier round that the
// Tracker has not seen for this sender (for example a keygen round-2 message
// checked before that sender's round-1 message). The caller should check the
// earlier message first; the message is neither accepted nor blamed.
var ErrOutOfOrder = errors.New("admission: message checked before the earlier-round message it depends on")

func reject(from *tss.PartyID, check, format string, args ...any) error {
	return &RejectedError{Sender: from, Check: check, Reason: fmt.Sprintf(format, args...)}
}

func (p Params) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrParams, fmt.Sprintf(format, args...))
	}
	if p.Flow < ECDSAKeygen || p.Flow > EdDSAResharing {
		return bad("unknown flow %d", int(p.Flow))
	}
	if p.Threshold < 1 || p.PartyCount <= p.Threshold {
		return bad("threshold %d with %d parties", p.Threshold, p.PartyCount)
	}
	switch p.Flow {
	case ECDSAResharing, EdDSAResharing:
		if p.NewThreshold < 1 || p.NewPartyCount <= p.NewThreshold {
			return bad("new threshold %d with %d new parties", p.NewThreshold, p.NewPartyCount)
		}
	case ECDSAKeygen:
		if p.Tracker == nil {
			return bad("ecdsa keygen needs a Tracker")
		}
		if len(p.Tracker.paillierN) != p.PartyCount {
			return bad("tracker made for %d parties, session has %d", len(p.Tracker.paillierN), p.PartyCount)
		}
	case ECDSASigning:
		if len(p.PaillierN) != p.PartyCount {
			return bad("ecdsa signing needs %d Paillier moduli, got %d", p.PartyCount, len(p.PaillierN))
		}
		for i, n := range p.PaillierN {
			if n == nil || n.Sign() <= 0 {
				return bad("Paillier modulus of signer %d is missing", i)
			}
		}
	}
	return nil
}

// Check inspects one inbound message (tss-lib wire bytes as produced by
// msg.WireBytes(), plus routing) before it reaches tss-lib. It returns nil
// if the message may be passed to UpdateFromBytes, a *RejectedError naming
// the sender if the message must be refused, or an error wrapping ErrParams
// or ErrOutOfOrder if the call itself is wrong.
//
// from must be the sender as the caller authenticated it (its Index is the
// sender's index in its committee); isBroadcast is the flag the caller will
// pass to UpdateFromBytes.
//
// For ECDSA keygen, an accepted round-1 message is recorded in p.Tracker.
func Check(p Params, wire []byte, from *tss.PartyID, isBroadcast bool) error {
	if err := p.validate(); err != nil {
		return err
	}
	if !from.ValidateBasic() || from.MessageWrapper_PartyID == nil {
		return fmt.Errorf("%w: sender has no key or a negative index", ErrParams)
	}
	msg, err := tss.ParseWireMessage(wire, from, isBroadcast)
	if err != nil {
		return reject(from, CheckParse, "not a tss-lib message: %v", err)
	}
	k, ok := kindOf(p.Flow, msg.Content())
	if !ok {
		return reject(from, CheckFlow, "%s is not a message of %s", msg.Type(), p.Flow)
	}
	if k.broadcast != isBroadcast {
		return reject(from, CheckRouting, "%s must arrive %s", msg.Type(), castWord(k.broadcast))
	}
	if n := p.committeeSize(k.from); from.Index >= n {
		return reject(from, CheckRouting, "%s comes from the %s, which has %d parties; sender index is %d",
			msg.Type(), k.from, n, from.Index)
	}
	if !msg.ValidateBasic() {
		return reject(from, CheckBasic, "%s fails tss-lib's ValidateBasic", msg.Type())
	}
	if k.check == nil {
		return nil
	}
	return k.check(p, msg.Content(), from)
}

func castWord(broadcast bool) string {
	if broadcast {
		return "as a broadcast"
	}
	return "point-to-point"
}

func (p Params) committeeSize(c committee) int {
	if c == newCommittee {
		return p.NewPartyCount
	}
	return p.PartyCount
}
