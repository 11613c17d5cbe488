package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/keyshare"
)

func TestDescribeReshareMarksYouInBothCommittees(t *testing.T) {
	pub := testPublic(t, keyshare.CurveSecp256k1, 2, 0, 1, 2)
	p, err := NewReshare(pub, testCards(t, 2, 0), testCards(t, 2, 3, 4), 2)
	if err != nil {
		t.Fatal(err)
	}
	carol := testCard(t, 2).Fingerprint()
	d, err := Describe(p, carol)
	if err != nil {
		t.Fatal(err)
	}
	if d.Purpose == "" || d.Threshold != 2 || d.Parties != 3 || d.Key == nil || d.Key.Threshold != 2 || len(d.Key.Holders) != 3 {
		t.Fatalf("header: %+v", d)
	}
	if !strings.HasPrefix(d.Key.EthAddress, "0x") {
		t.Fatalf("secp256k1 key without address: %q", d.Key.EthAddress)
	}
	if len(d.You) != 2 || d.You[0] != 2 || d.You[1] != 3 {
		t.Fatalf("You = %v, want [2 3]", d.You)
	}
	if len(d.Committees) != 2 || d.Committees[0].Title != "old committee" || d.Committees[1].Title != "new committee" {
		t.Fatalf("committees: %+v", d.Committees)
	}
	old, nw := d.Committees[0].Members, d.Committees[1].Members
	if old[1].Name != "carol" || old[1].KeyParty != 3 || !old[1].You || old[0].You {
		t.Fatalf("old committee: %+v", old)
	}
	if nw[0].Slot != 3 || nw[0].OldSlot != 2 || nw[0].KeyParty != 0 || !nw[0].You || nw[1].OldSlot != 0 {
		t.Fatalf("new committee: %+v", nw)
	}
	if !d.Key.Holders[2].You || d.Key.Holders[0].You {
		t.Fatalf("key holders: %+v", d.Key.Holders)
	}
	// Nobody: no row is "you".
	d, err = Describe(p, [32]byte{})
	if err != nil || len(d.You) != 0 {
		t.Fatalf("anonymous description: %v %v", d.You, err)
	}
}

func TestDescribeSignItems(t *testing.T) {
	pub := testPublic(t, keyshare.CurveEd25519, 2, 0, 1, 2)
	pl, err := NewFilePayload("release.tar.gz", strings.NewReader("abc"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewSign(pub, testCards(t, 0, 2), pl)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Describe(p, testCard(t, 0).Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if d.Signers != 2 || d.Committees[0].Title != "signers" || !d.Committees[0].Members[0].You || d.Committees[0].Members[1].KeyParty != 3 {
		t.Fatalf("signers: %+v", d.Committees)
	}
	if len(d.Signs) != 1 {
		t.Fatalf("signs %d items", len(d.Signs))
	}
	it := d.Signs[0]
	want := []Field{{"file name", "release.tar.gz"}, {"file size", "3 bytes"}, {"sha-256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}
	if it.Kind != PayloadFile || len(it.Fields) != 3 || it.Fields[0] != want[0] || it.Fields[1] != want[1] || it.Fields[2] != want[2] {
		t.Fatalf("item: %+v", it)
	}
	if !strings.Contains(it.How, "Ed25519 signs the 32 bytes") || d.Key.EthAddress != "" {
		t.Fatalf("how %q, address %q", it.How, d.Key.EthAddress)
	}
}

// A Plan is an exported struct anyone can alter; describing or
// fingerprinting an invalid one is an error, not a panic.
func TestFingerprintOfInvalidPlanIsAnError(t *testing.T) {
	p, err := NewKeygen(keyshare.CurveEd25519, 2, testCards(t, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	p.Threshold = 9
	if _, err := p.Fingerprint(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Fingerprint: %v, want ErrInvalid", err)
	}
	if _, err := Describe(p, [32]byte{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Describe: %v, want ErrInvalid", err)
	}
}

// A one-byte message or file is "1 byte", never "1 bytes" (ux review 1.15).
func TestDescribeOneByte(t *testing.T) {
	pub := testPublic(t, keyshare.CurveEd25519, 2, 0, 1, 2)
	for _, c := range []struct {
		pl   func() (*Payload, error)
		want string
	}{
		{func() (*Payload, error) { return NewTextPayload(keyshare.CurveEd25519, "x") }, "Ed25519 signs exactly this 1 byte."},
		{func() (*Payload, error) { return NewFilePayload("one", strings.NewReader("x")) }, "1 byte"},
	} {
		pl, err := c.pl()
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewSign(pub, testCards(t, 0, 2), pl)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Describe(p, [32]byte{})
		if err != nil {
			t.Fatal(err)
		}
		it := d.Signs[0]
		text := it.How
		for _, f := range it.Fields {
			text += "\n" + f.Value
		}
		if !strings.Contains(text, c.want) || strings.Contains(text, "1 bytes") {
			t.Errorf("%q lacks %q or says 1 bytes", text, c.want)
		}
	}
}
