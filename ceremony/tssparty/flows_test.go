package tssparty

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/internal/atomicfile"
)

var update = flag.Bool("update", false, "rewrite the golden files: testdata/schema/layout-$GOARCH.txt and, from a live keygen, "+fixturePath)

// fixturePath holds the output of one ECDSA 2-of-3 keygen made with the
// public test-only pre-parameters: TEST ONLY, the key is compromised by
// construction. The -race run uses it instead of a live keygen (which costs
// ~17 s of CPU without the race detector and several times that with it);
// every other run makes the key live and checks it against the protocol.
const fixturePath = "testdata/ecdsa-keygen-2of3.json"

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
func sharedECDSAKeygen(t *testing.T) *keyset {
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
	if raceEnabled {
		ecdsaKeys = loadECDSAFixture(t)
		return ecdsaKeys
	}
	ids := newIDs(t, 3)
	ps := keygenParties(t, true, ids, 1, []int{0, 1, 2})
	res := run(t, locals(ps, true, nil))
	verifyECDSAKeys(t, res)
	if *update {
		b, err := json.MarshalIndent(res, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(fixturePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.Write(fixturePath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ecdsaKeys = &keyset{ids: ids, keys: res}
	return ecdsaKeys
}

func loadECDSAFixture(t *testing.T) *keyset {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	var saves []*ecdsakeygen.LocalPartySaveData
	if err := json.Unmarshal(b, &saves); err != nil {
		t.Fatal(err)
	}
	if len(saves) != 3 {
		t.Fatalf("%s: want 3 key shares, got %d", fixturePath, len(saves))
	}
	// Party keys are the share IDs; Ks lists them in party order.
	var u tss.UnSortedPartyIDs
	for i, k := range saves[0].Ks {
		u = append(u, tss.NewPartyID(hex.EncodeToString(k.Bytes()), fmt.Sprintf("P%d", i+1), k))
	}
	ids := tss.SortPartyIDs(u)
	keys := make([]any, 3)
	for _, s := range saves {
		i, err := s.OriginalIndex()
		if err != nil || ids[i].KeyInt().Cmp(s.ShareID) != 0 {
			t.Fatalf("%s: share does not match its party", fixturePath)
		}
		keys[i] = s
	}
	verifyECDSAKeys(t, keys)
	return &keyset{ids: ids, keys: keys}
}

func TestECDSAKeygen(t *testing.T) {
	if raceEnabled {
		t.Skip("ECDSA keygen runs live only without -race; the -race run uses " + fixturePath)
	}
	sharedECDSAKeygen(t)
}

func TestECDSAKeygenFixture(t *testing.T) {
	loadECDSAFixture(t)
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
