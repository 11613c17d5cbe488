package tssparty

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/tss"
)

// A plan that lists a holder under another holder's party key must not
// reach tss-lib: it would sign (or reshare) with x_i at the other holder's
// evaluation point, and the failure would be blamed on an honest peer.
func TestConstructorsRefuseAnotherHoldersShare(t *testing.T) {
	ids := newIDs(t, 3)
	keys := run(t, locals(keygenParties(t, false, ids, 1, nil), false, nil))
	mine, theirs := keys[0].(*eddsaSave), keys[1].(*eddsaSave)
	if mine.ShareID.Cmp(ids[0].KeyInt()) != 0 || theirs.ShareID.Cmp(ids[1].KeyInt()) != 0 {
		t.Fatal("keygen results are not in party order")
	}
	ctx := tss.NewPeerContext(tss.SortedPartyIDs{ids[0], ids[1]})
	params := tss.NewParameters(tss.Edwards(), ctx, ids[0], 2, 1)
	msg := big.NewInt(42)
	if _, err := NewEdDSASign(msg, params, *mine, 1); err != nil {
		t.Fatalf("own share refused: %v", err)
	}
	if _, err := NewEdDSASign(msg, params, *theirs, 1); !errors.Is(err, ErrParams) {
		t.Errorf("signing as party 1 with party 2's share: %v", err)
	}

	newIDs := newIDs(t, 3)
	rs := tss.NewReSharingParameters(tss.Edwards(), ctx, tss.NewPeerContext(newIDs), ids[0], 2, 1, 3, 1)
	if _, err := NewEdDSAReshare(rs, *mine); err != nil {
		t.Fatalf("own share refused in reshare: %v", err)
	}
	if _, err := NewEdDSAReshare(rs, *theirs); !errors.Is(err, ErrParams) {
		t.Errorf("resharing as party 1 with party 2's share: %v", err)
	}
}
