package plan

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"filippo.io/age"
	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
)

// Fixed test parties, so that vectors are reproducible: age recipients made
// once with age.GenerateX25519Identity, signing keys from fixed seeds.
var testRecipients = []string{
	"age1mvu4zfcvutg03cu7d5qwhfsvp9lcxawmsks47h45az62p3gc5glq8e4evc",
	"age19nl2auvqp49zq8sjzpf5u9crzpezwwsklqvwlxpw9pdgdw4n2dmqtt6dw3",
	"age18j54ewfzr4sl6qcl4c72vncqs8aa703arhr0husaepkvn9nezczscutzzl",
	"age1j6zalrsrd5xuzcudjpp4s47pnu9hjc0pufeeneyc9pjxazyea4cq543lgs",
	"age1seyx4dpscn78m4lnw8h87nh9cexuuu8nyt8yt6w7jn64ux7td97q9nnmn5",
	"age17ar23087swk92edjqjyq6rppsvpjqdnnvzk4xzwd4gplct24n9ksvtflrh",
}

var testNames = []string{"alice", "bob", "carol", "dave", "erin", "frank"}

// testCard returns fixed party i (0..5).
func testCard(t testing.TB, i int) *identity.Card {
	t.Helper()
	r, err := age.ParseX25519Recipient(testRecipients[i])
	if err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("coldsig plan test signing key " + testNames[i]))
	return &identity.Card{
		Name:       testNames[i],
		Recipient:  r,
		SigningKey: ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey),
	}
}

func testCards(t testing.TB, idx ...int) []*identity.Card {
	var cs []*identity.Card
	for _, i := range idx {
		cs = append(cs, testCard(t, i))
	}
	return cs
}

func fixed32(label string) [32]byte { return sha256.Sum256([]byte(label)) }

// testPublic returns a public.json for a threshold key held by the given
// fixed parties (in that index order).
func testPublic(t testing.TB, curve string, threshold int, holders ...int) *keyshare.Public {
	t.Helper()
	var pub []byte
	switch curve {
	case keyshare.CurveSecp256k1:
		seed := fixed32("coldsig plan test secp256k1 key")
		_, pk := btcec.PrivKeyFromBytes(seed[:])
		pub = pk.SerializeCompressed()
	case keyshare.CurveEd25519:
		seed := fixed32("coldsig plan test ed25519 key")
		pub = ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	}
	id := KeyID(curve, pub)
	sess := fixed32("coldsig plan test key session " + curve)
	tr := fixed32("coldsig plan test transcript " + curve)
	p := &keyshare.Public{
		Format:     keyshare.PublicFormat,
		Curve:      curve,
		Threshold:  threshold,
		PublicKey:  hex.EncodeToString(pub),
		KeyID:      hex.EncodeToString(id[:]),
		Session:    hex.EncodeToString(sess[:]),
		Transcript: hex.EncodeToString(tr[:]),
	}
	if curve == keyshare.CurveSecp256k1 {
		p.EthAddress, _ = keyshare.EthAddress(pub)
	}
	for n, i := range holders {
		c := testCard(t, i)
		sk := fixed32("coldsig plan test share key " + c.Name)
		p.Parties = append(p.Parties, keyshare.Party{
			Index:    n + 1,
			Name:     c.Name,
			Card:     c.FingerprintHex(),
			ShareKey: hex.EncodeToString(sk[:]),
		})
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}
