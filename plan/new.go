package plan

import (
	"crypto/rand"
	"sort"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/txn"
)

// NewKeygen plans a distributed key generation: parties, in the given order
// (it becomes the key's party order), make a threshold-of-len(parties) key
// on curve. threshold is the number of signers needed (2 for 2-of-3).
func NewKeygen(curve string, threshold int, parties []*identity.Card) (*Plan, error) {
	p := &Plan{Protocol: Keygen, Curve: curve, Threshold: threshold, Parties: clone(parties)}
	return finish(p)
}

// NewSign plans a signing of payload with key by signers. Each signer must
// hold a share of key (matched by card fingerprint); at least the key's
// threshold of them. Signers are put in key party order, so the same set of
// signers gives the same plan content whatever order they are named in.
func NewSign(key *keyshare.Public, signers []*identity.Card, payload *Payload) (*Plan, error) {
	if payload == nil {
		return nil, invalid(ErrPayload, "nothing to sign")
	}
	return NewSignItems(key, signers, []*Item{NewItem(payload, nil)})
}

// NewSignItems plans a signing of several items (a batch) in the same
// rounds: one signature per item, in order.
func NewSignItems(key *keyshare.Public, signers []*identity.Card, items []*Item) (*Plan, error) {
	p, err := newSign(key, signers)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, invalid(ErrPayload, "nothing to sign")
	}
	p.Items = items
	return finish(p)
}

// NewSignTx plans the signing of a transaction: its bytes are bound by
// the plan, and its items are the signatures it needs from this key (one
// per PSBT input of the key, one for an Ethereum transaction or typed
// data), derived from those bytes.
func NewSignTx(key *keyshare.Public, signers []*identity.Card, req *txn.Request) (*Plan, error) {
	p, err := newSign(key, signers)
	if err != nil {
		return nil, err
	}
	if p.Curve != keyshare.CurveSecp256k1 {
		return nil, invalid(ErrTransaction, "key %x is an %s key; transactions are signed with secp256k1 keys", p.Key.ID, p.Curve)
	}
	p.Tx = req
	a, err := p.AnalyzeTx()
	if err != nil {
		return nil, err
	}
	if len(a.Signings) > MaxItems {
		return nil, invalid(ErrTooMany, "the transaction needs %d signatures by this key; at most %d fit in one plan (split it)", len(a.Signings), MaxItems)
	}
	for _, s := range a.Signings {
		pl := &Payload{Kind: PayloadKind(s.Kind), Digest: s.Digest}
		if s.Input > 0 {
			pl.Input = s.Input
		}
		p.Items = append(p.Items, NewItem(pl, s.Path))
	}
	return finish(p)
}

func newSign(key *keyshare.Public, signers []*identity.Card) (*Plan, error) {
	k, err := keyFromPublic(key)
	if err != nil {
		return nil, err
	}
	p := &Plan{Protocol: Sign, Curve: key.Curve, Threshold: k.Threshold, Key: k}
	if err := p.givenHolders("signer", signers); err != nil {
		return nil, err
	}
	p.Signers = p.inKeyOrder(signers)
	return p, nil
}

// NewReshare plans moving key to a new committee: old (current holders
// taking part, at least the key's threshold) hand over to newCommittee, in
// the given order, with the new threshold. A continuing member appears in
// both lists with the same card; a refresh is old == new.
func NewReshare(key *keyshare.Public, old, newCommittee []*identity.Card, threshold int) (*Plan, error) {
	k, err := keyFromPublic(key)
	if err != nil {
		return nil, err
	}
	p := &Plan{Protocol: Reshare, Curve: key.Curve, Threshold: threshold, Key: k, New: clone(newCommittee)}
	if err := p.givenHolders("old member", old); err != nil {
		return nil, err
	}
	p.Old = p.inKeyOrder(old)
	return finish(p)
}

func finish(p *Plan) (*Plan, error) {
	if _, err := rand.Read(p.Session[:]); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func clone(cards []*identity.Card) []*identity.Card { return append([]*identity.Card(nil), cards...) }

// inKeyOrder sorts cards by their index in the key; cards that hold no share
// go last, in their given order, for Validate to name.
func (p *Plan) inKeyOrder(cards []*identity.Card) []*identity.Card {
	out := clone(cards)
	idx := func(c *identity.Card) int {
		if c == nil || c.Validate() != nil {
			return MaxParties + 1
		}
		if kp, ok := p.KeyParty(c.Fingerprint()); ok {
			return kp.Index
		}
		return MaxParties + 1
	}
	sort.SliceStable(out, func(i, j int) bool { return idx(out[i]) < idx(out[j]) })
	return out
}

// givenHolders refuses a card that holds no share of the key, numbered as
// the caller gave it (Validate sees the sorted list).
func (p *Plan) givenHolders(what string, cards []*identity.Card) error {
	for i, c := range cards {
		if c == nil || c.Validate() != nil {
			continue // Validate names it
		}
		if _, ok := p.KeyParty(c.Fingerprint()); !ok {
			return invalid(ErrNotHolder, "%s %d %q (card %s) is not a holder of key %x; only the key's own parties can take part", what, i+1, c.Name, c.FingerprintWords(), p.Key.ID)
		}
	}
	return nil
}
