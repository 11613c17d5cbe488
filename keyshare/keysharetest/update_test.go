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

// -update-hd-fixture rewrites testdata/keys/ecdsa-2of3-hd from the
// committed ecdsa-2of3 key (no keygen runs).
var updateHD = flag.Bool("update-hd-fixture", false, "regenerate testdata/keys/ecdsa-2of3-hd from ecdsa-2of3")

func TestUpdateHDFixture(t *testing.T) {
	if !*updateHD && !*updateFixtures {
		t.Skip("run with -update-hd-fixture to regenerate testdata/keys/ecdsa-2of3-hd")
	}
	fx := Load(t, keyshare.CurveSecp256k1)
	MakeHD(t, fx.Shares, fx.Public)
	writeFixture(t, HDDir(), fx.Public, fx.Shares, fx.IDs)
}

func writeFixture(t *testing.T, dir string, pub *keyshare.Public, shares []*keyshare.Share, ids []*identity.Identity) {
	t.Helper()
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
		if curve == keyshare.CurveSecp256k1 {
			// ecdsa-2of3 stays a key made before HD keys (no chain
			// code); TestUpdateHDFixture makes its HD form.
			for _, s := range shares {
				s.ChainCode = nil
			}
			if err := pub.SetChainCode(nil); err != nil {
				t.Fatal(err)
			}
		}
		writeFixture(t, Dir(curve), pub, shares, ids)
	}
}

func TestLoad(t *testing.T) {
	hdfx := LoadHD(t)
	if _, ok := hdfx.Public.ChainCode(); !ok || hdfx.Public.Format != keyshare.PublicFormatV2 {
		t.Fatal("the HD fixture has no chain code")
	}
	if _, ok := Load(t, keyshare.CurveSecp256k1).Public.ChainCode(); ok {
		t.Fatal("the pre-HD fixture has a chain code")
	}
	for _, fx := range []*Fixture{Load(t, keyshare.CurveSecp256k1), Load(t, keyshare.CurveEd25519), hdfx} {
		for i, s := range fx.Shares {
			if s.Index != i+1 || s.Card != fx.IDs[i].Card().FingerprintHex() {
				t.Errorf("%s share-%d.age: party %d card %s", s.Curve, i+1, s.Index, s.Card)
			}
			if err := s.Check(fx.Public); err != nil {
				t.Errorf("%s share-%d.age: %v", s.Curve, i+1, err)
			}
		}
	}
}
