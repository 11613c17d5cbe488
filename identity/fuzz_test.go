package identity

import (
	"bytes"
	"testing"

	"github.com/coldsig/coldsig/internal/vectortest"
)

// FuzzParseCard checks that any accepted card is canonical: it re-encodes
// to the same bytes.
func FuzzParseCard(f *testing.F) {
	vectortest.Seed(f, vectorRoot, "card", ".card")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCard(data)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("accepted a non-canonical card:\n%q\nre-encodes as\n%q (%v)", data, out, err)
		}
	})
}

// FuzzParseIdentity does the same for plaintext identity records.
func FuzzParseIdentity(f *testing.F) {
	vectortest.Seed(f, vectorRoot, "identity", ".key")
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := ParseIdentity(data)
		if err != nil {
			return
		}
		again, err := MarshalIdentity(id, nil)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical identity (%v):\n%q", err, data)
		}
	})
}
