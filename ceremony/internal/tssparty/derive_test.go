package tssparty

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/keyshare"
)

// derived returns, for the shared key and a random chain code, the tweak of
// path (from our derivation) and the child public key as btcutil's
// hdkeychain, an independent BIP32 implementation, derives it.
func derived(t *testing.T, key *ecdsakeygen.LocalPartySaveData, path hd.Path) (*big.Int, *ecdsa.PublicKey) {
	t.Helper()
	pub, err := keyshare.PublicFromECDSA(key)
	if err != nil {
		t.Fatal(err)
	}
	var cc [32]byte
	rand.Read(cc[:])
	m, err := hd.Master(pub, cc)
	if err != nil {
		t.Fatal(err)
	}
	_, delta, err := m.Derive(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := hdkeychain.NewKeyFromString(m.XPub())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range path {
		if ref, err = ref.Derive(i); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := ref.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	return delta, rp.ToECDSA()
}

func derivedSignParties(t *testing.T, ks *keyset, signers []int, digest []byte, delta *big.Int, child *ecdsa.PublicKey) []*Party {
	t.Helper()
	var sel tss.UnSortedPartyIDs
	for _, i := range signers {
		sel = append(sel, tss.NewPartyID(ks.ids[i].Id, ks.ids[i].Moniker, ks.ids[i].KeyInt()))
	}
	sorted := tss.SortPartyIDs(sel)
	ctx := tss.NewPeerContext(sorted)
	var ps []*Party
	for _, id := range sorted {
		var key *ecdsakeygen.LocalPartySaveData
		for j := range ks.ids {
			if bytes.Equal(ks.ids[j].Key, id.Key) {
				key = ks.keys[j].(*ecdsakeygen.LocalPartySaveData)
			}
		}
		params := tss.NewParameters(tss.S256(), ctx, id, len(sorted), 1)
		p, err := NewECDSASignDerived(new(big.Int).SetBytes(digest), params, *key, len(digest), delta, child)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestECDSASignDerived signs with a BIP32 child key (KDD), every party
// snapshotted and restored before every step, and verifies the signature
// with crypto/ecdsa under the child key hdkeychain derives.
func TestECDSASignDerived(t *testing.T) {
	ks := sharedECDSAKeygen(t)
	key := ks.keys[0].(*ecdsakeygen.LocalPartySaveData)
	before, err := CopyECDSAKey(*key)
	if err != nil {
		t.Fatal(err)
	}
	delta, child := derived(t, key, hd.Path{0, 7})
	digest := sha256.Sum256([]byte("coldsig tssparty derived signing test"))
	ps := derivedSignParties(t, ks, []int{1, 2}, digest[:], delta, child)
	res := run(t, locals(ps, true, nil))
	verifyECDSASig(t, child, digest[:], res)
	// The caller's key is untouched (the party shifted a copy).
	if !key.ECDSAPub.Equals(before.ECDSAPub) || !key.BigXj[0].Equals(before.BigXj[0]) || key.Xi.Cmp(before.Xi) != 0 {
		t.Fatal("derivation changed the caller's key")
	}
}

func TestECDSASignDerivedRefusesWrongChild(t *testing.T) {
	ks := sharedECDSAKeygen(t)
	key := ks.keys[0].(*ecdsakeygen.LocalPartySaveData)
	delta, _ := derived(t, key, hd.Path{1})
	_, other := derived(t, key, hd.Path{2})
	id := ks.ids[0]
	sel := tss.SortPartyIDs(tss.UnSortedPartyIDs{
		tss.NewPartyID(id.Id, id.Moniker, id.KeyInt()),
		tss.NewPartyID(ks.ids[1].Id, ks.ids[1].Moniker, ks.ids[1].KeyInt()),
	})
	params := tss.NewParameters(tss.S256(), tss.NewPeerContext(sel), sel[0], 2, 1)
	_, err := NewECDSASignDerived(big.NewInt(5), params, *key, 32, delta, other)
	if !errors.Is(err, ErrParams) {
		t.Fatalf("a child key that is not key + tweak was accepted: %v", err)
	}
	_, err = NewECDSASignDerived(big.NewInt(5), params, *key, 32, nil, other)
	if !errors.Is(err, ErrParams) {
		t.Fatalf("a child key without a tweak was accepted: %v", err)
	}
}

// TestBatchSnapshot snapshots the parties of one signer's batch (items
// with and without a derivation) as one state, restores them, and checks
// each against the live party and a byte-identical re-snapshot.
func TestBatchSnapshot(t *testing.T) {
	ks := sharedECDSAKeygen(t)
	key := ks.keys[0].(*ecdsakeygen.LocalPartySaveData)
	delta, child := derived(t, key, hd.Path{4})
	var batch []*Party
	for i := 0; i < 3; i++ {
		d := sha256.Sum256([]byte{byte(i)})
		var ps []*Party
		if i == 1 {
			ps = derivedSignParties(t, ks, []int{0, 1}, d[:], delta, child)
		} else {
			ps = signParties(t, true, ks.ids, ks.keys, []int{0, 1}, 1, d[:])
		}
		if _, err := ps[0].Start(); err != nil {
			t.Fatal(err)
		}
		batch = append(batch, ps[0])
	}
	data, err := SnapshotBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	back, err := RestoreBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(batch) {
		t.Fatalf("restored %d parties, want %d", len(back), len(batch))
	}
	for i := range batch {
		if err := Compare(batch[i], back[i]); err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	again, err := SnapshotBatch(back)
	if err != nil || !bytes.Equal(again, data) {
		t.Fatalf("re-snapshot differs (%v)", err)
	}
	// A single-party snapshot is not a batch, and the other way round.
	one, _ := batch[0].Snapshot()
	if _, err := RestoreBatch(one); err == nil {
		t.Fatal("a single-party snapshot restored as a batch")
	}
	if _, err := Restore(data); err == nil {
		t.Fatal("a batch restored as one party")
	}
}
