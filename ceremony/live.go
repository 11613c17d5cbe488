package ceremony

import (
	stdecdsa "crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/coldsig/coldsig/ceremony/internal/tssparty"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// liveParty is this party's tss-lib parties in memory during one
// invocation, with what they produced so far: one per item of a signing
// (a batch signs N items with N parties stepped together, each with its
// own nonces), one for keygen and resharing.
type liveParty struct {
	tps []*tssparty.Party
	out [][]tss.Message
	res []any
}

func newLive(tps []*tssparty.Party) *liveParty {
	return &liveParty{tps: tps, out: make([][]tss.Message, len(tps)), res: make([]any, len(tps))}
}

// start runs round 1 of every item and returns each item's messages.
func (lp *liveParty) start() ([][]tss.Message, error) {
	out := make([][]tss.Message, len(lp.tps))
	for i, tp := range lp.tps {
		msgs, err := tp.Start()
		if err != nil {
			return nil, err
		}
		out[i] = msgs
	}
	return out, nil
}

// feedOne delivers one checked message to item i's party.
func (lp *liveParty) feedOne(i int, from *tss.PartyID, wire []byte, isBroadcast bool) error {
	out, res, err := lp.tps[i].Feed([]tssparty.Inbound{{From: from, Wire: wire, IsBroadcast: isBroadcast}})
	lp.out[i] = append(lp.out[i], out...)
	if res != nil {
		lp.res[i] = res
	}
	return err
}

// drain returns every message each item's party produced during this
// invocation.
func (lp *liveParty) drain() [][]tss.Message {
	all := make([][]tss.Message, len(lp.tps))
	for i, tp := range lp.tps {
		out, res := tp.Drain()
		if res != nil {
			lp.res[i] = res
		}
		all[i] = append(lp.out[i], out...)
		lp.out[i] = nil
	}
	return all
}

// rounds returns the tss-lib round every item's party is in; they advance
// together, since every envelope carries a message for every item.
func (lp *liveParty) round() (int, error) {
	r := -1
	for i, tp := range lp.tps {
		n, err := tssRound(tp.P)
		if err != nil {
			return 0, err
		}
		if r >= 0 && n != r {
			return 0, fmt.Errorf("internal: item %d is in round %d, item 1 in round %d", i+1, n, r)
		}
		r = n
	}
	return r, nil
}

// waitingFor lists the parties any item still waits for.
func (lp *liveParty) waitingFor() []*tss.PartyID {
	seen := map[string]bool{}
	var out []*tss.PartyID
	for _, tp := range lp.tps {
		for _, id := range tp.P.WaitingFor() {
			if !seen[string(id.Key)] {
				seen[string(id.Key)] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// result is the parties' results once every item finished, else nil. An
// item finishing without the others is an internal error: they advance in
// lockstep.
func (lp *liveParty) result() (*tssResult, error) {
	done := 0
	for i, tp := range lp.tps {
		if lp.res[i] == nil {
			if _, res := tp.Drain(); res != nil {
				lp.res[i] = res
			}
		}
		if lp.res[i] != nil {
			done++
		}
	}
	if done == 0 {
		return nil, nil
	}
	if done != len(lp.tps) {
		return nil, fmt.Errorf("internal: %d of %d items finished", done, len(lp.tps))
	}
	out := &tssResult{}
	for _, r := range lp.res {
		switch r := r.(type) {
		case *ecdsakeygen.LocalPartySaveData:
			out.ecdsaKey = r
		case *eddsakeygen.LocalPartySaveData:
			out.eddsaKey = r
		case *common.SignatureData:
			out.sigs = append(out.sigs, r)
		default:
			return nil, fmt.Errorf("internal: unexpected tss-lib result %T", r)
		}
	}
	if (out.ecdsaKey != nil || out.eddsaKey != nil) && len(lp.res) != 1 {
		return nil, errors.New("internal: a key result from a batch")
	}
	return out, nil
}

func (lp *liveParty) snapshot() ([]byte, error) { return tssparty.SnapshotBatch(lp.tps) }

func restoreParty(data []byte, items int) (*liveParty, error) {
	tps, err := tssparty.RestoreBatch(data)
	if err != nil {
		return nil, err
	}
	if len(tps) != items {
		return nil, fmt.Errorf("%w: the state holds %d parties, the plan %d items", errStateMismatch, len(tps), items)
	}
	return newLive(tps), nil
}

var errStateMismatch = errors.New("state does not match the plan")

// startInputs is what Join needs besides the plan and identity.
type startInputs struct {
	preParams *ecdsakeygen.LocalPreParams
	share     *keyshare.Share
}

// newParty builds this party's tss-lib LocalParty for the session.
func (s *session) newParty(in startInputs) (*liveParty, error) {
	curve, err := curveOf(s.plan.Curve)
	if err != nil {
		return nil, err
	}
	p := s.plan
	me := s.roster.ids[s.me-1]
	ecdsa := p.Curve == "secp256k1"
	var tp *tssparty.Party
	switch p.Protocol {
	case plan.Keygen:
		params := tss.NewParameters(curve, tss.NewPeerContext(s.roster.old), me, len(s.roster.old), p.Threshold-1)
		if ecdsa {
			if in.preParams == nil || !in.preParams.ValidateWithProof() {
				return nil, errors.New("ECDSA keygen needs valid pre-parameters (coldsig preparams)")
			}
			tp, err = tssparty.NewECDSAKeygen(params, *in.preParams)
		} else {
			tp, err = tssparty.NewEdDSAKeygen(params)
		}
	case plan.Sign:
		// One party per item, each with its own parameters object (tss-lib
		// reads them only; separate objects keep the parties independent)
		// and its own fresh nonces.
		var tps []*tssparty.Party
		for i := range p.Items {
			params := tss.NewParameters(curve, tss.NewPeerContext(s.roster.old), me, len(s.roster.old), p.Key.Threshold-1)
			msg := p.SignedBytes(i)
			m := new(big.Int).SetBytes(msg)
			if ecdsa {
				var delta *big.Int
				var child *stdecdsa.PublicKey
				if p.Items[i].Path != nil {
					pub, d, err := p.SigningKey(i)
					if err != nil {
						return nil, fmt.Errorf("item %d: %w", i+1, err)
					}
					pk, err := btcec.ParsePubKey(pub)
					if err != nil {
						return nil, fmt.Errorf("item %d: child key: %w", i+1, err)
					}
					delta, child = d, pk.ToECDSA()
				}
				tp, err = tssparty.NewECDSASignDerived(m, params, *in.share.ECDSA, len(msg), delta, child)
			} else {
				tp, err = tssparty.NewEdDSASign(m, params, *in.share.EdDSA, len(msg))
			}
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			tps = append(tps, tp)
		}
		return newLive(tps), nil
	case plan.Reshare:
		oldCtx, newCtx := tss.NewPeerContext(s.roster.old), tss.NewPeerContext(s.roster.new)
		params := tss.NewReSharingParameters(curve, oldCtx, newCtx, me,
			len(s.roster.old), p.Key.Threshold-1, len(s.roster.new), p.Threshold-1)
		if s.role == RoleOld {
			if ecdsa {
				tp, err = tssparty.NewECDSAReshare(params, *in.share.ECDSA)
			} else {
				tp, err = tssparty.NewEdDSAReshare(params, *in.share.EdDSA)
			}
		} else if ecdsa {
			if in.preParams == nil || !in.preParams.ValidateWithProof() {
				return nil, errors.New("a new committee member of an ECDSA reshare needs valid pre-parameters (coldsig preparams)")
			}
			save := ecdsakeygen.NewLocalPartySaveData(len(s.roster.new))
			save.LocalPreParams = *in.preParams
			tp, err = tssparty.NewECDSAReshare(params, save)
		} else {
			tp, err = tssparty.NewEdDSAReshare(params, eddsakeygen.NewLocalPartySaveData(len(s.roster.new)))
		}
	default:
		return nil, fmt.Errorf("unknown protocol %q", p.Protocol)
	}
	if err != nil {
		return nil, err
	}
	return newLive([]*tssparty.Party{tp}), nil
}

// results of finished tss-lib parties: a key, or one signature per item.
type tssResult struct {
	ecdsaKey *ecdsakeygen.LocalPartySaveData
	eddsaKey *eddsakeygen.LocalPartySaveData
	sigs     []*common.SignatureData
}
