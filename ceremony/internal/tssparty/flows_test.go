package tssparty

import (
	"crypto/sha256"
	"flag"
	"math/big"
	"sync"
	"testing"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

var update = flag.Bool("update", false, "rewrite the golden file testdata/schema/layout-$GOARCH.txt")

type keyset struct {
	ids  tss.SortedPartyIDs
	keys []any // *ecdsakeygen.LocalPartySaveData or *eddsakeygen.LocalPartySaveData, in ids order
}

var (
	ecdsaMu    sync.Mutex
	ecdsaKeys  *keyset
	ecdsaTried bool
)

// sharedECDSAKeygen runs the expensive ECDSA keygen once per test binary
// and hands its output to the signing and resharing tests.
func sharedECDSAKeygen(t testing.TB) *keyset {
	t.Helper()
	ecdsaMu.Lock()
	defer ecdsaMu.Unlock()
	if ecdsaKeys != nil {
		return ecdsaKeys
	}
	if ecdsaTried {
		t.Fatal("the shared ECDSA keygen failed in an earlier test")
	}
	ecdsaTried = true
	ids := newIDs(t, 3)
	ps := keygenParties(t, true, ids, 1, []int{0, 1, 2})
	res := run(t, locals(ps, true, nil))
	verifyECDSAKeys(t, res)
	ecdsaKeys = &keyset{ids: ids, keys: res}
	return ecdsaKeys
}

// TestECDSAKeygen is the 2-of-3 keygen (tss-lib t=1, n=3) that the
// signing and resharing tests reuse. It also runs under -race: math/big
// dominates its cost and is not instrumented, so the race detector adds
// little.
func TestECDSAKeygen(t *testing.T) {
	sharedECDSAKeygen(t)
}

func TestECDSASign(t *testing.T) {
	ks := sharedECDSAKeygen(t)
	pub := verifyECDSAKeys(t, ks.keys)
	digest := sha256.Sum256([]byte("coldsig tssparty ECDSA signing test"))
	ps := signParties(t, true, ks.ids, ks.keys, []int{0, 2}, 1, digest[:])
	res := run(t, locals(ps, true, nil))
	verifyECDSASig(t, pub, digest[:], res)
}

func TestECDSAReshare(t *testing.T) {
	ks := sharedECDSAKeygen(t)
	pub := verifyECDSAKeys(t, ks.keys)
	var before []*big.Int
	for _, k := range ks.keys {
		before = append(before, new(big.Int).Set(k.(*ecdsakeygen.LocalPartySaveData).Xi))
	}
	newIDs := newIDs(t, 3)
	old, nw := reshareParties(t, true, ks.ids, ks.keys, []int{0, 1}, 1, newIDs, 1, []int{3, 4, 5})
	res := run(t, locals(append(old, nw...), true, nil))
	keys := newKeys(t, res, len(old))
	newPub := verifyECDSAKeys(t, keys)
	if newPub.X.Cmp(pub.X) != 0 || newPub.Y.Cmp(pub.Y) != 0 {
		t.Fatal("reshared key has another public key")
	}
	// Round 5 zeroed the old members' Xi inside their parties; the
	// caller's key data must be untouched.
	for i, k := range ks.keys {
		if k.(*ecdsakeygen.LocalPartySaveData).Xi.Cmp(before[i]) != 0 {
			t.Fatalf("resharing changed the caller's key share %d", i)
		}
	}
	digest := sha256.Sum256([]byte("signed by the new committee"))
	ps := signParties(t, true, newIDs, keys, []int{1, 2}, 1, digest[:])
	verifyECDSASig(t, pub, digest[:], run(t, locals(ps, true, nil)))
}

func TestEdDSAFlows(t *testing.T) {
	ids := newIDs(t, 3)
	keys := run(t, locals(keygenParties(t, false, ids, 1, nil), true, nil))
	pub := verifyEdDSAKeys(t, keys)

	msg := []byte("\x00\x00coldsig EdDSA message with leading zero bytes")
	verifyEdDSASig(t, pub, msg, run(t, locals(signParties(t, false, ids, keys, []int{0, 1}, 1, msg), true, nil)))

	// 2-of-3 to 3-of-4, with fresh party keys for the new committee.
	var before []*big.Int
	for _, k := range keys {
		before = append(before, new(big.Int).Set(k.(*eddsaSave).Xi))
	}
	newIDs := newIDs(t, 4)
	old, nw := reshareParties(t, false, ids, keys, []int{1, 2}, 1, newIDs, 2, nil)
	newKeys := newKeys(t, run(t, locals(append(old, nw...), true, nil)), len(old))
	if got := verifyEdDSAKeys(t, newKeys); !pub.Equal(got) {
		t.Fatal("reshared key has another public key")
	}
	for i, k := range keys {
		if k.(*eddsaSave).Xi.Cmp(before[i]) != 0 {
			t.Fatalf("resharing changed the caller's key share %d", i)
		}
	}
	msg2 := []byte("signed by 3 of the new 4")
	verifyEdDSASig(t, pub, msg2, run(t, locals(signParties(t, false, newIDs, newKeys, []int{0, 2, 3}, 2, msg2), true, nil)))
}
