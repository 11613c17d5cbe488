package admission

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

var (
	preParamsOnce sync.Once
	preParams     [10]ecdsakeygen.LocalPreParams
	preParamsErr  error
)

// testPreParams loads the committed test-only pre-parameters; generating
// safe primes in a test would take minutes.
func testPreParams(t testing.TB, i int) ecdsakeygen.LocalPreParams {
	t.Helper()
	preParamsOnce.Do(func() {
		for j := range preParams {
			path := filepath.Join("..", "..", "testdata", "preparams", fmt.Sprintf("test-only-%d.json", j))
			data, err := os.ReadFile(path)
			if err != nil {
				preParamsErr = err
				return
			}
			if err := json.Unmarshal(data, &preParams[j]); err != nil {
				preParamsErr = fmt.Errorf("%s: %w", path, err)
				return
			}
			if !preParams[j].ValidateWithProof() {
				preParamsErr = fmt.Errorf("%s: incomplete pre-params", path)
				return
			}
		}
	})
	if preParamsErr != nil {
		t.Fatal(preParamsErr)
	}
	return preParams[i]
}

// partyIDs makes n sorted party IDs whose monikers start with prefix, so
// that two committees of one test never share a key.
func partyIDs(prefix string, n int) tss.SortedPartyIDs {
	ids := make(tss.UnSortedPartyIDs, n)
	for i := range ids {
		key, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256))
		if err != nil {
			panic(err)
		}
		name := fmt.Sprintf("%s%d", prefix, i)
		ids[i] = tss.NewPartyID(name, name, key.Add(key, big.NewInt(1)))
	}
	return tss.SortPartyIDs(ids)
}

// wireOf returns what the ceremony engine would carry for msg.
func wireOf(t testing.TB, msg tss.ParsedMessage) []byte {
	t.Helper()
	wire, _, err := msg.WireBytes()
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// wantRejected asserts err is a RejectedError from check naming sender.
func wantRejected(t testing.TB, err error, check string, sender *tss.PartyID) *RejectedError {
	t.Helper()
	var rej *RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("want a RejectedError from the %s check, got %v", check, err)
	}
	if rej.Check != check {
		t.Fatalf("want the %s check to refuse, got %s: %v", check, rej.Check, err)
	}
	if rej.Sender != sender {
		t.Fatalf("culprit is %s, want %s", describe(rej.Sender), describe(sender))
	}
	return rej
}
