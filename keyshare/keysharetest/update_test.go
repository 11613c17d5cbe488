package keysharetest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
)

// -update-fixtures regenerates testdata/keys: three test-only identities
// and a real 2-of-3 keygen per curve. ECDSA keygen costs ~20 s of CPU, so
// normal runs read the committed files instead.
var updateFixtures = flag.Bool("update-fixtures", false, "regenerate testdata/keys (slow)")

func TestUpdateFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to regenerate testdata/keys")
	}
	var ids []*identity.Identity
	var cards []*identity.Card
	for _, name := range Names {
		id, err := identity.NewIdentity(name)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := identity.MarshalIdentity(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(IdentityPath(name), plain, 0o600); err != nil {
			t.Fatal(err)
		}
		card, err := id.Card().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(CardPath(name), card, 0o644); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		cards = append(cards, id.Card())
	}
	for _, curve := range []string{keyshare.CurveSecp256k1, keyshare.CurveEd25519} {
		shares, pub := Keygen(t, curve, 2, cards)
		dir := Dir(curve)
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
			sealed, err := keyshare.SealShare(s, ids[i].X25519.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("share-%d.age", i+1)), sealed, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLoad(t *testing.T) {
	for _, curve := range []string{keyshare.CurveSecp256k1, keyshare.CurveEd25519} {
		fx := Load(t, curve)
		for i, s := range fx.Shares {
			if s.Index != i+1 || s.Card != fx.IDs[i].Card().FingerprintHex() {
				t.Errorf("%s share-%d.age: party %d card %s", curve, i+1, s.Index, s.Card)
			}
		}
	}
}
