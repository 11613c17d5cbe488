package keyshare

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

func TestCheckEd25519Signature(t *testing.T) {
	seed := sha256.Sum256([]byte("coldsig TEST-ONLY signature check key"))
	k := ed25519.NewKeyFromSeed(seed[:])
	sig := ed25519.Sign(k, []byte("m"))
	if err := CheckEd25519Signature(sig); err != nil {
		t.Fatal(err)
	}
	if err := CheckPublicKey(CurveEd25519, k.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	identityR := append(append([]byte{1}, make([]byte, 31)...), sig[32:]...)
	bigS := append(append([]byte{}, sig[:32]...), []byte(strings.Repeat("\xff", 32))...)
	for name, s := range map[string][]byte{"identity R": identityR, "S >= L": bigS, "short": sig[:63]} {
		if err := CheckEd25519Signature(s); !errors.Is(err, ErrWeakKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
