package tssparty

import (
	"crypto/sha256"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/snapshot"
)

func goldenPath() string {
	return filepath.Join("..", "..", "..", "testdata", "schema", "layout-"+runtime.GOARCH+".txt")
}

// TestSchemaGolden fails when any type layout a snapshot depends on
// changes: a tss-lib upgrade, a Go upgrade, another architecture. Review
// the diff, then regenerate with
//
//	go test ./ceremony/internal/tssparty -run TestSchemaGolden -update
//
// Snapshots written by the old build are then refused by the new one.
func TestSchemaGolden(t *testing.T) {
	layout, err := SchemaLayout()
	if err != nil {
		t.Fatal(err)
	}
	fp := SchemaFingerprint()
	if fp != sha256.Sum256([]byte(layout)) {
		t.Fatal("fingerprint is not the hash of the layout")
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath()), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.Write(goldenPath(), []byte(layout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath())
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no golden layout for %s (%s); generate it with -update on that architecture", runtime.GOARCH, goldenPath())
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != layout {
		t.Fatalf("snapshot type layouts changed (tss-lib or Go upgrade?); %s differs from this build.\n"+
			"Snapshots of the old build will be refused. Review, then run with -update.\n%s",
			goldenPath(), firstDiff(string(want), layout))
	}
	// The registry must cover what the notes measured (about 240 layouts)
	// and the traps it exists for.
	for _, s := range []string{
		"type github.com/bnb-chain/tss-lib/v2/ecdsa/keygen.round1 ",
		"type github.com/bnb-chain/tss-lib/v2/eddsa/keygen.round1 ",
		"type github.com/bnb-chain/tss-lib/v2/ecdsa/signing.finalization ",
		"type github.com/bnb-chain/tss-lib/v2/tss.PartyID kind=struct", // not a protobuf message
		"external crypto/rand.Reader",
		"hooked",
	} {
		if !strings.Contains(layout, s) {
			t.Errorf("layout lacks %q", s)
		}
	}
	if n := strings.Count(layout, "\ntype "); n < 150 {
		t.Errorf("only %d type layouts registered", n)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "golden: " + x + "\nbuild:  " + y
		}
	}
	return ""
}

