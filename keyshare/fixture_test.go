package keyshare

import (
	"crypto/rand"
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

	"filippo.io/age"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// -update-fixtures regenerates testdata/keys: three test-only identities
// and a real 2-of-3 keygen per curve. ECDSA keygen costs ~20 s of CPU, so
// normal runs read the committed files instead.
var updateFixtures = flag.Bool("update-fixtures", false, "regenerate testdata/keys (slow)")

var fixtureNames = []string{"alice", "bob", "carol"}

const keysDir = "../testdata/keys"

func TestUpdateFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to regenerate testdata/keys")
	}
	var ids []*age.X25519Identity
	for _, name := range fixtureNames {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		body := fmt.Sprintf("# TEST ONLY: published in the coldsig repository; never use for a real key.\n# party %s\n%s\n", name, id)
		if err := os.WriteFile(filepath.Join(keysDir, "test-only-"+name+".key"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, curve := range []string{CurveSecp256k1, CurveEd25519} {
		shares, pub := runKeygen(t, curve, 2, 3)
		dir := filepath.Join(keysDir, fixtureDir(curve))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		pj, err := pub.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "public.json"), pj, 0o644); err != nil {
			t.Fatal(err)
		}
		for i, s := range shares {
			sealed, err := SealShare(s, ids[i].Recipient())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("share-%d.age", i+1)), sealed, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func fixtureDir(curve string) string {
	if curve == CurveSecp256k1 {
		return "ecdsa-2of3"
	}
	return "eddsa-2of3"
}

// testCard stands in for a card fingerprint in fixtures.
func testCard(name string) string {
	h := sha256.Sum256([]byte("coldsig test-only card\x00" + name))
	return hex.EncodeToString(h[:])
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func loadPreParams(t testing.TB, i int) ecdsakeygen.LocalPreParams {
	data, err := os.ReadFile(fmt.Sprintf("../testdata/preparams/test-only-%d.json", i))
	if err != nil {
		t.Fatal(err)
	}
	var pp ecdsakeygen.LocalPreParams
	if err := json.Unmarshal(data, &pp); err != nil {
		t.Fatal(err)
	}
	return pp
}

// runKeygen runs a real tss-lib keygen with n in-memory parties, routing
// messages through channels, and returns each party's Share and the
// public.json all of them agree on.
func runKeygen(t testing.TB, curve string, threshold, n int) ([]*Share, *Public) {
	var unsorted tss.UnSortedPartyIDs
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 255))
		if err != nil {
			t.Fatal(err)
		}
		k.Add(k, big.NewInt(1))
		unsorted = append(unsorted, tss.NewPartyID(fmt.Sprint(i), fmt.Sprint(i), k))
	}
	pids := tss.SortPartyIDs(unsorted)
	ctx := tss.NewPeerContext(pids)
	ec := tss.S256()
	if curve == CurveEd25519 {
		ec = tss.Edwards()
	}
	out := make(chan tss.Message, 64*n)
	ecdsaEnd := make(chan *ecdsakeygen.LocalPartySaveData, n)
	eddsaEnd := make(chan *eddsakeygen.LocalPartySaveData, n)
	errCh := make(chan *tss.Error, n)
	parties := make([]tss.Party, n)
	for i, pid := range pids {
		params := tss.NewParameters(ec, ctx, pid, n, threshold-1)
		if curve == CurveSecp256k1 {
			parties[i] = ecdsakeygen.NewLocalParty(params, out, ecdsaEnd, loadPreParams(t, i))
		} else {
			parties[i] = eddsakeygen.NewLocalParty(params, out, eddsaEnd)
		}
	}
	for _, p := range parties {
		go func(p tss.Party) {
			if err := p.Start(); err != nil {
				errCh <- err
			}
		}(p)
	}
	var mu sync.Mutex
	deliver := func(p tss.Party, msg tss.Message) {
		wire, _, err := msg.WireBytes()
		if err != nil {
			errCh <- p.WrapError(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, err := p.UpdateFromBytes(wire, msg.GetFrom(), msg.IsBroadcast()); err != nil {
			errCh <- err
		}
	}
	var ecdsaData []*ecdsakeygen.LocalPartySaveData
	var eddsaData []*eddsakeygen.LocalPartySaveData
	for len(ecdsaData)+len(eddsaData) < n {
		select {
		case err := <-errCh:
			t.Fatalf("keygen: %v", err)
		case msg := <-out:
			if msg.GetTo() == nil {
				for _, p := range parties {
					if p.PartyID().Index != msg.GetFrom().Index {
						go deliver(p, msg)
					}
				}
			} else {
				go deliver(parties[msg.GetTo()[0].Index], msg)
			}
		case d := <-ecdsaEnd:
			ecdsaData = append(ecdsaData, d)
		case d := <-eddsaEnd:
			eddsaData = append(eddsaData, d)
		}
	}
	pub := &Public{
		Format:     PublicFormat,
		Curve:      curve,
		Threshold:  threshold,
		Session:    randHex(t, 32),
		Transcript: randHex(t, 32),
	}
	for i, pid := range pids {
		pub.Parties = append(pub.Parties, Party{
			Index: i + 1, Name: fixtureNames[i], Card: testCard(fixtureNames[i]), ShareKey: shareKeyHex(pid.KeyInt()),
		})
	}
	var shares []*Share
	for i := 0; i < n; i++ {
		s := &Share{Curve: curve, Session: pub.Session, Threshold: threshold, Parties: n}
		var pk []byte
		var err error
		if curve == CurveSecp256k1 {
			s.ECDSA = ecdsaData[i]
			pk, err = PublicFromECDSA(s.ECDSA)
		} else {
			s.EdDSA = eddsaData[i]
			pk, err = PublicFromEdDSA(s.EdDSA)
		}
		if err != nil {
			t.Fatal(err)
		}
		s.PublicKey = hex.EncodeToString(pk)
		s.KeyID = KeyID(curve, pk)
		shareID := s.common().shareID
		for j, pid := range pids {
			if pid.KeyInt().Cmp(shareID) == 0 {
				s.Index = j + 1
			}
		}
		s.Name, s.Card = fixtureNames[s.Index-1], testCard(fixtureNames[s.Index-1])
		shares = append(shares, s)
		pub.PublicKey, pub.KeyID = s.PublicKey, s.KeyID
	}
	// Order shares by party index.
	sorted := make([]*Share, n)
	for _, s := range shares {
		sorted[s.Index-1] = s
	}
	if curve == CurveSecp256k1 {
		addr, err := EthAddress(mustHex(t, pub.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		pub.EthAddress = addr
	}
	return sorted, pub
}

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
