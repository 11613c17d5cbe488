package qr

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// BCR-2020-007 test vector 1: a crypto-hdkey UR and its CBOR.
const (
	hdkeyUR   = "ur:crypto-hdkey/otadykaxhdclaevswfdmjpfswpwkahcywspsmndwmusoskprbbehetchsnpfcybbmwrhchspfxjeecaahdcxltfszmlyrtdlgmhfcnzcctvwcmkbpsftgonbgauefsehgrqzdmvodizmweemtlaybakiylat"
	hdkeyCBOR = "a301f503582100e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35045820873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508"
)

func TestTypedURReferenceVector(t *testing.T) {
	d := Decoder{Types: []string{"crypto-hdkey"}}
	if _, err := d.Add(hdkeyUR); err != nil {
		t.Fatal(err)
	}
	got, err := d.Result()
	if err != nil || hex.EncodeToString(got) != hdkeyCBOR || d.Type() != "crypto-hdkey" {
		t.Fatalf("decoded %x (%v), type %q", got, err, d.Type())
	}
	msg, _ := hex.DecodeString(hdkeyCBOR)
	e, err := NewTypedEncoder("crypto-hdkey", msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := e.Frames(); len(f) != 1 || f[0] != strings.ToUpper(hdkeyUR) {
		t.Fatalf("encoded %q", f)
	}
}

func TestTypedURTypes(t *testing.T) {
	// A decoder for coldsig's own frames refuses a registry type, and a
	// typed decoder refuses other types.
	var d Decoder
	if _, err := d.Add(hdkeyUR); !errors.Is(err, ErrType) {
		t.Fatalf("default decoder: %v", err)
	}
	d2 := Decoder{Types: []string{"crypto-psbt", "psbt"}}
	if _, err := d2.Add(hdkeyUR); !errors.Is(err, ErrType) {
		t.Fatalf("typed decoder: %v", err)
	}
	// A long message of a registry type goes through the fountain code
	// and comes back as the same CBOR.
	msg := append([]byte{0x59, 0x07, 0xd0}, make([]byte, 2000)...)
	for i := range msg[3:] {
		msg[3+i] = byte(i * 7)
	}
	e, err := NewTypedEncoder("crypto-psbt", msg, &Options{MaxFragmentLen: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range e.Frames() {
		if !strings.HasPrefix(f, "UR:CRYPTO-PSBT/") {
			t.Fatalf("frame %q", f)
		}
		if _, err := d2.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d2.Result()
	if err != nil || string(got) != string(msg) || d2.Type() != "crypto-psbt" {
		t.Fatalf("result: %v", err)
	}
	if _, err := NewTypedEncoder("Bad Type", msg, nil); err == nil {
		t.Fatal("invalid type accepted")
	}
}
