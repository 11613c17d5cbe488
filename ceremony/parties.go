package ceremony

import (
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/plan"
)

// roster maps between the plan's slots (1-based positions in
// plan.Roster()) and tss-lib party ids.
//
// tss-lib orders parties by their key and uses the key as the share's
// evaluation point. Fresh keys are derived as slot<<128 | 128 bits of
// SHA-256(session, committee, slot): the sort order is the plan's order
// (so tss-lib index = position in the committee), and every ceremony gets
// new points, which matters for resharing: tss-lib breaks when a party
// keeps its key across committees (upstream #128).
type roster struct {
	plan  *plan.Plan
	cards []*identity.Card // slot i is cards[i-1]
	ids   []*tss.PartyID   // slot i is ids[i-1]
	// old and new are the committees as tss-lib sorted lists (reshare);
	// for keygen and sign, old holds everyone and new is nil.
	old, new tss.SortedPartyIDs
}

func freshKey(session [32]byte, committee string, index int) *big.Int {
	h := sha256.New()
	h.Write([]byte("coldsig/party-key/v1\x00"))
	h.Write(session[:])
	h.Write([]byte(committee))
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(index))
	h.Write(b[:])
	sum := h.Sum(nil)
	k := new(big.Int).Lsh(big.NewInt(int64(index)), 128)
	return k.Or(k, new(big.Int).SetBytes(sum[:16]))
}

func newRoster(p *plan.Plan) (*roster, error) {
	r := &roster{plan: p, cards: p.Roster()}
	mk := func(slot int, key *big.Int) *tss.PartyID {
		c := r.cards[slot-1]
		// The id string carries the slot so that a PartyID maps back to a
		// slot without searching by key.
		id := tss.NewPartyID(fmt.Sprintf("%d", slot), c.Name, key)
		r.ids = append(r.ids, id)
		return id
	}
	switch p.Protocol {
	case plan.Keygen:
		var ids tss.UnSortedPartyIDs
		for i := range r.cards {
			ids = append(ids, mk(i+1, freshKey(p.Session, "keygen", i+1)))
		}
		r.old = tss.SortPartyIDs(ids)
	case plan.Sign, plan.Reshare:
		var old tss.UnSortedPartyIDs
		members := p.Signers
		if p.Protocol == plan.Reshare {
			members = p.Old
		}
		for i, c := range members {
			kp, ok := p.KeyParty(c.Fingerprint())
			if !ok {
				return nil, fmt.Errorf("%s is not a holder of key %x", c.Name, p.Key.ID)
			}
			old = append(old, mk(i+1, new(big.Int).SetBytes(kp.ShareKey)))
		}
		r.old = tss.SortPartyIDs(old)
		if p.Protocol == plan.Reshare {
			var nw tss.UnSortedPartyIDs
			for j := range p.New {
				slot := len(p.Old) + j + 1
				nw = append(nw, mk(slot, freshKey(p.Session, "reshare-new", j+1)))
			}
			r.new = tss.SortPartyIDs(nw)
		}
	default:
		return nil, fmt.Errorf("unknown protocol %q", p.Protocol)
	}
	// The plan lists committees in key order, so sorting must not have
	// moved anyone; if it did, slots and tss-lib indexes would disagree.
	for _, list := range []tss.SortedPartyIDs{r.old, r.new} {
		for i, id := range list {
			if i > 0 && list[i-1].KeyInt().Cmp(id.KeyInt()) >= 0 {
				return nil, fmt.Errorf("party keys out of order at %s", id.Moniker)
			}
		}
	}
	for i, id := range r.ids {
		if fmt.Sprint(i+1) != id.Id {
			return nil, fmt.Errorf("internal: slot %d has id %s", i+1, id.Id)
		}
	}
	return r, nil
}

// slotOf returns the slot of a tss-lib party id.
func (r *roster) slotOf(id *tss.PartyID) (int, bool) {
	if id == nil {
		return 0, false
	}
	for i, x := range r.ids {
		if x.Id == id.Id && x.KeyInt().Cmp(id.KeyInt()) == 0 {
			return i + 1, true
		}
	}
	return 0, false
}

// role of a slot: keygen/sign members, or the reshare committee it is in.
func (r *roster) role(slot int) Role {
	if r.plan.Protocol != plan.Reshare {
		return RoleMember
	}
	if slot <= len(r.plan.Old) {
		return RoleOld
	}
	return RoleNew
}

// committee returns the slots a phase's inputs come from, excluding me.
func (r *roster) committee(c Committee, me int) []int {
	var out []int
	for s := 1; s <= len(r.ids); s++ {
		if s == me {
			continue
		}
		switch c {
		case FromOld:
			if r.role(s) != RoleOld {
				continue
			}
		case FromNew:
			if r.role(s) != RoleNew {
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// recipients returns the slots a tss-lib message goes to, from its routing.
func (r *roster) recipients(from int, m tss.Message) ([]int, error) {
	routing := m.WireMsg()
	if m.IsBroadcast() || len(m.GetTo()) == 0 {
		var out []int
		switch {
		case r.plan.Protocol != plan.Reshare:
			out = r.committee(FromAll, from)
		case routing.IsToOldAndNewCommittees:
			out = r.committee(FromAll, from)
		case routing.IsToOldCommittee:
			out = r.committee(FromOld, from)
		default:
			out = r.committee(FromNew, from)
		}
		if len(m.GetTo()) > 0 {
			// A reshare broadcast names its committee explicitly.
			out = out[:0]
			for _, to := range m.GetTo() {
				s, ok := r.slotOf(to)
				if !ok {
					return nil, fmt.Errorf("message to unknown party %s", to)
				}
				if s != from {
					out = append(out, s)
				}
			}
		}
		return out, nil
	}
	var out []int
	for _, to := range m.GetTo() {
		s, ok := r.slotOf(to)
		if !ok {
			return nil, fmt.Errorf("message to unknown party %s", to)
		}
		out = append(out, s)
	}
	return out, nil
}

func curveOf(name string) (elliptic.Curve, error) {
	switch name {
	case "secp256k1":
		return tss.S256(), nil
	case "ed25519":
		return tss.Edwards(), nil
	}
	return nil, fmt.Errorf("unknown curve %q", name)
}

// flowName is the protocol name envelopes carry, e.g. "ecdsa-keygen".
func flowName(curve string, p plan.Protocol) string {
	alg := "ecdsa"
	if curve == "ed25519" {
		alg = "eddsa"
	}
	return alg + "-" + string(p)
}
