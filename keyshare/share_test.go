package keyshare_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/decred/dcrd/dcrec/edwards/v2"

	. "github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

func loadFixture(t testing.TB, curve string) *keysharetest.Fixture {
	return keysharetest.Load(t, curve)
}

func common(s *Share) (xi *big.Int, ks []*big.Int) {
	if s.ECDSA != nil {
		return s.ECDSA.Xi, s.ECDSA.Ks
	}
	return s.EdDSA.Xi, s.EdDSA.Ks
}

func TestFixtureSharesCheck(t *testing.T) {
	for _, curve := range []string{CurveSecp256k1, CurveEd25519} {
		t.Run(curve, func(t *testing.T) {
			fx := loadFixture(t, curve)
			for i, s := range fx.Shares {
				if s.Index != i+1 {
					t.Errorf("share-%d.age holds party %d", i+1, s.Index)
				}
				if err := s.Check(fx.Public); err != nil {
					t.Errorf("party %d: %v", i+1, err)
				}
				again, err := MarshalShare(s)
				if err != nil || !bytes.Equal(again, fx.Inner[i]) {
					t.Errorf("party %d: re-encoding differs (err %v)", i+1, err)
				}
			}
			// Another party's share cannot be opened with this identity.
			if _, err := OpenShare(fx.Sealed[0], fx.IDs[1].X25519); err == nil {
				t.Error("share-1.age opened with bob's identity")
			}
		})
	}
}

func TestCheckWrongKey(t *testing.T) {
	ec, ed := loadFixture(t, CurveSecp256k1), loadFixture(t, CurveEd25519)
	if err := ec.Shares[0].Check(ed.Public); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "is for key") {
		t.Errorf("ECDSA share against EdDSA key: %v", err)
	}
	// Same key, but public.json names another card for party 1.
	pub := *ec.Public
	pub.Parties = append([]Party(nil), ec.Public.Parties...)
	pub.Parties[0].Card, pub.Parties[1].Card = pub.Parties[1].Card, pub.Parties[0].Card
	if err := ec.Shares[0].Check(&pub); !errors.Is(err, ErrWrongKey) {
		t.Errorf("swapped cards: %v", err)
	}
	// A share whose secret was replaced by another party's.
	s := *ec.Shares[0]
	d := *s.ECDSA
	d.Xi = ec.Shares[1].ECDSA.Xi
	s.ECDSA = &d
	if err := s.Check(ec.Public); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "Xi*G") {
		t.Errorf("foreign Xi: %v", err)
	}
	// A public share moved off the polynomial.
	e := *ed.Shares[0]
	ed2 := *e.EdDSA
	ed2.BigXj = append(ed2.BigXj[:0:0], ed2.BigXj...)
	ed2.BigXj[2] = ed2.BigXj[1]
	e.EdDSA = &ed2
	if err := e.Check(ed.Public); !errors.Is(err, ErrShare) || !strings.Contains(err.Error(), "polynomial") {
		t.Errorf("inconsistent BigXj: %v", err)
	}
}

// TestPublicKeyEncoding reconstructs the whole secret from two shares (only
// possible because these are test keys) and compares our encoding of the
// group key with independent implementations.
func TestPublicKeyEncoding(t *testing.T) {
	for _, curve := range []string{CurveSecp256k1, CurveEd25519} {
		fx := loadFixture(t, curve)
		n := tss.S256().Params().N
		if curve == CurveEd25519 {
			n = tss.Edwards().Params().N
		}
		xi0, ks := common(fx.Shares[0])
		xi1, _ := common(fx.Shares[1])
		k0, k1 := ks[0], ks[1]
		// x = x0 * k1/(k1-k0) + x1 * k0/(k0-k1)
		l0 := new(big.Int).Mul(k1, new(big.Int).ModInverse(new(big.Int).Sub(k1, k0), n))
		l1 := new(big.Int).Mul(k0, new(big.Int).ModInverse(new(big.Int).Sub(k0, k1), n))
		x := new(big.Int).Add(new(big.Int).Mul(xi0, l0), new(big.Int).Mul(xi1, l1))
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
		if got := fx.Public.PublicKey; got != hex.EncodeToString(want) {
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
	sealed, err := SealShare(fx.Shares[2], id.Recipient())
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
	if err := s.Check(fx.Public); err != nil {
		t.Fatal(err)
	}
	if _, err := SealShare(fx.Shares[2]); err == nil {
		t.Error("SealShare without recipients succeeded")
	}
}

func TestOpenArmored(t *testing.T) {
	fx := loadFixture(t, CurveEd25519)
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	w.Write(fx.Sealed[0])
	w.Close()
	s, err := OpenShare(buf.Bytes(), fx.IDs[0].X25519)
	if err != nil {
		t.Fatal(err)
	}
	if s.Index != 1 {
		t.Fatalf("party %d", s.Index)
	}
}
