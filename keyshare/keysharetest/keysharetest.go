// Package keysharetest loads the TEST-ONLY key fixtures of testdata/keys
// (three test identities and a real 2-of-3 keygen per curve) and can run a
// real in-memory tss-lib keygen to regenerate them. Only tests import it.
package keysharetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
)

// Names of the three test parties, in committee order.
var Names = []string{"alice", "bob", "carol"}

// Root returns the module's testdata directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// KeysDir is testdata/keys.
func KeysDir() string { return filepath.Join(Root(), "keys") }

// Dir is the fixture directory of a curve's 2-of-3 key.
func Dir(curve string) string {
	if curve == keyshare.CurveSecp256k1 {
		return filepath.Join(KeysDir(), "ecdsa-2of3")
	}
	return filepath.Join(KeysDir(), "eddsa-2of3")
}

// HDDir is the fixture directory of the HD form of the secp256k1 key: the
// same key and shares as Dir(secp256k1), with the chain code a coldsig
// keygen fixes (keyshare.KeygenChainCode), as public.json v2 and share v2.
func HDDir() string { return filepath.Join(KeysDir(), "ecdsa-2of3-hd") }

// IdentityPath is the unencrypted test identity of a party.
func IdentityPath(name string) string {
	return filepath.Join(KeysDir(), "test-only-"+name+".key")
}

// CardPath is the card of a test party.
func CardPath(name string) string {
	return filepath.Join(KeysDir(), "test-only-"+name+".card")
}

// Fixture is one curve's committed 2-of-3 key.
type Fixture struct {
	PublicJSON []byte
	Public     *keyshare.Public
	Sealed     [][]byte // share-<i>.age, by index-1
	Inner      [][]byte // decrypted inner records
	Shares     []*keyshare.Share
	IDs        []*identity.Identity
}

