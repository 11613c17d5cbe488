package keyshare_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/hd"

	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// TestShareV2 round-trips the HD fixture's shares (coldsig/share/v2) and
// refuses the inconsistent forms.
func TestShareV2(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	inner := fx.Inner[0]
	if !bytes.HasPrefix(inner, []byte(keyshare.ShareMagicV2+"\n")) {
		t.Fatal("an HD share is not written as v2")
	}
	s, err := keyshare.ParseShare(inner)
	if err != nil {
		t.Fatal(err)
	}
	again, err := keyshare.MarshalShare(s)
	if err != nil || !bytes.Equal(again, inner) {
		t.Fatalf("v2 share does not re-encode to its bytes (%v)", err)
	}
	cc, _ := fx.Public.ChainCode()
	if !bytes.Equal(s.ChainCode, cc[:]) {
		t.Fatal("share and public.json chain codes differ")
	}
	want, err := keyshare.KeygenChainCode(s.ECDSA)
	if err != nil || !bytes.Equal(want, s.ChainCode) {
		t.Fatalf("the fixture's chain code is not the keygen chain code (%v)", err)
	}
	v1 := bytes.Replace(inner, []byte(keyshare.ShareMagicV2+"\n"), []byte(keyshare.ShareMagic+"\n"), 1)
	if _, err := keyshare.ParseShare(v1); err == nil || !strings.Contains(err.Error(), "chain-code") {
		t.Fatalf("a v1 share with a chain code: %v", err)
	}
	lines := strings.Split(string(inner), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "chain-code: ") {
			zero := append([]string{}, lines...)
			zero[i] = "chain-code: " + strings.Repeat("0", 64)
			if _, err := keyshare.ParseShare([]byte(strings.Join(zero, "\n"))); err == nil || !strings.Contains(err.Error(), "not all zero") {
				t.Fatalf("an all-zero chain code: %v", err)
			}
			gone := append(append([]string{}, lines[:i]...), lines[i+1:]...)
			if _, err := keyshare.ParseShare([]byte(strings.Join(gone, "\n"))); err == nil {
				t.Fatal("a v2 share without a chain code was accepted")
			}
		}
	}
	// Check: the share's chain code must be public.json's.
	other := *s
	other.ChainCode = bytes.Repeat([]byte{7}, 32)
	if err := other.Check(fx.Public); !errors.Is(err, keyshare.ErrWrongKey) {
		t.Fatalf("a share with another chain code checked against public.json: %v", err)
	}
	old := keysharetest.Load(t, keyshare.CurveSecp256k1)
	if err := s.Check(old.Public); !errors.Is(err, keyshare.ErrWrongKey) {
		t.Fatalf("an HD share checked against the same key's v1 public.json: %v", err)
	}
	// An ed25519 share cannot carry one.
	ed := keysharetest.Load(t, keyshare.CurveEd25519).Shares[0]
	ed.ChainCode = bytes.Repeat([]byte{7}, 32)
	if _, err := keyshare.MarshalShare(ed); err == nil || !strings.Contains(err.Error(), "secp256k1 keys only") {
		t.Fatalf("an ed25519 share with a chain code: %v", err)
	}
}

// TestPublicV2 refuses public.json v2 files whose HD members disagree with
// the key, and v1 files that carry them.
func TestPublicV2(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	if _, err := keyshare.ParsePublic(fx.PublicJSON); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"format": "coldsig/public/v2"`, `"format": "coldsig/public/v1"`, "need format"},
		{`"xpub_fingerprint": "` + fx.Public.XPubFingerprint, `"xpub_fingerprint": "00000000`, "xpub_fingerprint"},
		{fx.Public.Descriptor, strings.Replace(fx.Public.Descriptor, "/0/*", "/1/*", 1), "descriptor"},
		{`"xpub": "` + fx.Public.XPub, `"xpub": "` + keysharetest.LoadHD(t).Public.XPub[:20], "xpub"},
	} {
		bad := strings.Replace(string(fx.PublicJSON), tc.from, tc.to, 1)
		if bad == string(fx.PublicJSON) {
			t.Fatalf("mutation %q not applied", tc.from)
		}
		if _, err := keyshare.ParsePublic([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q -> %q: %v", tc.from, tc.to, err)
		}
	}
}

// TestKeyAt: the empty path is the key itself, a path its xpub child; a
// key without a chain code has no children.
func TestKeyAt(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	self, err := fx.Public.KeyAt(nil)
	if err != nil || hex.EncodeToString(self) != fx.Public.PublicKey {
		t.Fatalf("KeyAt(m) = %x, %v; want the key %s", self, err, fx.Public.PublicKey)
	}
	path, _ := hd.ParsePath("m/0/7")
	child, err := fx.Public.KeyAt(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := fx.Public.Account().Derive(path)
	if err != nil || !bytes.Equal(child, want.PublicKey) || bytes.Equal(child, self) {
		t.Fatalf("KeyAt(m/0/7) = %x, want %x (%v)", child, want.PublicKey, err)
	}
	v1 := keysharetest.Load(t, keyshare.CurveSecp256k1).Public
	if _, err := v1.KeyAt(path); err == nil || !strings.Contains(err.Error(), "no chain code") {
		t.Fatalf("a key without a chain code derived a child: %v", err)
	}
}

// TestHolds: a party's card holds a share, any other card none.
func TestHolds(t *testing.T) {
	pub := keysharetest.LoadHD(t).Public
	for _, p := range pub.Parties {
		if !pub.Holds(p.Fingerprint()) {
			t.Fatalf("party %q is not a holder", p.Name)
		}
	}
	if pub.Holds([32]byte{1}) {
		t.Fatal("an unknown card is a holder")
	}
}
