package envelope

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/vectortest"
)

// FuzzParseInner checks that an accepted envelope record is canonical and
// that its header passes Validate: the signed bytes are exactly what
// encodeSigned makes of the parsed header and payload, and the signature
// line follows them.
func FuzzParseInner(f *testing.F) {
	vectortest.Seed(f, vectorRoot, "envelope", ".env")
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseInner(data)
		if err != nil {
			return
		}
		signed, err := encodeSigned(e.Header, e.Payload)
		if err != nil {
			t.Fatalf("parsed header fails validation: %v\n%q", err, data)
		}
		if !bytes.Equal(signed, e.Signed()) {
			t.Fatalf("accepted a non-canonical record:\n%q", data)
		}
		if len(e.Signature) != 64 || len(e.Inner) != len(signed)+len("signature: \n")+128 {
			t.Fatalf("signature line malformed but accepted:\n%q", data)
		}
	})
}

// FuzzOpen feeds arbitrary files to Open with a fixed identity: it must
// never panic, and anything it accepts must re-parse identically.
func FuzzOpen(f *testing.F) {
	vectortest.Seed(f, vectorRoot, "envelope", ".age")
	bob, err := identity.LoadIdentity(filepath.Join(vectorRoot, "envelope", "keys", "bob.key"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Open(data, bob)
		if err != nil {
			return
		}
		e2, err := ParseInner(e.Inner)
		if err != nil || e2.Header != e.Header || !bytes.Equal(e2.Payload, e.Payload) {
			t.Fatalf("Open accepted what ParseInner refuses: %v", err)
		}
	})
}