// Identity loads a test party's identity.
func Identity(t testing.TB, name string) *identity.Identity {
	t.Helper()
	id, err := identity.LoadIdentity(IdentityPath(name), func() ([]byte, error) {
		return nil, fmt.Errorf("test identity %s is unexpectedly encrypted", name)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Load reads and decrypts a curve's fixture.
func Load(t testing.TB, curve string) *Fixture { return loadDir(t, Dir(curve)) }

// LoadHD reads and decrypts the HD secp256k1 fixture (HDDir).
func LoadHD(t testing.TB) *Fixture { return loadDir(t, HDDir()) }

func loadDir(t testing.TB, dir string) *Fixture {
	t.Helper()
	fx := &Fixture{}
	var err error
	if fx.PublicJSON, err = os.ReadFile(filepath.Join(dir, "public.json")); err != nil {
		t.Fatal(err)
	}
	if fx.Public, err = keyshare.ParsePublic(fx.PublicJSON); err != nil {
		t.Fatal(err)
	}
	for i, name := range Names {
		id := Identity(t, name)
		sealed, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("share-%d.age", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		inner, err := keyshare.OpenInner(sealed, id.X25519)
		if err != nil {
			t.Fatal(err)
		}
		s, err := keyshare.ParseShare(inner)
		if err != nil {
			t.Fatal(err)
		}
		fx.IDs = append(fx.IDs, id)
		fx.Sealed = append(fx.Sealed, sealed)
		fx.Inner = append(fx.Inner, inner)
		fx.Shares = append(fx.Shares, s)
	}
	return fx
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// PreParams loads test-only pre-parameters i (never generate primes in tests).
func PreParams(t testing.TB, i int) ecdsakeygen.LocalPreParams {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(), "preparams", fmt.Sprintf("test-only-%d.json", i)))
	if err != nil {
		t.Fatal(err)
	}
	var pp ecdsakeygen.LocalPreParams
	if err := json.Unmarshal(data, &pp); err != nil {
		t.Fatal(err)
	}
	return pp
}

// Keygen runs a real tss-lib keygen with one in-memory party per card,
// routing messages through channels, and returns each party's Share (by
// committee index) and the public.json all of them agree on.
func Keygen(t testing.TB, curve string, threshold int, cards []*identity.Card) ([]*keyshare.Share, *keyshare.Public) {
	t.Helper()
	n := len(cards)
	var unsorted tss.UnSortedPartyIDs
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256))
		if err != nil {
			t.Fatal(err)
		}
		k.Add(k, big.NewInt(1))
		unsorted = append(unsorted, tss.NewPartyID(fmt.Sprint(i), fmt.Sprint(i), k))
	}
	pids := tss.SortPartyIDs(unsorted)
	ctx := tss.NewPeerContext(pids)
	ec := tss.S256()
	if curve == keyshare.CurveEd25519 {
		ec = tss.Edwards()
	}
	out := make(chan tss.Message, 64*n)
	ecdsaEnd := make(chan *ecdsakeygen.LocalPartySaveData, n)
	eddsaEnd := make(chan *eddsakeygen.LocalPartySaveData, n)
	errCh := make(chan *tss.Error, 4*n)
	parties := make([]tss.Party, n)
	for i, pid := range pids {
		params := tss.NewParameters(ec, ctx, pid, n, threshold-1)
		if curve == keyshare.CurveSecp256k1 {
			parties[i] = ecdsakeygen.NewLocalParty(params, out, ecdsaEnd, PreParams(t, i))
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
	// One lock per party: tss-lib parties are not safe for concurrent Update.
	locks := make([]sync.Mutex, n)
	deliver := func(p tss.Party, msg tss.Message) {
		wire, _, err := msg.WireBytes()
		if err != nil {
			errCh <- p.WrapError(err)
			return
		}
		locks[p.PartyID().Index].Lock()
		defer locks[p.PartyID().Index].Unlock()
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
	pub := &keyshare.Public{
		Format:     keyshare.PublicFormat,
		Curve:      curve,
		Threshold:  threshold,
		Session:    randHex(t, 32),
		Transcript: randHex(t, 32),
	}
	for i, pid := range pids {
		pub.Parties = append(pub.Parties, keyshare.Party{
			Index: i + 1, Name: cards[i].Name, Card: cards[i].FingerprintHex(),
			ShareKey: hex.EncodeToString(pid.KeyInt().Bytes()),
		})
	}
	shares := make([]*keyshare.Share, n)
	for i := 0; i < n; i++ {
		s := &keyshare.Share{Curve: curve, Session: pub.Session, Threshold: threshold, Parties: n}
		var pk []byte
		var err error
		var shareID *big.Int
		if curve == keyshare.CurveSecp256k1 {
			s.ECDSA = ecdsaData[i]
			shareID = s.ECDSA.ShareID
			pk, err = keyshare.PublicFromECDSA(s.ECDSA)
		} else {
			s.EdDSA = eddsaData[i]
			shareID = s.EdDSA.ShareID
			pk, err = keyshare.PublicFromEdDSA(s.EdDSA)
		}
		if err != nil {
			t.Fatal(err)
		}
		s.PublicKey = hex.EncodeToString(pk)
		s.KeyID = keyshare.KeyID(curve, pk)
		for j, pid := range pids {
			if pid.KeyInt().Cmp(shareID) == 0 {
				s.Index = j + 1
			}
		}
		s.Name, s.Card = pub.Parties[s.Index-1].Name, pub.Parties[s.Index-1].Card
		shares[s.Index-1] = s
		pub.PublicKey, pub.KeyID = s.PublicKey, s.KeyID
	}
	if curve == keyshare.CurveSecp256k1 {
		pk, _ := hex.DecodeString(pub.PublicKey)
		addr, err := keyshare.EthAddress(pk)
		if err != nil {
			t.Fatal(err)
		}
		pub.EthAddress = addr
		MakeHD(t, shares, pub)
	}
	return shares, pub
}

// MakeHD gives a secp256k1 key the chain code a coldsig keygen fixes for
// it, in public.json and every share.
func MakeHD(t testing.TB, shares []*keyshare.Share, pub *keyshare.Public) {
	t.Helper()
	cc, err := keyshare.KeygenChainCode(shares[0].ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.SetChainCode(cc); err != nil {
		t.Fatal(err)
	}
	for _, s := range shares {
		s.ChainCode = append([]byte(nil), cc...)
		if err := s.Check(pub); err != nil {
			t.Fatal(err)
		}
	}
}
