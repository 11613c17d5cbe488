package envelope

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/vectortest"
)

const vectorRoot = "../testdata/vectors"

func TestVectors(t *testing.T) {
	t.Run("envelope", func(t *testing.T) {
		keys := filepath.Join(vectorRoot, "envelope", "keys")
		alice, err := identity.LoadCard(filepath.Join(keys, "alice.card"))
		if err != nil {
			t.Fatal(err)
		}
		aliceID, err := identity.LoadIdentity(filepath.Join(keys, "alice.key"), nil)
		if err != nil {
			t.Fatal(err)
		}
		bob, err := identity.LoadIdentity(filepath.Join(keys, "bob.key"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Inner records: parse, then verify against slot 1 (alice).
		for _, path := range vectortest.Files(t, vectorRoot, "envelope", ".env") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				data := vectortest.Read(t, path)
				e, err := ParseInner(data)
				if err == nil {
					err = e.Verify(alice)
				}
				if !vectortest.Check(t, path, err) {
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
		for _, path := range vectortest.Files(t, vectorRoot, "envelope", ".age") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				e, err := Open(vectortest.Read(t, path), bob)
				if err == nil {
					err = e.Verify(alice)
				}
				if !vectortest.Check(t, path, err) {
					return
				}
				inner, ok := vectortest.Sidecar(t, path, ".inner")
				if !ok || string(e.Inner) != inner {
					t.Errorf("decrypted record differs from the .inner sidecar")
				}
			})
		}
	})
}