// eddsaStarted returns an EdDSA keygen party after round 1.
func eddsaStarted(t *testing.T) *Party {
	t.Helper()
	ps := keygenParties(t, false, newIDs(t, 3), 1, nil)
	if _, err := ps[0].Start(); err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

func TestSnapshotFromOtherSchemaRefused(t *testing.T) {
	data, err := eddsaStarted(t).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// The fingerprint follows the magic line; another build with other
	// layouts writes another one.
	other := append([]byte(nil), data...)
	other[len(snapshot.Magic)] ^= 1
	_, err = Restore(other)
	if !errors.Is(err, snapshot.ErrSchemaMismatch) {
		t.Fatalf("got %v, want ErrSchemaMismatch", err)
	}
	var sm *snapshot.SchemaMismatchError
	if !errors.As(err, &sm) || !strings.Contains(err.Error(), "finish the ceremony with that binary") ||
		!strings.Contains(err.Error(), "abort") {
		t.Fatalf("error does not tell the officer what to do: %v", err)
	}
	if _, err := Restore(data[:len(data)-3]); !errors.Is(err, snapshot.ErrCorrupt) {
		t.Fatalf("truncated snapshot: got %v, want ErrCorrupt", err)
	}
}

// field returns a settable view of an unexported field path.
func field(v reflect.Value, names ...string) reflect.Value {
	for _, n := range names {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		v = v.FieldByName(n)
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	return v
}

// TestCompareCatchesBrokenParty shows the oracle used at every round of
// the flow tests is not vacuous on a real party.
func TestCompareCatchesBrokenParty(t *testing.T) {
	live := eddsaStarted(t)
	data, err := live.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restore := func() *Party {
		r, err := Restore(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := Compare(live, r); err != nil {
			t.Fatalf("unmodified restore differs: %v", err)
		}
		return r
	}
	// The round's save pointer must alias the party's data field.
	r := restore()
	save := field(reflect.ValueOf(r.P), "BaseParty", "rnd")
	save = field(save, "base", "save")
	cp := reflect.New(save.Type().Elem())
	cp.Elem().Set(save.Elem())
	save.Set(cp)
	if err := Compare(live, r); err == nil || !strings.Contains(err.Error(), "sharing differs") {
		t.Fatalf("broken alias not caught: %v", err)
	}
	// A changed secret value.
	r = restore()
	ui := field(reflect.ValueOf(r.P), "temp", "ui").Interface().(*big.Int)
	ui.Add(ui, big.NewInt(1))
	if err := Compare(live, r); err == nil || !strings.Contains(err.Error(), "integers differ") {
		t.Fatalf("changed value not caught: %v", err)
	}
	// A restored party must write to its own channels.
	r = restore()
	r.Out = make(chan tss.Message, 10)
	if _, err := r.Snapshot(); err == nil {
		t.Fatal("party with foreign out channel snapshotted")
	}
}

func TestSnapshotRefusesUndrainedOutput(t *testing.T) {
	p := keygenParties(t, false, newIDs(t, 3), 1, nil)[0]
	if err := p.P.Start(); err != nil { // bypasses Start's drain
		t.Fatal(err)
	}
	_, err := p.Snapshot()
	if !errors.Is(err, snapshot.ErrUnsupported) || !strings.Contains(err.Error(), "unread") {
		t.Fatalf("got %v, want a refusal of the unread channel", err)
	}
}

func TestCopyKeyIsDeep(t *testing.T) {
	k := ecdsakeygen.NewLocalPartySaveData(2)
	k.LocalPreParams = preParams(t, 0)
	k.Xi, k.ShareID = big.NewInt(7), big.NewInt(11)
	k.Ks[0], k.Ks[1] = k.ShareID, big.NewInt(12)
	k.PaillierPKs[0] = &k.PaillierSK.PublicKey
	c, err := CopyECDSAKey(k)
	if err != nil {
		t.Fatal(err)
	}
	c.Xi.SetInt64(0) // what resharing round 5 does
	if k.Xi.Int64() != 7 {
		t.Fatal("copy shares Xi with the original")
	}
	if c.Ks[0] != c.ShareID || c.PaillierPKs[0] != &c.PaillierSK.PublicKey {
		t.Fatal("copy lost the sharing inside the key")
	}
	if c.PaillierSK.N.Cmp(k.PaillierSK.N) != 0 || c.PaillierSK == k.PaillierSK {
		t.Fatal("Paillier key not copied")
	}
}

func TestConstructorsRefuse(t *testing.T) {
	ids := newIDs(t, 3)
	ctx := tss.NewPeerContext(ids)
	ec := func() *tss.Parameters { return tss.NewParameters(tss.S256(), ctx, ids[0], 3, 1) }
	noProof := ec()
	noProof.SetNoProofMod()
	if _, err := NewECDSAKeygen(noProof, preParams(t, 0)); !errors.Is(err, ErrParams) {
		t.Errorf("no-proof parameters: %v", err)
	}
	if _, err := NewECDSAKeygen(ec(), ecdsakeygen.LocalPreParams{}); !errors.Is(err, ErrParams) {
		t.Errorf("missing pre-params: %v", err)
	}
	if _, err := NewEdDSAKeygen(ec()); !errors.Is(err, ErrParams) {
		t.Errorf("wrong curve: %v", err)
	}
	bad := tss.NewParameters(tss.S256(), ctx, ids[0], 3, 3)
	if _, err := NewECDSAKeygen(bad, preParams(t, 0)); !errors.Is(err, ErrParams) {
		t.Errorf("threshold 3 of 3: %v", err)
	}
	// A continuing member under the same key (tss-lib #128).
	rs := tss.NewReSharingParameters(tss.Edwards(), ctx, tss.NewPeerContext(ids), ids[0], 3, 1, 3, 1)
	if _, err := NewEdDSAReshare(rs, eddsaSave{}); err == nil || !strings.Contains(err.Error(), "#128") {
		t.Errorf("same key in both committees: %v", err)
	}
}
