package identity

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/curve25519"
)

// testLogN keeps scrypt cheap in tests; the shipped default is age's.
const testLogN = 2

func pass(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }

func TestIdentityRoundTrip(t *testing.T) {
	id, err := NewIdentity("alice")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncryptIdentity(id, []byte("correct horse"), testLogN)
	if err != nil {
		t.Fatal(err)
	}
	if !IdentityEncrypted(enc) || bytes.Contains(enc, []byte("AGE-SECRET-KEY")) {
		t.Fatal("encrypted identity is not an age file or leaks the key")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.key")
	if err := os.WriteFile(path, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadIdentity(path, pass("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Card().Equal(id.Card()) || !bytes.Equal(got.Signing, id.Signing) || got.X25519.String() != id.X25519.String() {
		t.Fatal("identity changed in round trip")
	}
	if _, err := LoadIdentity(path, nil); err == nil || !strings.Contains(err.Error(), "no passphrase was given") {
		t.Fatalf("encrypted identity without a passphrase source: %v", err)
	}
	_, err = LoadIdentity(path, pass("wrong"))
	if !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), path) {
		t.Fatalf("wrong passphrase: got %v", err)
	}

	plain, err := MarshalIdentity(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(plain, []byte(IdentityMagic+"\n")) {
		t.Fatalf("plaintext identity does not start with magic: %q", plain[:20])
	}
	called := false
	got, err = DecryptIdentity(plain, func() ([]byte, error) { called = true; return nil, nil })
	if err != nil || called {
		t.Fatalf("plaintext identity: err=%v, passphrase asked=%v", err, called)
	}
	if !got.Card().Equal(id.Card()) {
		t.Fatal("plaintext identity changed")
	}
}

func TestCardRoundTrip(t *testing.T) {
	id, err := NewIdentity("bob-2.x_y")
	if err != nil {
		t.Fatal(err)
	}
	c := id.Card()
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseCard(b)
	if err != nil {
		t.Fatal(err)
	}
	if b2, err := c2.Marshal(); err != nil || !bytes.Equal(b2, b) || c2.Fingerprint() != c.Fingerprint() {
		t.Fatal("card changed in round trip")
	}
	// A card built by hand and invalid is an error, not a panic, and its
	// fingerprint matches no valid card.
	bad := *c
	bad.Name = "bad\nname"
	if _, err := bad.Marshal(); err == nil {
		t.Fatal("invalid card marshaled")
	}
	if bad.Fingerprint() == c.Fingerprint() || bad.Equal(c) {
		t.Fatal("invalid card has the fingerprint of a valid one")
	}
	none := &Card{Name: "x"}
	if _, err := none.Marshal(); err == nil {
		t.Fatal("card without keys marshaled")
	}
	_ = none.Fingerprint()
	if w := strings.Fields(c.FingerprintWords()); len(w) != 8 {
		t.Fatalf("FingerprintWords = %q, want 8 words", c.FingerprintWords())
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "alice", "Bob_2", "x.y-z", strings.Repeat("a", MaxNameLen)} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "-flag", "a/b", "a b", `a\b`, "ä", "a\x00", strings.Repeat("a", MaxNameLen+1), "a:b"} {
		if err := ValidName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("ValidName(%q) = %v, want ErrBadName", bad, err)
		}
	}
}

// BenchmarkIdentityDefaultScrypt measures unlocking an identity at age's
// default work factor, the cost an officer waits for at every command.
func BenchmarkIdentityDefaultScrypt(b *testing.B) {
	id := must(NewIdentity("alice"))
	enc, err := MarshalIdentity(id, []byte("pass"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecryptIdentity(enc, func() ([]byte, error) { return []byte("pass"), nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func must(id *Identity, err error) *Identity {
	if err != nil {
		panic(err)
	}
	return id
}

func TestX25519BytesMatchesIdentity(t *testing.T) {
	for i := 0; i < 20; i++ {
		id, err := NewIdentity("alice")
		if err != nil {
			t.Fatal(err)
		}
		u, err := x25519Bytes(id.X25519.Recipient().String())
		if err != nil {
			t.Fatal(err)
		}
		sec := strings.ToLower(id.X25519.String())
		raw, err := x25519Bytes("age1" + strings.TrimPrefix(sec, "age-secret-key-1"))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := curve25519.X25519(raw, curve25519.Basepoint)
		if err != nil || !bytes.Equal(pub, u) {
			t.Fatalf("decoded recipient %x, want %x", u, pub)
		}
	}
}
