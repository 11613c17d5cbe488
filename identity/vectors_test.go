package identity

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/vectortest"
)

const vectorRoot = "../testdata/vectors"

func TestVectors(t *testing.T) {
	t.Run("card", func(t *testing.T) {
		for _, path := range vectortest.Files(t, vectorRoot, "card", ".card") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				data := vectortest.Read(t, path)
				c, err := ParseCard(data)
				if !vectortest.Check(t, path, err) {
					return
				}
				if out, err := c.Marshal(); err != nil || !bytes.Equal(out, data) {
					t.Error("Marshal does not reproduce the vector")
				}
				fp, ok := vectortest.Sidecar(t, path, ".fingerprint")
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
		for _, path := range vectortest.Files(t, vectorRoot, "identity", ".key") {
			t.Run(filepath.Base(path), func(t *testing.T) {
				pass, hasPass := vectortest.Sidecar(t, path, ".passphrase")
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
				if !vectortest.Check(t, path, err) {
					return
				}
				card, ok := vectortest.Sidecar(t, path, ".card")
				if !ok {
					t.Fatal("valid identity without .card sidecar")
				}
				if got, err := id.Card().Marshal(); err != nil || string(got) != card {
					t.Errorf("card:\n%s\nwant:\n%s", got, card)
				}
				if !hasPass {
					plain, err := MarshalIdentity(id, nil)
					if err != nil || !bytes.Equal(plain, vectortest.Read(t, path)) {
						t.Errorf("MarshalIdentity does not reproduce the vector (%v)", err)
					}
				}
			})
		}
	})
}
