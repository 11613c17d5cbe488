package admission

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsaresharing "github.com/bnb-chain/tss-lib/v2/eddsa/resharing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// node is one in-process party with the admission parameters its ceremony
// engine would use.
type node struct {
	id     *tss.PartyID
	party  tss.Party
	params Params
}

// network delivers every message the parties emit, passing it through
// Check at each recipient first, exactly as the ceremony engine does, until
// finished reports that every party has produced its result. It returns how
// many deliveries were checked, per message type.
func network(t *testing.T, nodes []*node, out chan tss.Message, errs chan *tss.Error, finished func() bool) map[string]int {
	t.Helper()
	byID := make(map[string]*node, len(nodes))
	for _, n := range nodes {
		byID[n.id.Id] = n
	}
	for _, n := range nodes {
		if err := n.party.Start(); err != nil {
			t.Fatalf("start %s: %v", n.id.Id, err)
		}
	}
	checked := make(map[string]int)
	for !finished() {
		select {
		case err := <-errs:
			t.Fatalf("tss-lib: %v", err)
		case msg := <-out:
			wire, routing, err := msg.WireBytes()
			if err != nil {
				t.Fatal(err)
			}
			var to []*node
			if routing.To == nil {
				for _, n := range nodes {
					if n.id.Id != routing.From.Id {
						to = append(to, n)
					}
				}
			} else {
				for _, id := range routing.To {
					if id.Id != routing.From.Id {
						to = append(to, byID[id.Id])
					}
				}
			}
			for _, n := range to {
				if err := Check(n.params, wire, routing.From, routing.IsBroadcast); err != nil {
					t.Fatalf("honest %s from %s to %s refused: %v", msg.Type(), routing.From.Id, n.id.Id, err)
				}
				checked[msg.Type()]++
				if _, err := n.party.UpdateFromBytes(wire, routing.From, routing.IsBroadcast); err != nil {
					t.Fatalf("tss-lib at %s: %v", n.id.Id, err)
				}
			}
		}
	}
	return checked
}

// wantChecked asserts that every message type of the flow went through
// Check at least once, so a run that silently skipped a round cannot pass.
func wantChecked(t *testing.T, checked map[string]int, types ...string) {
	t.Helper()
	for _, typ := range types {
		if checked[typ] == 0 {
			t.Errorf("no %s was checked (checked: %v)", typ, checked)
		}
	}
}

// TestHonestECDSARunPasses runs a real 2-of-2 ECDSA keygen and signing with
// proofs on, every delivery checked, and verifies the signature.
func TestHonestECDSARunPasses(t *testing.T) {
	const n, threshold = 2, 1
	ids := partyIDs("ecdsa-", n)
	ctx := tss.NewPeerContext(ids)
	out := make(chan tss.Message, 1000)
	errs := make(chan *tss.Error, n)
	end := make(chan *ecdsakeygen.LocalPartySaveData, n)
	var nodes []*node
	for i, id := range ids {
		params := tss.NewParameters(tss.S256(), ctx, id, n, threshold)
		nodes = append(nodes, &node{
			id:     id,
			party:  ecdsakeygen.NewLocalParty(params, out, end, testPreParams(t, i)),
			params: Params{Flow: ECDSAKeygen, Threshold: threshold, PartyCount: n, Tracker: NewTracker(n)},
		})
	}
	var keys []*ecdsakeygen.LocalPartySaveData
	checked := network(t, nodes, out, errs, func() bool {
		for len(end) > 0 {
			keys = append(keys, <-end)
		}
		return len(keys) == n
	})
	wantChecked(t, checked, "binance.tsslib.ecdsa.keygen.KGRound1Message",
		"binance.tsslib.ecdsa.keygen.KGRound2Message1", "binance.tsslib.ecdsa.keygen.KGRound2Message2",
		"binance.tsslib.ecdsa.keygen.KGRound3Message")

	byIndex := make([]*ecdsakeygen.LocalPartySaveData, n)
	for _, k := range keys {
		idx, err := k.OriginalIndex()
		if err != nil {
			t.Fatal(err)
		}
		byIndex[idx] = k
	}
	digest := sha256.Sum256([]byte("admission honest run"))
	msg := new(big.Int).SetBytes(digest[:])
	sigEnd := make(chan *common.SignatureData, n)
	nodes = nodes[:0]
	for i, id := range ids {
		key := ecdsakeygen.BuildLocalSaveDataSubset(*byIndex[i], ids)
		moduli := make([]*big.Int, n)
		for j, pk := range key.PaillierPKs {
			moduli[j] = pk.N
		}
		params := tss.NewParameters(tss.S256(), ctx, id, n, threshold)
		nodes = append(nodes, &node{
			id:     id,
			party:  ecdsasigning.NewLocalParty(msg, params, key, out, sigEnd),
			params: Params{Flow: ECDSASigning, Threshold: threshold, PartyCount: n, PaillierN: moduli},
		})
	}
	var sigs []*common.SignatureData
	checked = network(t, nodes, out, errs, func() bool {
		for len(sigEnd) > 0 {
			sigs = append(sigs, <-sigEnd)
		}
		return len(sigs) == n
	})
	wantChecked(t, checked, "binance.tsslib.ecdsa.signing.SignRound1Message1",
		"binance.tsslib.ecdsa.signing.SignRound2Message", "binance.tsslib.ecdsa.signing.SignRound9Message")
	pub := byIndex[0].ECDSAPub
	pk := ecdsa.PublicKey{Curve: tss.S256(), X: pub.X(), Y: pub.Y()}
	if !ecdsa.Verify(&pk, digest[:], new(big.Int).SetBytes(sigs[0].R), new(big.Int).SetBytes(sigs[0].S)) {
		t.Fatal("signature from the checked run does not verify")
	}
}

