package hd

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Path
		err  error
	}{
		{"m", Path{}, nil},
		{"m/0", Path{0}, nil},
		{"m/0/7", Path{0, 7}, nil},
		{"m/2147483647", Path{Hardened - 1}, nil},
		{"m/0/7'", nil, ErrHardened},
		{"m/44h/0", nil, ErrHardened},
		{"m/1H", nil, ErrHardened},
		{"m/2147483648", nil, ErrHardened},
		{"m/4294967296", nil, ErrPath},
		{"m/", nil, ErrPath},
		{"m/01", nil, ErrPath},
		{"m/+1", nil, ErrPath},
		{"m//1", nil, ErrPath},
		{"0/7", nil, ErrPath},
		{"M/0", nil, ErrPath},
		{"m/0/ 7", nil, ErrPath},
		{"", nil, ErrPath},
		{"m" + strings.Repeat("/1", MaxDepth+1), nil, ErrPath},
	} {
		got, err := ParsePath(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParsePath(%q) = %v, %v; want %v", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.String() != tc.in {
			t.Errorf("ParsePath(%q) = %v (%q), %v", tc.in, got, got.String(), err)
		}
	}
	_, err := ParsePath("m/0/7'")
	if !strings.Contains(err.Error(), "no party of a threshold key holds") {
		t.Errorf("hardened refusal does not give the reason: %v", err)
	}
}

// TestDeriveAgainstHDKeychain checks the derivation (tss-lib's crypto/ckd)
// and the xpub encoding against btcutil's hdkeychain, an independent BIP32
// implementation, for random keys, chain codes and paths.
func TestDeriveAgainstHDKeychain(t *testing.T) {
	for trial := 0; trial < 40; trial++ {
		priv, err := btcec.NewPrivateKey()
		if err != nil {
			t.Fatal(err)
		}
		var cc [32]byte
		rand.Read(cc[:])
		m, err := Master(priv.PubKey().SerializeCompressed(), cc)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := hdkeychain.NewKeyFromString(m.XPub())
		if err != nil {
			t.Fatalf("hdkeychain refuses our xpub %s: %v", m.XPub(), err)
		}
		if !bytes.Equal(ref.ChainCode(), cc[:]) || ref.Depth() != 0 || ref.IsPrivate() {
			t.Fatal("hdkeychain reads another key from our xpub")
		}
		pid, _ := ref.Address(&chaincfg.MainNetParams)
		if !bytes.Equal(pid.Hash160()[:4], func() []byte { f := m.Fingerprint(); return f[:] }()) {
			t.Fatal("fingerprint is not HASH160(key)[:4]")
		}
		path := Path{}
		for d := 0; d < 1+trial%4; d++ {
			n, _ := rand.Int(rand.Reader, big.NewInt(1<<31))
			if trial%3 == 0 {
				n = big.NewInt(int64(d))
			}
			path = append(path, uint32(n.Int64()))
		}
		child, delta, err := m.Derive(path)
		if err != nil {
			t.Fatal(err)
		}
		want := ref
		for _, i := range path {
			if want, err = want.Derive(i); err != nil {
				t.Fatal(err)
			}
		}
		wpk, _ := want.ECPubKey()
		if !bytes.Equal(child.PublicKey, wpk.SerializeCompressed()) || !bytes.Equal(child.ChainCode[:], want.ChainCode()) {
			t.Fatalf("path %s: child differs from hdkeychain's", path)
		}
		if child.XPub() != want.String() {
			t.Fatalf("path %s: xpub %s, hdkeychain %s", path, child.XPub(), want.String())
		}
		// The tweak: child private key = parent private key + delta.
		sum := new(big.Int).Add(new(big.Int).SetBytes(priv.Serialize()), delta)
		sum.Mod(sum, btcec.S256().N)
		cpriv, _ := btcec.PrivKeyFromBytes(sum.FillBytes(make([]byte, 32)))
		if !bytes.Equal(cpriv.PubKey().SerializeCompressed(), child.PublicKey) {
			t.Fatalf("path %s: parent key + delta is not the child key", path)
		}
		back, err := ParseXPub(child.XPub())
		if err != nil || !bytes.Equal(back.PublicKey, child.PublicKey) || back.ChainCode != child.ChainCode || back.Depth != uint8(len(path)) {
			t.Fatalf("ParseXPub round trip: %v", err)
		}
	}
}

// TestBIP84Vector derives the first receive address of BIP 84's test
// account (mnemonic "abandon ... about") from its published account key:
// our derivation and our P2WPKH encoding against the BIP's numbers.
func TestBIP84Vector(t *testing.T) {
	const zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	acct, err := hdkeychain.NewKeyFromString(zpub)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := acct.ECPubKey()
	var cc [32]byte
	copy(cc[:], acct.ChainCode())
	k := &Key{PublicKey: pk.SerializeCompressed(), ChainCode: cc, Depth: acct.Depth(), ChildIndex: acct.ChildIndex()}
	child, _, err := k.Derive(Path{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := P2WPKH(child.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if addr != "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu" {
		t.Fatalf("m/84'/0'/0'/0/0 address %s", addr)
	}
	ref, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(child.PublicKey), &chaincfg.MainNetParams)
	if ref.EncodeAddress() != addr {
		t.Fatal("btcutil encodes another address")
	}
}

func TestDescriptorChecksum(t *testing.T) {
	// BIP 380's published vector.
	if got, err := DescriptorChecksum("raw(deadbeef)"); err != nil || got != "89f8spxm" {
		t.Fatalf("checksum of raw(deadbeef) = %q, %v; want 89f8spxm", got, err)
	}
	if _, err := DescriptorChecksum("raw(Ü)"); err == nil {
		t.Fatal("a character outside the set was accepted")
	}
	var cc [32]byte
	cc[0] = 1
	priv, _ := btcec.NewPrivateKey()
	m, _ := Master(priv.PubKey().SerializeCompressed(), cc)
	d := m.ReceiveDescriptor()
	fp := m.Fingerprint()
	if !strings.HasPrefix(d, "wpkh(["+strings.ToLower(hexs(fp[:]))+"]"+m.XPub()+"/0/*)#") || len(d) != len("wpkh([00000000]"+m.XPub()+"/0/*)#")+8 {
		t.Fatalf("descriptor %s", d)
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestParseXPubRefuses(t *testing.T) {
	priv, _ := btcec.NewPrivateKey()
	var cc [32]byte
	cc[5] = 9
	m, _ := Master(priv.PubKey().SerializeCompressed(), cc)
	good := m.XPub()
	if _, err := ParseXPub(good); err != nil {
		t.Fatal(err)
	}
	bad := []byte(good)
	bad[len(bad)-3] ^= 1
	for _, s := range []string{string(bad), "xpub", "", good[:len(good)-1],
		"zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"} {
		if _, err := ParseXPub(s); !errors.Is(err, ErrXPub) {
			t.Errorf("ParseXPub(%q) = %v", s, err)
		}
	}
	if _, err := Master(m.PublicKey, [32]byte{}); err == nil {
		t.Error("all-zero chain code accepted")
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"m", "m/0/7", "m/1'", "m/2147483647/0", "m/01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("%q parses to %q", s, p.String())
		}
	})
}
