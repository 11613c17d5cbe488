package envelope

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const vectorRoot = "../testdata/vectors"

// vectorFiles lists the vector inputs of one format: every file with the
// given extension. Sidecars share the input's name plus a suffix:
// .expect (a substring of the expected error; its absence means valid),
// .passphrase, .card, .fingerprint, .inner.
func vectorFiles(t testing.TB, format, ext string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(vectorRoot, format, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatalf("no %s vectors in %s", ext, filepath.Join(vectorRoot, format))
	}
	return m
}

func sidecar(t *testing.T, path, suffix string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(path + suffix)
	if os.IsNotExist(err) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// checkOutcome enforces the vector contract: a file named invalid-* has an
// .expect sidecar and fails with that text; a file named valid-* has none
// and succeeds.
func checkOutcome(t *testing.T, path string, err error) (valid bool) {
	t.Helper()
	expect, hasExpect := sidecar(t, path, ".expect")
	expect = strings.TrimSuffix(expect, "\n")
	name := filepath.Base(path)
	switch {
	case strings.HasPrefix(name, "invalid-") != hasExpect:
		t.Fatalf("%s: invalid-* vectors need an .expect sidecar, valid-* ones must not have one", name)
	case hasExpect && err == nil:
		t.Fatalf("accepted; want error containing %q", expect)
	case hasExpect && !strings.Contains(err.Error(), expect):
		t.Fatalf("error %q; want it to contain %q", err, expect)
	case !hasExpect && err != nil:
		t.Fatalf("valid vector rejected: %v", err)
	}
	return !hasExpect
}

func readVector(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVectors(t *testing.T) {
	t.Run("card", func(t *testing.T) {
		for _, path := range vectorFiles(t, "card", ".card") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				data := readVector(t, path)
				c, err := ParseCard(data)
				if !checkOutcome(t, path, err) {
					return
				}
				if !bytes.Equal(c.Marshal(), data) {
					t.Error("Marshal does not reproduce the vector")
				}
				fp, ok := sidecar(t, path, ".fingerprint")
				if !ok {
					t.Fatal("valid card without .fingerprint sidecar")
				}
				if want := c.FingerprintHex() + "\n" + c.FingerprintWords() + "\n"; fp != want {
					t.Errorf("fingerprint:\n%s\nwant:\n%s", want, fp)
				}
			})
		}
	})
	t.Run("identity", func(t *testing.T) {
		for _, path := range vectorFiles(t, "identity", ".key") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				pass, hasPass := sidecar(t, path, ".passphrase")
				asked := false
				id, err := LoadIdentity(path, func() ([]byte, error) {
					asked = true
					return []byte(strings.TrimSuffix(pass, "\n")), nil
				})
				if asked != hasPass {
					t.Errorf("passphrase asked = %v, but .passphrase sidecar present = %v", asked, hasPass)
				}
				if err != nil && !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the file", err)
				}
				if !checkOutcome(t, path, err) {
					return
				}
				card, ok := sidecar(t, path, ".card")
				if !ok {
					t.Fatal("valid identity without .card sidecar")
				}
				if got := string(id.Card().Marshal()); got != card {
					t.Errorf("card:\n%s\nwant:\n%s", got, card)
				}
				if !hasPass {
					plain, err := MarshalIdentity(id, nil)
					if err != nil || !bytes.Equal(plain, readVector(t, path)) {
						t.Errorf("MarshalIdentity does not reproduce the vector (%v)", err)
					}
				}
			})
		}
	})
	t.Run("envelope", func(t *testing.T) {
		keys := filepath.Join(vectorRoot, "envelope", "keys")
		alice, err := LoadCard(filepath.Join(keys, "alice.card"))
		if err != nil {
			t.Fatal(err)
		}
		aliceID, err := LoadIdentity(filepath.Join(keys, "alice.key"), nil)
		if err != nil {
			t.Fatal(err)
		}
		bob, err := LoadIdentity(filepath.Join(keys, "bob.key"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Inner records: parse, then verify against slot 1 (alice).
		for _, path := range vectorFiles(t, "envelope", ".env") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				data := readVector(t, path)
				e, err := ParseInner(data)
				if err == nil {
					err = e.Verify(alice)
				}
				if !checkOutcome(t, path, err) {
					return
				}
				// Ed25519 signatures are deterministic: sealing the parsed
				// content again must give the vector byte for byte.
				again, err := SealInner(e.Header, e.Payload, aliceID)
				if err != nil || !bytes.Equal(again, data) {
					t.Errorf("SealInner does not reproduce the vector (%v)", err)
				}
			})
		}
		// Outer age files, opened by bob (slot 2).
		for _, path := range vectorFiles(t, "envelope", ".age") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				e, err := Open(readVector(t, path), bob)
				if err == nil {
					err = e.Verify(alice)
				}
				if !checkOutcome(t, path, err) {
					return
				}
				inner, ok := sidecar(t, path, ".inner")
				if !ok || string(e.Inner) != inner {
					t.Errorf("decrypted record differs from the .inner sidecar")
				}
			})
		}
	})
}
