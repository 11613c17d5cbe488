package ceremony

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/ceremony/internal/tssparty"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// liveParty is a tss-lib party in memory during one invocation, with what
// it produced so far.
type liveParty struct {
	tp  *tssparty.Party
	out []tss.Message
	res any
}

func (lp *liveParty) start() ([]tss.Message, error) { return lp.tp.Start() }

// feedOne delivers one checked message.
func (lp *liveParty) feedOne(from *tss.PartyID, wire []byte, isBroadcast bool) error {
	out, res, err := lp.tp.Feed([]tssparty.Inbound{{From: from, Wire: wire, IsBroadcast: isBroadcast}})
	lp.out = append(lp.out, out...)
	if res != nil {
		lp.res = res
	}
	return err
}

// drain returns every message the party produced during this invocation.
func (lp *liveParty) drain() []tss.Message {
	out, res := lp.tp.Drain()
	if res != nil {
		lp.res = res
	}
	all := append(lp.out, out...)
	lp.out = nil
	return all
}

// result is the party's result once the protocol finished, else nil.
func (lp *liveParty) result() (*tssResult, error) {
	if lp.res == nil {
		_, res := lp.tp.Drain()
		if res == nil {
			return nil, nil
		}
		lp.res = res
	}
	switch r := lp.res.(type) {
	case *ecdsakeygen.LocalPartySaveData:
		return &tssResult{ecdsaKey: r}, nil
	case *eddsakeygen.LocalPartySaveData:
		return &tssResult{eddsaKey: r}, nil
	case *common.SignatureData:
		return &tssResult{sig: r}, nil
	}
	return nil, fmt.Errorf("internal: unexpected tss-lib result %T", lp.res)
}

func (lp *liveParty) snapshot() ([]byte, error) { return lp.tp.Snapshot() }

func restoreParty(data []byte) (*liveParty, error) {
	tp, err := tssparty.Restore(data)
	if err != nil {
		return nil, err
	}
	return &liveParty{tp: tp}, nil
}

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
		params := tss.NewParameters(curve, tss.NewPeerContext(s.roster.old), me, len(s.roster.old), p.Key.Threshold-1)
		msg := p.SignedBytes()
		m := new(big.Int).SetBytes(msg)
		if ecdsa {
			tp, err = tssparty.NewECDSASign(m, params, *in.share.ECDSA, len(msg))
		} else {
			tp, err = tssparty.NewEdDSASign(m, params, *in.share.EdDSA, len(msg))
		}
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
	return &liveParty{tp: tp}, nil
}

// results of a finished tss-lib party, exactly one set.
type tssResult struct {
	ecdsaKey *ecdsakeygen.LocalPartySaveData
	eddsaKey *eddsakeygen.LocalPartySaveData
	sig      *common.SignatureData
}
