package ceremony

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/coldsig/coldsig/plan"
)

// Role is a party's part in a ceremony. Keygen and signing are symmetric;
// resharing has an old committee (current share holders) and a new one.
type Role int

const (
	RoleMember Role = iota
	RoleOld
	RoleNew
)

func (r Role) String() string {
	switch r {
	case RoleOld:
		return "old committee"
	case RoleNew:
		return "new committee"
	}
	return "member"
}

// Committee names which parties a phase's inputs come from.
type Committee int

const (
	FromAll Committee = iota // every other party of the session (keygen, sign)
	FromOld                  // the old committee (reshare)
	FromNew                  // the new committee (reshare)
)

// Phase is one invocation's worth of input: the round number carried by
// the tss-lib messages a party must receive before it can advance, and the
// committee they come from. tss-lib itself says, via WaitingFor, which of
// those parties are still missing; the table only has to say which round's
// envelopes to pick out of a shared inbox.
type Phase struct {
	Round int
	From  Committee
}

// phases lists, per flow and role, the input phases after join. The
// end-to-end tests (cmd/coldsig) run every flow and role through it: a
// wrong entry either leaves a party waiting forever (Step reports tss-lib's
// WaitingFor) or feeds envelopes tss-lib does not expect.
func phases(curve string, p plan.Protocol, r Role) ([]Phase, error) {
	all := func(rounds ...int) []Phase {
		out := make([]Phase, len(rounds))
		for i, n := range rounds {
			out[i] = Phase{n, FromAll}
		}
		return out
	}
	ecdsa := curve == "secp256k1"
	switch {
	case p == plan.Keygen && ecdsa:
		return all(1, 2, 3), nil
	case p == plan.Keygen:
		return all(1, 2), nil
	case p == plan.Sign && ecdsa:
		return all(1, 2, 3, 4, 5, 6, 7, 8, 9), nil
	case p == plan.Sign:
		return all(1, 2, 3), nil
	case p == plan.Reshare && r == RoleOld:
		// Old members send their commitments and shares, and wait for the
		// new committee's acknowledgements in rounds 2 and 4.
		return []Phase{{2, FromNew}, {4, FromNew}}, nil
	case p == plan.Reshare && r == RoleNew && ecdsa:
		// New members also exchange Paillier keys and proofs (round 2) and
		// factorisation proofs (round 4) among themselves.
		return []Phase{{1, FromOld}, {2, FromNew}, {3, FromOld}, {4, FromNew}}, nil
	case p == plan.Reshare && r == RoleNew:
		return []Phase{{1, FromOld}, {3, FromOld}, {4, FromNew}}, nil
	}
	return nil, fmt.Errorf("no protocol table for %s %s (%s)", curve, p, r)
}

var roundInTypeName = regexp.MustCompile(`Round([0-9]+)Message([0-9]*)$`)

// messageKey names a tss-lib message by its protobuf type: the round it
// belongs to (KGRound2Message1 -> 2) and its sub-message number within the
// round (1; 0 when the round has one message type). The engine compares the
// round with the signed envelope header, because tss-lib files a message by
// its type alone: a round-3 message smuggled into a round-1 envelope would
// otherwise be stored for a round the sender never vouched for. Views key
// broadcasts by round*10+sub, since a reshare round can carry two
// different broadcasts from one sender (to the old and to the new
// committee).
func messageKey(typeName string) (round, key int, err error) {
	sub := roundInTypeName.FindStringSubmatch(typeName)
	if sub == nil {
		return 0, 0, fmt.Errorf("message type %s carries no round number", typeName)
	}
	round, err = strconv.Atoi(sub[1])
	if err != nil || round < 1 || round > 9 {
		return 0, 0, fmt.Errorf("message type %s: round out of range", typeName)
	}
	n := 0
	if sub[2] != "" {
		if n, err = strconv.Atoi(sub[2]); err != nil || n < 1 || n > 9 {
			return 0, 0, fmt.Errorf("message type %s: sub-message out of range", typeName)
		}
	}
	return round, round*10 + n, nil
}