// TestHonestEdDSARunPasses runs a real 2-of-3 EdDSA keygen, signing, and
// resharing to a fresh 2-of-3 committee, every delivery checked.
func TestHonestEdDSARunPasses(t *testing.T) {
	const n, threshold = 3, 1
	ids := partyIDs("eddsa-", n)
	ctx := tss.NewPeerContext(ids)
	out := make(chan tss.Message, 1000)
	errs := make(chan *tss.Error, 2*n)
	end := make(chan *eddsakeygen.LocalPartySaveData, 2*n)
	var nodes []*node
	for _, id := range ids {
		params := tss.NewParameters(tss.Edwards(), ctx, id, n, threshold)
		nodes = append(nodes, &node{
			id:     id,
			party:  eddsakeygen.NewLocalParty(params, out, end),
			params: Params{Flow: EdDSAKeygen, Threshold: threshold, PartyCount: n},
		})
	}
	var keys []*eddsakeygen.LocalPartySaveData
	checked := network(t, nodes, out, errs, func() bool {
		for len(end) > 0 {
			keys = append(keys, <-end)
		}
		return len(keys) == n
	})
	wantChecked(t, checked, "binance.tsslib.eddsa.keygen.KGRound1Message",
		"binance.tsslib.eddsa.keygen.KGRound2Message1", "binance.tsslib.eddsa.keygen.KGRound2Message2")
	byIndex := make([]*eddsakeygen.LocalPartySaveData, n)
	for _, k := range keys {
		idx, err := k.OriginalIndex()
		if err != nil {
			t.Fatal(err)
		}
		byIndex[idx] = k
	}

	// Signing with the first two parties.
	signers := tss.SortPartyIDs(tss.UnSortedPartyIDs{ids[0], ids[1]})
	sctx := tss.NewPeerContext(signers)
	sigEnd := make(chan *common.SignatureData, n)
	nodes = nodes[:0]
	for _, id := range signers {
		key := eddsakeygen.BuildLocalSaveDataSubset(*byIndex[id.Index], signers)
		params := tss.NewParameters(tss.Edwards(), sctx, id, len(signers), threshold)
		nodes = append(nodes, &node{
			id:     id,
			party:  eddsasigning.NewLocalParty(big.NewInt(42), params, key, out, sigEnd),
			params: Params{Flow: EdDSASigning, Threshold: threshold, PartyCount: len(signers)},
		})
	}
	var sigs int
	checked = network(t, nodes, out, errs, func() bool {
		for len(sigEnd) > 0 {
			<-sigEnd
			sigs++
		}
		return sigs == len(signers)
	})
	wantChecked(t, checked, "binance.tsslib.eddsa.signing.SignRound1Message",
		"binance.tsslib.eddsa.signing.SignRound3Message")

	// Resharing from all three to a new committee of three.
	newIDs := partyIDs("eddsa-new-", n)
	newCtx := tss.NewPeerContext(newIDs)
	shareParams := Params{Flow: EdDSAResharing, Threshold: threshold, PartyCount: n, NewThreshold: threshold, NewPartyCount: n}
	nodes = nodes[:0]
	for i, id := range ids {
		params := tss.NewReSharingParameters(tss.Edwards(), ctx, newCtx, id, n, threshold, n, threshold)
		nodes = append(nodes, &node{id: id, party: eddsaresharing.NewLocalParty(params, *byIndex[i], out, end), params: shareParams})
	}
	for _, id := range newIDs {
		params := tss.NewReSharingParameters(tss.Edwards(), ctx, newCtx, id, n, threshold, n, threshold)
		key := eddsakeygen.NewLocalPartySaveData(n)
		nodes = append(nodes, &node{id: id, party: eddsaresharing.NewLocalParty(params, key, out, end), params: shareParams})
	}
	var reshared int
	checked = network(t, nodes, out, errs, func() bool {
		for len(end) > 0 {
			<-end
			reshared++
		}
		return reshared == 2*n
	})
	wantChecked(t, checked, "binance.tsslib.eddsa.resharing.DGRound1Message",
		"binance.tsslib.eddsa.resharing.DGRound2Message", "binance.tsslib.eddsa.resharing.DGRound3Message1",
		"binance.tsslib.eddsa.resharing.DGRound3Message2", "binance.tsslib.eddsa.resharing.DGRound4Message")
}
