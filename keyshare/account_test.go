package keyshare_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// TestCheckAccount (review finding M4): public.json is unsigned, and an
// edited chain code in its xpub still matches public_key; only the share
// (encrypted to its holder, written by the keygen) says what the chain code
// is. The xpub words change with it.
func TestCheckAccount(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	sh := fx.Shares[0]
	if err := sh.CheckAccount(fx.Public); err != nil {
		t.Fatalf("the key's own public.json: %v", err)
	}
	words := fx.Public.XPubWords()
	if len(strings.Fields(words)) != 8 {
		t.Fatalf("xpub words %q", words)
	}
	forged := *fx.Public
	cc := bytes.Repeat([]byte{0x42}, 32)
	if err := forged.SetChainCode(cc); err != nil {
		t.Fatal(err)
	}
	if err := forged.Validate(); err != nil {
		t.Fatalf("an edited chain code is a valid public.json (that is the point): %v", err)
	}
	if err := sh.CheckAccount(&forged); !errors.Is(err, keyshare.ErrWrongKey) || !strings.Contains(err.Error(), "chain code is not the key's") {
		t.Fatalf("edited chain code: %v", err)
	}
	if forged.XPubWords() == words {
		t.Fatal("the xpub words do not change with the chain code")
	}
	// A key without a chain code has no account, and no words.
	plain := keysharetest.Load(t, keyshare.CurveSecp256k1)
	if plain.Public.XPubWords() != "" {
		t.Fatal("xpub words for a key without xpub")
	}
	if err := plain.Shares[0].CheckAccount(fx.Public); err == nil {
		t.Fatal("a share without chain code checked an account")
	}
}
