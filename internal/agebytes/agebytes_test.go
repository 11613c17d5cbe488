package agebytes

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"
)

func TestRoundTrip(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	ct, err := Encrypt([]byte("secret"), id.Recipient(), other.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []age.Identity{id, other} {
		r, err := age.Decrypt(bytes.NewReader(ct), i)
		if err != nil {
			t.Fatal(err)
		}
		pt, _ := io.ReadAll(r)
		if string(pt) != "secret" {
			t.Fatalf("got %q", pt)
		}
	}
	if _, err := Encrypt([]byte("x")); err == nil {
		t.Fatal("encrypted to nobody")
	}
}
