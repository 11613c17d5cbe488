package admission

import (
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsaresharing "github.com/bnb-chain/tss-lib/v2/eddsa/resharing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// committee says whose index space a sender's Index lives in. In keygen and
// signing there is one committee; in resharing tss-lib indexes old-committee
// messages by the old party list and new-committee messages by the new one.
type committee int

const (
	sameCommittee committee = iota
	oldCommittee
	newCommittee
)

func (c committee) String() string {
	switch c {
	case oldCommittee:
		return "old committee"
	case newCommittee:
		return "new committee"
	}
	return "session"
}

type checkFunc func(p Params, content tss.MessageContent, from *tss.PartyID) error

// kind is what admission knows about one message type: how tss-lib sends it
// (read from the New*Message constructors of v2.0.2), which committee sends
// it, and the content checks beyond tss-lib's own.
type kind struct {
	broadcast bool
	from      committee
	check     checkFunc
}

// kindOf classifies content for flow. Both curves reuse the same Go type
// names in different packages, so the switch on concrete types also keeps an
// EdDSA message out of an ECDSA session and vice versa.
func kindOf(flow Flow, content tss.MessageContent) (kind, bool) {
	bc := kind{broadcast: true}
	p2p := kind{broadcast: false}
	with := func(k kind, c committee, f checkFunc) kind {
		k.from, k.check = c, f
		return k
	}
	switch flow {
	case ECDSAKeygen:
		switch content.(type) {
		case *ecdsakeygen.KGRound1Message:
			return with(bc, sameCommittee, checkECDSAKeygenRound1), true
		case *ecdsakeygen.KGRound2Message1:
			return with(p2p, sameCommittee, checkECDSAKeygenShare), true
		case *ecdsakeygen.KGRound2Message2:
			return with(bc, sameCommittee, checkECDSAKeygenDecommit), true
		case *ecdsakeygen.KGRound3Message:
			return bc, true
		}
	case ECDSASigning:
		switch content.(type) {
		case *ecdsasigning.SignRound1Message1:
			return with(p2p, sameCommittee, checkECDSASignMtA), true
		case *ecdsasigning.SignRound2Message:
			return p2p, true
		case *ecdsasigning.SignRound1Message2, *ecdsasigning.SignRound3Message,
			*ecdsasigning.SignRound4Message, *ecdsasigning.SignRound5Message,
			*ecdsasigning.SignRound6Message, *ecdsasigning.SignRound7Message,
			*ecdsasigning.SignRound8Message, *ecdsasigning.SignRound9Message:
			return bc, true
		}
	case ECDSAResharing:
		switch content.(type) {
		case *ecdsaresharing.DGRound1Message:
			return with(bc, oldCommittee, nil), true
		case *ecdsaresharing.DGRound2Message1:
			return with(bc, newCommittee, checkECDSAReshareKeys), true
		case *ecdsaresharing.DGRound2Message2:
			return with(bc, newCommittee, nil), true
		case *ecdsaresharing.DGRound3Message1:
			return with(p2p, oldCommittee, nil), true
		case *ecdsaresharing.DGRound3Message2:
			return with(bc, oldCommittee, checkECDSAReshareDecommit), true
		case *ecdsaresharing.DGRound4Message1:
			return with(p2p, newCommittee, checkECDSAReshareFacProof), true
		case *ecdsaresharing.DGRound4Message2:
			return with(bc, newCommittee, nil), true
		}
	case EdDSAKeygen:
		switch content.(type) {
		case *eddsakeygen.KGRound1Message:
			return bc, true
		case *eddsakeygen.KGRound2Message1:
			return p2p, true
		case *eddsakeygen.KGRound2Message2:
			return with(bc, sameCommittee, checkEdDSAKeygenDecommit), true
		}
	case EdDSASigning:
		switch content.(type) {
		case *eddsasigning.SignRound1Message, *eddsasigning.SignRound2Message,
			*eddsasigning.SignRound3Message:
			return bc, true
		}
	case EdDSAResharing:
		switch content.(type) {
		case *eddsaresharing.DGRound1Message:
			return with(bc, oldCommittee, nil), true
		case *eddsaresharing.DGRound2Message:
			return with(bc, newCommittee, nil), true
		case *eddsaresharing.DGRound3Message1:
			return with(p2p, oldCommittee, nil), true
		case *eddsaresharing.DGRound3Message2:
			return with(bc, oldCommittee, checkEdDSAReshareDecommit), true
		case *eddsaresharing.DGRound4Message:
			return with(bc, newCommittee, nil), true
		}
	}
	return kind{}, false
}

// IsBroadcast reports whether tss-lib expects content as a broadcast in
// flow. A transport that cannot carry the broadcast flag itself (coldsig
// sends reshare messages per recipient) takes it from here, so the flag a
// receiver passes to tss-lib is fixed by the message type, never chosen by
// the sender.
func IsBroadcast(flow Flow, content tss.MessageContent) (broadcast, known bool) {
	k, ok := kindOf(flow, content)
	return k.broadcast, ok
}
