package keyshare

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/decred/dcrd/dcrec/edwards/v2"
)

type fixture struct {
	pub    *Public
	inner  [][]byte // inner records, by party index - 1
	shares []*Share
	ids    []age.Identity
}

func loadIdentity(t testing.TB, name string) age.Identity {
	f, err := os.Open(filepath.Join(keysDir, "test-only-"+name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

func loadFixture(t testing.TB, curve string) *fixture {
	dir := filepath.Join(keysDir, fixtureDir(curve))
	pj, err := os.ReadFile(filepath.Join(dir, "public.json"))
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{}
	if fx.pub, err = ParsePublic(pj); err != nil {
		t.Fatal(err)
	}
	for i, name := range fixtureNames {
		id := loadIdentity(t, name)
		fx.ids = append(fx.ids, id)
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("share-%d.age", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		inner, err := OpenInner(data, id)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseShare(inner)
		if err != nil {
			t.Fatal(err)
		}
		fx.inner = append(fx.inner, inner)
		fx.shares = append(fx.shares, s)
	}
	return fx
}

func TestFixtureSharesCheck(t *testing.T) {
	for _, curve := range []string{CurveSecp256k1, CurveEd25519} {
		t.Run(curve, func(t *testing.T) {
			fx := loadFixture(t, curve)
			for i, s := range fx.shares {
				if s.Index != i+1 {
					t.Errorf("share-%d.age holds party %d", i+1, s.Index)
				}
				if err := s.Check(fx.pub); err != nil {
					t.Errorf("party %d: %v", i+1, err)
				}
				again, err := MarshalShare(s)
				if err != nil || !bytes.Equal(again, fx.inner[i]) {
					t.Errorf("party %d: re-encoding differs (err %v)", i+1, err)
				}
			}
			// Another party's share cannot be opened with this identity.
			data, _ := os.ReadFile(filepath.Join(keysDir, fixtureDir(curve), "share-1.age"))
			if _, err := OpenShare(data, fx.ids[1]); err == nil {
				t.Error("share-1.age opened with bob's identity")
			}
		})
	}
}

func TestCheckWrongKey(t *testing.T) {
	ec, ed := loadFixture(t, CurveSecp256k1), loadFixture(t, CurveEd25519)
	if err := ec.shares[0].Check(ed.pub); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "is for key") {
		t.Errorf("ECDSA share against EdDSA key: %v", err)
	}
	// Same key, but public.json names another card for party 1.
	pub := *ec.pub
	pub.Parties = append([]Party(nil), ec.pub.Parties...)
	pub.Parties[0].Card, pub.Parties[1].Card = pub.Parties[1].Card, pub.Parties[0].Card
	if err := ec.shares[0].Check(&pub); !errors.Is(err, ErrWrongKey) {
		t.Errorf("swapped cards: %v", err)
	}
	// A share whose secret was replaced by another party's.
	s := *ec.shares[0]
	d := *s.ECDSA
	d.Xi = ec.shares[1].ECDSA.Xi
	s.ECDSA = &d
	if err := s.Check(ec.pub); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "Xi*G") {
		t.Errorf("foreign Xi: %v", err)
	}
	// A public share moved off the polynomial.
	e := *ed.shares[0]
	ed2 := *e.EdDSA
	ed2.BigXj = append(ed2.BigXj[:0:0], ed2.BigXj...)
	ed2.BigXj[2] = ed2.BigXj[1]
	e.EdDSA = &ed2
	if err := e.Check(ed.pub); !errors.Is(err, ErrShare) || !strings.Contains(err.Error(), "polynomial") {
		t.Errorf("inconsistent BigXj: %v", err)
	}
}

// TestPublicKeyEncoding reconstructs the whole secret from two shares (only
// possible because these are test keys) and compares our encoding of the
// group key with independent implementations.
func TestPublicKeyEncoding(t *testing.T) {
	for _, curve := range []string{CurveSecp256k1, CurveEd25519} {
		fx := loadFixture(t, curve)
		_, n := tssCurve(curve)
		c0, c1 := fx.shares[0].common(), fx.shares[1].common()
		k0, k1 := c0.ks[0], c0.ks[1]
		// x = x0 * k1/(k1-k0) + x1 * k0/(k0-k1)
		l0 := new(big.Int).Mul(k1, new(big.Int).ModInverse(new(big.Int).Sub(k1, k0), n))
		l1 := new(big.Int).Mul(k0, new(big.Int).ModInverse(new(big.Int).Sub(k0, k1), n))
		x := new(big.Int).Add(new(big.Int).Mul(c0.xi, l0), new(big.Int).Mul(c1.xi, l1))
		x.Mod(x, n)
		var want []byte
		if curve == CurveSecp256k1 {
			var b [32]byte
			_, pk := btcec.PrivKeyFromBytes(x.FillBytes(b[:]))
			want = pk.SerializeCompressed()
		} else {
			var b [32]byte
			_, pk, err := edwards.PrivKeyFromScalar(x.FillBytes(b[:]))
			if err != nil {
				t.Fatal(err)
			}
			want = pk.Serialize()
		}
		if got := fx.pub.PublicKey; got != hex.EncodeToString(want) {
			t.Errorf("%s: public key %s, independent encoding %x", curve, got, want)
		}
	}
}

func TestEthAddress(t *testing.T) {
	// The address of private key 1 is a well-known EIP-55 value.
	var one [32]byte
	one[31] = 1
	_, pk := btcec.PrivKeyFromBytes(one[:])
	got, err := EthAddress(pk.SerializeCompressed())
	if err != nil {
		t.Fatal(err)
	}
	if want := "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"; got != want {
		t.Errorf("EthAddress(1*G) = %s, want %s", got, want)
	}
	if _, err := EthAddress([]byte{2, 1, 2}); err == nil {
		t.Error("EthAddress accepted a 3-byte key")
	}
}

func TestSealOpen(t *testing.T) {
	fx := loadFixture(t, CurveEd25519)
	id, _ := age.GenerateX25519Identity()
	sealed, err := SealShare(fx.shares[2], id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(ShareMagic)) {
		t.Fatal("sealed share contains the plaintext magic")
	}
	s, err := OpenShare(sealed, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(fx.pub); err != nil {
		t.Fatal(err)
	}
	if _, err := SealShare(fx.shares[2]); err == nil {
		t.Error("SealShare without recipients succeeded")
	}
}
