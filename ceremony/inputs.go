package ceremony

import (
	"errors"
	"fmt"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// Needs says what a party must bring to Join a plan, so a user interface
// asks for exactly that (Join checks the same rules again).
type Needs struct {
	// Role is the party's part (member, or a reshare committee).
	Role Role
	// Committee is set when the party is in both committees of a reshare
	// and must choose which one a work dir is for (Role is then unset).
	Committee bool
	// Share: signing, and an old member of a reshare.
	Share bool
	// PreParams: secp256k1 keygen, and a new member of a secp256k1 reshare.
	PreParams bool
}

// InputsFor says what the officer whose card is me must bring to join p,
// in the work dir for committee (RoleMember unless the officer is in both
// reshare committees). An officer who is not in the plan gets ErrNotInPlan.
func InputsFor(p *plan.Plan, me *identity.Card, committee Role) (*Needs, error) {
	r, err := newRoster(p)
	if err != nil {
		return nil, err
	}
	slots := p.Slots(me.Fingerprint())
	n := &Needs{}
	switch {
	case len(slots) == 0:
		return nil, fmt.Errorf("%w: %s (card %s) is not a party of this plan", ErrNotInPlan, me.Name, me.FingerprintWords())
	case len(slots) == 1:
		n.Role = r.role(slots[0])
	case committee == RoleMember:
		n.Committee = true
		return n, nil
	default:
		n.Role = committee
	}
	n.Share, n.PreParams = needs(p, n.Role)
	return n, nil
}

// CheckJoin runs, without side effects, the checks Join makes on its
// options before it computes or writes anything: the party's place in the
// plan (and its committee), and the inputs it brings (a share of this key,
// this party's, from the key's current committee; pre-parameters exactly
// where they are needed). A user interface calls it before it asks the
// officer to confirm the plan, so that a wrong --share or a missing
// --preparams is said before the question, not after the answer. A work
// dir that already holds a state is left to Join: a repeated join needs no
// inputs, and anything else there is refused by Join before it computes.
func CheckJoin(o JoinOptions) error {
	s, held, err := joinTarget(o)
	if err != nil || s == nil || held {
		return err
	}
	return s.checkInputs(o.PreParams, o.Share)
}

// CheckJoinTarget runs, without side effects, the checks Join makes on the
// work directory and the join ledger (o.Ledger, if set) before it looks at
// the inputs: a work directory whose state was deleted after this party's
// join committed (ErrStateLost), one holding another session's log, a
// session recorded with another work directory (ErrJoinedElsewhere). A
// user interface calls it before it loads the inputs, so that an officer
// re-running the join of a deleted work directory is told that, not that
// the pre-parameters it consumed are missing.
func CheckJoinTarget(o JoinOptions) error {
	_, _, err := joinTarget(o)
	return err
}

// joinTarget is CheckJoinTarget returning the session, and whether the
// work directory holds a state already (left to Join, see CheckJoin).
func joinTarget(o JoinOptions) (s *session, held bool, err error) {
	if o.Plan == nil || o.Identity == nil || o.WorkDir == "" {
		return nil, false, errors.New("join needs a plan, an identity and a work directory")
	}
	if s, err = newSession(o.WorkDir, o.Plan, o.Identity, o.Committee, nil); err != nil {
		return nil, false, err
	}
	if _, err := statestore.ReadStatus(o.WorkDir); err == nil {
		return s, true, nil
	}
	return s, false, s.checkTarget(o.Ledger, o.WorkDir)
}

// needs is the rule Join enforces: which inputs a party in role brings.
func needs(p *plan.Plan, role Role) (share, preParams bool) {
	share = p.Protocol == plan.Sign || (p.Protocol == plan.Reshare && role == RoleOld)
	preParams = p.Curve == keyshare.CurveSecp256k1 && (p.Protocol == plan.Keygen || (p.Protocol == plan.Reshare && role == RoleNew))
	return share, preParams
}

// RetirePreParams deletes a pre-parameters file once Join used it: they
// are single use (a second ceremony with the same Paillier key and NTilde
// must not happen). joinErr is Join's error: a join that committed and
// then failed (an IncompleteError, exit 5) used them too, and its rerun
// goes on from the committed state without them. A repeated join
// (rep.Replayed) and a refused one did not use them, and the file is left
// in place; used reports which. The file itself is removed, durably, and
// only if it is a regular file (not the target of a link in its place).
func RetirePreParams(path string, rep *Report, joinErr error) (used bool, err error) {
	var ie *IncompleteError
	switch {
	case joinErr != nil && !errors.As(joinErr, &ie):
		return false, nil
	case joinErr == nil && (rep == nil || rep.Replayed):
		return false, nil
	}
	fi, err := atomicfile.RegularFile(path)
	if err != nil {
		return true, err
	}
	return true, atomicfile.RemoveChecked(path, fi)
}
