package envelope

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedVectors adds every vector input of a format to the fuzz corpus.
func seedVectors(f *testing.F, format string, exts ...string) {
	for _, ext := range exts {
		for _, p := range vectorFiles(f, format, ext) {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzParseCard checks that any accepted card is canonical: it re-encodes
// to the same bytes.
func FuzzParseCard(f *testing.F) {
	seedVectors(f, "card", ".card")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCard(data)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Marshal(), data) {
			t.Fatalf("accepted a non-canonical card:\n%q\nre-encodes as\n%q", data, c.Marshal())
		}
	})
}

// FuzzParseIdentity does the same for plaintext identity records.
func FuzzParseIdentity(f *testing.F) {
	seedVectors(f, "identity", ".key")
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

// FuzzParseInner checks that an accepted envelope record is canonical and
// that its header passes Validate: the signed bytes are exactly what
// encodeSigned makes of the parsed header and payload, and the signature
// line follows them.
func FuzzParseInner(f *testing.F) {
	seedVectors(f, "envelope", ".env")
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
	seedVectors(f, "envelope", ".age")
	bob, err := LoadIdentity(filepath.Join(vectorRoot, "envelope", "keys", "bob.key"), nil)
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
