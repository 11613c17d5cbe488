package ur

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/vectortest"
)

// go test ./txn/ur -run TestVectors -update-vectors rewrites
// testdata/vectors/ur from the definitions below (CBOR written in
// diagnostic-like hex by hand; expectations by hand).
var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors/ur")

const vectorDir = "../../testdata/vectors"

// urVectors are eth-sign-request messages: name -> (CBOR hex, expected
// error or "").
var urVectors = map[string][2]string{
	// {1: 37(uuid), 2: h'02c2c080', 3: 4, 4: 137, 5: 304({1: [0, false, 9, false], 2: 0x13c6fe12}), 6: h'11..11', 7: "watch wallet"}
	"valid-eth-sign-request": {"a7 01 d825 50 9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d 02 44 02c2c080 03 04 04 1889 05 d90130 a2 01 84 00 f4 09 f4 02 1a 13c6fe12 06 54 1111111111111111111111111111111111111111 07 6c 77617463682077616c6c6574", ""},
	// The smallest: sign data and a path.
	"valid-eth-sign-request-minimal": {"a2 02 42 02c0 05 d90130 a2 01 80 02 01", ""},
	"invalid-duplicate-key":          {"a3 02 42 02c0 02 42 02c0 05 d90130 a2 01 80 02 01", "duplicate map key"},
	"invalid-untagged-keypath":       {"a2 02 42 02c0 05 a2 01 80 02 01", "tag"},
	"invalid-unknown-key":            {"a3 02 42 02c0 05 d90130 a2 01 80 02 01 09 01", "unknown field"},
	"invalid-data-type":              {"a3 02 42 02c0 03 09 05 d90130 a2 01 80 02 01", "data type 9"},
	"invalid-no-fingerprint":         {"a2 02 42 02c0 05 d90130 a1 01 80", "names no source fingerprint"},
	"invalid-wildcard":               {"a2 02 42 02c0 05 d90130 a2 01 82 80 f4 02 01", "not a single child index"},
	"invalid-indefinite":             {"a2 02 5f 41 02 41 c0 ff 05 d90130 a2 01 80 02 01", "indefinite"},
	"invalid-short-uuid":             {"a3 01 d825 42 0102 02 42 02c0 05 d90130 a2 01 80 02 01", "a UUID is 16"},
	"invalid-trailing":               {"a2 02 42 02c0 05 d90130 a2 01 80 02 01 00", "extraneous data"},
}

func TestVectors(t *testing.T) {
	dir := filepath.Join(vectorDir, "ur")
	if *updateVectors {
		old, _ := filepath.Glob(filepath.Join(dir, "*.cbor*"))
		for _, f := range old {
			os.Remove(f)
		}
		for name, v := range urVectors {
			b := mustHex(t, v[0])
			if err := os.WriteFile(filepath.Join(dir, name+".cbor"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if v[1] != "" {
				if err := os.WriteFile(filepath.Join(dir, name+".cbor.expect"), []byte(v[1]+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	files := vectortest.Files(t, vectorDir, "ur", ".cbor")
	if len(files) != len(urVectors) {
		t.Fatalf("%d vector files for %d definitions: run with -update-vectors", len(files), len(urVectors))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := vectortest.Read(t, path)
			name := strings.TrimSuffix(filepath.Base(path), ".cbor")
			if want := mustHex(t, urVectors[name][0]); !bytes.Equal(want, data) {
				t.Fatalf("file differs from its definition (%x): run with -update-vectors", data)
			}
			r, err := ParseEthSignRequest(data)
			if vectortest.Check(t, path, err) && name == "valid-eth-sign-request" {
				if r.ChainID != 137 || r.DataType != EthTypedTx || r.Path.String() != "m/0/9" || r.Path.SourceFingerprint != 0x13c6fe12 ||
					r.Origin != "watch wallet" || hex.EncodeToString(r.RequestID) != "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d" {
					t.Fatalf("decoded %+v", r)
				}
			}
		})
	}
}

// FuzzParseRegistry: no message makes a registry decoder panic, and a
// decoded PSBT or HD key encodes to a message that decodes to the same.
func FuzzParseRegistry(f *testing.F) {
	vectortest.Seed(f, vectorDir, "ur", ".cbor")
	f.Add(mustHex(f, "A5035821026FE2355745BB2DB3630BBC80EF5D58951C963C841F54170BA6E5C12BE7FC12A6045820CED155C72456255881793514EDC5BD9447E7F74ABB88C6D6B6480FD016EE8C8505D90131A1020106D90130A1018A182CF501F501F500F401F4081AE9181CF3"))
	f.Add([]byte{0x45, 'p', 's', 'b', 't', 0xff})
	f.Fuzz(func(t *testing.T, msg []byte) {
		if p, err := PSBT(msg); err == nil {
			// A longer-than-needed length is accepted (the PSBT is the
			// same bytes); what is decoded must encode and decode back.
			again, err := EncodePSBT(p)
			if err != nil {
				t.Fatal(err)
			}
			if p2, err := PSBT(again); err != nil || !bytes.Equal(p2, p) {
				t.Fatalf("crypto-psbt %x does not round-trip (%v)", msg, err)
			}
		}
		if k, err := ParseHDKey(msg); err == nil {
			b, err := EncodeHDKey(k)
			if err != nil {
				return // a key-data that is not 33 bytes is refused on encode too
			}
			k2, err := ParseHDKey(b)
			if err != nil || !bytes.Equal(k2.PublicKey, k.PublicKey) || k2.ChainCode != k.ChainCode {
				t.Fatalf("crypto-hdkey round trip: %v", err)
			}
		}
		ParseAccount(msg)
		ParseEthSignature(msg)
	})
}
