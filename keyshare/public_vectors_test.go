package keyshare_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/edwards25519"
	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/coldsig/coldsig/internal/vectortest"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

var updatePublicVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors/public")

func publicVectorDir() string { return filepath.Join(keysharetest.Root(), "vectors", "public") }

// TestPublicVectors: public.json is unsigned, so everything derived from
// the key is recomputed and weak keys are refused (docs/format.md,
// public.json).
func TestPublicVectors(t *testing.T) {
	if *updatePublicVectors {
		writePublicVectors(t)
	}
	for _, path := range vectortest.Files(t, publicVectorDir(), "", ".json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := keyshare.ParsePublic(vectortest.Read(t, path))
			vectortest.Check(t, path, err)
		})
	}
}

func FuzzParsePublic(f *testing.F) {
	vectortest.Seed(f, publicVectorDir(), "", ".json")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := keyshare.ParsePublic(b)
		if err != nil {
			return
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("accepted public.json does not marshal: %v", err)
		}
		if _, err := keyshare.ParsePublic(out); err != nil {
			t.Fatalf("re-encoded public.json refused: %v", err)
		}
	})
}

func writePublicVectors(t *testing.T) {
	dir := publicVectorDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.json*"))
	for _, f := range old {
		os.Remove(f)
	}
	vec := func(name, expect string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if expect != "" {
			if err := os.WriteFile(filepath.Join(dir, name+".expect"), []byte(expect+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	asMap := func(b []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	enc := func(m map[string]any) []byte {
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return append(b, '\n')
	}
	ed := keysharetest.Load(t, keyshare.CurveEd25519).PublicJSON
	ec := keysharetest.Load(t, keyshare.CurveSecp256k1).PublicJSON
	vec("valid-ed25519.json", "", ed)
	vec("valid-secp256k1.json", "", ec)
	withKey := func(base []byte, curve string, pk []byte, recomputeID bool) []byte {
		m := asMap(base)
		m["public_key"] = hex.EncodeToString(pk)
		if recomputeID {
			m["key_id"] = keyshare.KeyID(curve, pk)
		}
		return enc(m)
	}
	identity := make([]byte, 32)
	identity[0] = 1
	vec("invalid-ed25519-identity-real-id.json", "the ed25519 public key is the identity point", withKey(ed, "ed25519", identity, false))
	vec("invalid-ed25519-identity.json", "the ed25519 public key is the identity point", withKey(ed, "ed25519", identity, true))
	order2 := append([]byte{0xec}, append([]byte(strings.Repeat("\xff", 30)), 0x7f)...)
	vec("invalid-ed25519-order-2.json", "has small order", withKey(ed, "ed25519", order2, true))
	pPlus1 := append([]byte{0xee}, append([]byte(strings.Repeat("\xff", 30)), 0x7f)...)
	vec("invalid-ed25519-non-canonical.json", "not canonically encoded", withKey(ed, "ed25519", pPlus1, true))
	notPoint := make([]byte, 32)
	notPoint[0] = 2 // y = 2 is not the y of any point
	vec("invalid-ed25519-not-a-point.json", "is not a curve point", withKey(ed, "ed25519", notPoint, true))
	seed := sha256.Sum256([]byte("coldsig TEST-ONLY public vector key"))
	good := []byte(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	gp, _ := new(edwards25519.Point).SetBytes(good)
	t2, _ := new(edwards25519.Point).SetBytes(order2)
	vec("invalid-ed25519-mixed-order.json", "not in the prime-order subgroup", withKey(ed, "ed25519", new(edwards25519.Point).Add(gp, t2).Bytes(), true))
	vec("invalid-ed25519-key-id.json", "is not the key id of public_key", withKey(ed, "ed25519", good, false))
	vec("valid-ed25519-other-key.json", "", withKey(ed, "ed25519", good, true))

	m := asMap(ec)
	pk, _ := hex.DecodeString(m["public_key"].(string))
	bk, _ := btcec.ParsePubKey(pk)
	vec("invalid-secp256k1-uncompressed.json", "public_key must be 33 bytes", withKey(ec, "secp256k1", bk.SerializeUncompressed(), true))
	vec("invalid-secp256k1-hybrid.json", "compressed (02 or 03 first)", withKey(ec, "secp256k1", append([]byte{6}, pk[1:]...), true))
	off := append([]byte{2}, make([]byte, 32)...)
	off[32] = 5
	vec("invalid-secp256k1-off-curve.json", "not a secp256k1 point", withKey(ec, "secp256k1", off, true))
	m = asMap(ec)
	m["eth_address"] = strings.ToLower(m["eth_address"].(string))
	vec("invalid-secp256k1-address-case.json", "is not the address of public_key", enc(m))
	m = asMap(ec)
	delete(m, "eth_address")
	vec("valid-secp256k1-no-address.json", "", enc(m))

	s := string(ed)
	i := strings.Index(s, `  "public_key"`)
	line := s[i : i+strings.Index(s[i:], "\n")+1]
	vec("invalid-duplicate-key.json", `duplicate key "public_key"`, []byte(strings.Replace(s, line, line+`  "public_key": "`+hex.EncodeToString(good)+`",`+"\n", 1)))
	vec("invalid-duplicate-key-case.json", `duplicate key "Public_Key"`, []byte(strings.Replace(s, line, line+`  "Public_Key": "`+hex.EncodeToString(good)+`",`+"\n", 1)))
	vec("invalid-unknown-member.json", "unknown field", []byte(strings.Replace(s, line, line+`  "note": "x",`+"\n", 1)))
	vec("invalid-trailing.json", "trailing data", []byte(s+"{}\n"))
	m = asMap(ed)
	m["parties"].([]any)[1].(map[string]any)["name"] = "bob\u202e"
	vec("invalid-party-name.json", "party 2: invalid party name", enc(m))
	m = asMap(ed)
	m["public_key"] = strings.ToUpper(m["public_key"].(string))
	vec("invalid-uppercase-key.json", "lowercase hex", enc(m))
	// A card fingerprint has one spelling, so holders compare exactly.
	m = asMap(ed)
	p2 := m["parties"].([]any)[1].(map[string]any)
	p2["card"] = strings.ToUpper(p2["card"].(string))
	vec("invalid-uppercase-card.json", "party 2: card must be a 32-byte fingerprint in lowercase hex", enc(m))
}
