package ur

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/vectortest"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ToLower(strings.Join(strings.Fields(s), "")))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BCR-2020-007 test vector 2: a testnet public key at m/44'/1'/1'/0/1.
func TestHDKeyVector(t *testing.T) {
	k := &HDKey{
		PublicKey:         mustHex(t, "026fe2355745bb2db3630bbc80ef5d58951c963c841f54170ba6e5c12be7fc12a6"),
		Testnet:           true,
		Origin:            Keypath{Path: []uint32{44, 1, 1, 0, 1}, Hardened: []bool{true, true, true, false, false}},
		ParentFingerprint: 3910671603,
	}
	copy(k.ChainCode[:], mustHex(t, "ced155c72456255881793514edc5bd9447e7f74abb88c6d6b6480fd016ee8c85"))
	got, err := EncodeHDKey(k)
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, `A5035821026FE2355745BB2DB3630BBC80EF5D58951C963C841F54170BA6E5C12BE7FC12A6045820CED155C72456255881793514EDC5BD9447E7F74ABB88C6D6B6480FD016EE8C8505D90131A1020106D90130A1018A182CF501F501F500F401F4081AE9181CF3`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %X\nwant %X", got, want)
	}
	back, err := ParseHDKey(got)
	if err != nil || back.Origin.String() != "m/44'/1'/1'/0/1" || !back.Testnet || back.ParentFingerprint != 3910671603 {
		t.Fatalf("parse: %+v %v", back, err)
	}
}

// The P2WPKH descriptor of BCR-2020-015's test vector, as an account of
// one output.
func TestAccountVector(t *testing.T) {
	k := &HDKey{
		PublicKey:         mustHex(t, "03FD433450B6924B4F7EFDD5D1ED017D364BE95AB2B592DC8BDDB3B00C1C24F63F"),
		Origin:            Keypath{Path: []uint32{84, 0, 0}, Hardened: []bool{true, true, true}},
		ParentFingerprint: 224256471,
	}
	copy(k.ChainCode[:], mustHex(t, "72EDE7334D5ACF91C6FDA622C205199C595A31F9218ED30792D301D5EE9E3A88"))
	got, err := EncodeAccount(934670036, k)
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, `A2 01 1A 37B5EED4 02 81
		D9 0194 D9 012F A4
		03 5821 03FD433450B6924B4F7EFDD5D1ED017D364BE95AB2B592DC8BDDB3B00C1C24F63F
		04 5820 72EDE7334D5ACF91C6FDA622C205199C595A31F9218ED30792D301D5EE9E3A88
		06 D9 0130 A1 01 86 18 54 F5 00 F5 00 F5
		08 1A 0D5DE1D7`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %X\nwant %X", got, want)
	}
}

func TestEthSignRequestRoundTrip(t *testing.T) {
	depth := uint8(2)
	r := &EthSignRequest{
		RequestID: mustHex(t, "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d"),
		SignData:  []byte{0x02, 0xc0},
		DataType:  EthTypedTx,
		ChainID:   137,
		Path:      Keypath{Path: []uint32{0, 5}, Hardened: []bool{false, false}, SourceFingerprint: 0xd34db33f, Depth: &depth},
		Address:   bytes.Repeat([]byte{0x11}, 20),
		Origin:    "watch wallet",
	}
	msg, err := EncodeEthSignRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEthSignRequest(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got.ChainID != 137 || got.DataType != EthTypedTx || got.Path.String() != "m/0/5" || got.Path.SourceFingerprint != 0xd34db33f || got.Origin != "watch wallet" || !bytes.Equal(got.RequestID, r.RequestID) {
		t.Fatalf("%+v", got)
	}
	sig, err := EncodeEthSignature(&EthSignature{RequestID: r.RequestID, Signature: bytes.Repeat([]byte{1}, 65)})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := ParseEthSignature(sig); err != nil || !bytes.Equal(s.RequestID, r.RequestID) {
		t.Fatalf("signature: %v", err)
	}
}

func FuzzParseEthSignRequest(f *testing.F) {
	vectortest.Seed(f, vectorDir, "ur", ".cbor")
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := ParseEthSignRequest(msg)
		if err != nil {
			return
		}
		again, err := EncodeEthSignRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseEthSignRequest(again)
		if err != nil || r2.ChainID != r.ChainID || !bytes.Equal(r2.SignData, r.SignData) || r2.Path.String() != r.Path.String() {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func TestAccountRoundTrip(t *testing.T) {
	k := &HDKey{PublicKey: mustHex(t, "03FD433450B6924B4F7EFDD5D1ED017D364BE95AB2B592DC8BDDB3B00C1C24F63F"), Origin: Keypath{SourceFingerprint: 0x13c6fe12}}
	msg, err := EncodeAccount(0x13c6fe12, k)
	if err != nil {
		t.Fatal(err)
	}
	fp, keys, err := ParseAccount(msg)
	if err != nil || fp != 0x13c6fe12 || len(keys) != 1 || !bytes.Equal(keys[0].PublicKey, k.PublicKey) || keys[0].Origin.SourceFingerprint != 0x13c6fe12 {
		t.Fatalf("%x %+v %v", fp, keys, err)
	}
}
