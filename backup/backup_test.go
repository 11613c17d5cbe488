package backup

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// testBackup is a sealed backup of fixture party 1 with fresh custodians.
type testBackup struct {
	inner  []byte
	owner  *identity.Identity
	shards []*Shard
	files  []File
	ids    []age.Identity
}

func makeBackup(t testing.TB, curve string, k, m int) *testBackup {
	t.Helper()
	fx := keysharetest.Load(t, curve)
	tb := &testBackup{inner: fx.Inner[0], owner: fx.IDs[0]}
	var names []string
	for i := 0; i < m; i++ {
		names = append(names, fmt.Sprintf("custodian%d", i+1))
	}
	var err error
	tb.shards, err = Split(tb.inner, tb.owner, Options{Threshold: k, Custodians: names, Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range tb.shards {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := SealShard(s, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		tb.ids = append(tb.ids, id)
		tb.files = append(tb.files, File{Label: fmt.Sprintf("shard-%d.age", i+1), Data: sealed})
	}
	return tb
}

// subsets calls f with every subset of {0..n-1} of size k.
func subsets(n, k int, f func([]int)) {
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			f(append([]int(nil), cur...))
			return
		}
		for i := start; i < n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(0, nil)
}

func TestEverySubset(t *testing.T) {
	const k, m = 3, 5
	tb := makeBackup(t, keyshare.CurveEd25519, k, m)
	for size := 1; size <= m; size++ {
		subsets(m, size, func(set []int) {
			var files []File
			for _, i := range set {
				files = append(files, tb.files[i])
			}
			res, err := Restore(files, &Keys{Identities: tb.ids}, nil)
			if size < k {
				var ne *NotEnoughError
				if !errors.As(err, &ne) || ne.Have != size || ne.Threshold != k {
					t.Fatalf("subset %v: want NotEnoughError, got %v", set, err)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%d more needed", k-size)) {
					t.Errorf("subset %v: %v", set, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("subset %v: %v", set, err)
			}
			if !bytes.Equal(res.Inner, tb.inner) {
				t.Fatalf("subset %v: restored share differs", set)
			}
			if len(res.Used) != k {
				t.Errorf("subset %v: used %v", set, res.Used)
			}
		})
	}
}

func TestNoValidShard(t *testing.T) {
	_, err := Restore(nil, &Keys{}, nil)
	var ne *NotEnoughError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no valid shard") {
		t.Fatal(err)
	}
}

// TestCorruptEveryByte changes every byte of every sealed shard of a small
// backup in turn: the shard must be rejected and named, and the restore
// must still succeed from the others.
func TestCorruptEveryByte(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	for si, f := range tb.files {
		for pos := range f.Data {
			bad := bytes.Clone(f.Data)
			bad[pos] ^= 0x01
			if _, err := OpenShard(bad, tb.ids[si]); err == nil {
				t.Fatalf("shard %d: flipping byte %d went undetected", si+1, pos)
			}
		}
	}
	// A full restore with one corrupted shard names it and uses the others.
	// (Sampled: every 97th byte, to keep the test fast.)
	for si := range tb.files {
		for pos := 0; pos < len(tb.files[si].Data); pos += 97 {
			files := append([]File(nil), tb.files...)
			files[si] = File{Label: files[si].Label, Data: bytes.Clone(files[si].Data)}
			files[si].Data[pos] ^= 0x80
			res, err := Restore(files, &Keys{Identities: tb.ids}, nil)
			if err != nil {
				t.Fatalf("shard %d byte %d: %v", si+1, pos, err)
			}
			if !bytes.Equal(res.Inner, tb.inner) {
				t.Fatal("restored share differs")
			}
			if len(res.Rejected) != 1 || res.Rejected[0].Label != files[si].Label {
				t.Fatalf("shard %d byte %d: rejected %v", si+1, pos, res.Rejected)
			}
		}
	}
}

// TestCorruptEveryInnerByte models a custodian who can decrypt their shard,
// alters it and re-encrypts it: every single-byte change of the inner
// record must be caught by the shard's own checks.
func TestCorruptEveryInnerByte(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	for si, s := range tb.shards {
		inner, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		for pos := range inner {
			for _, x := range []byte{0x01, 0x20} {
				bad := bytes.Clone(inner)
				bad[pos] ^= x
				p, err := ParseShard(bad)
				if err == nil {
					err = p.Verify()
				}
				if err == nil {
					t.Fatalf("shard %d: inner byte %d ^ %#x went undetected", si+1, pos, x)
				}
			}
		}
	}
}

func TestTruncation(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	f := tb.files[0].Data
	for n := 0; n < len(f); n++ {
		if _, err := OpenShard(f[:n], tb.ids[0]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
}

func TestMixedBackups(t *testing.T) {
	a := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	b := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	ids := append(append([]age.Identity(nil), a.ids...), b.ids...)
	label := func(fs []File, p string) []File {
		var out []File
		for _, f := range fs {
			out = append(out, File{p + f.Label, f.Data})
		}
		return out
	}
	fa, fb := label(a.files, "a/"), label(b.files, "b/")

	// Two of A and one of B: A is restored, B's shard named and set aside.
	res, err := Restore([]File{fa[0], fb[1], fa[2]}, &Keys{Identities: ids}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Inner, a.inner) || res.Backup.BackupID != a.shards[0].BackupID {
		t.Fatal("restored the wrong backup")
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Label != "b/shard-2.age" || !strings.Contains(res.Rejected[0].Err.Error(), "another backup") {
		t.Fatalf("rejected: %v", res.Rejected)
	}
	// One of each: neither is enough, and they are not combined.
	_, err = Restore([]File{fa[0], fb[1]}, &Keys{Identities: ids}, nil)
	var ne *NotEnoughError
	if !errors.As(err, &ne) || ne.Have != 1 {
		t.Fatalf("one of each: %v", err)
	}
	// Two complete backups: refuse to choose.
	_, err = Restore([]File{fa[0], fb[1], fa[1], fb[2]}, &Keys{Identities: ids}, nil)
	if !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), "a/shard-1.age") || !strings.Contains(err.Error(), "b/shard-3.age") {
		t.Fatalf("two backups: %v", err)
	}
}

func TestDuplicateShard(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	copyOf := File{"copy.age", tb.files[0].Data}
	_, err := Restore([]File{tb.files[0], copyOf}, &Keys{Identities: tb.ids}, nil)
	var ne *NotEnoughError
	if !errors.As(err, &ne) || ne.Have != 1 {
		t.Fatalf("a shard and its copy restored: %v", err)
	}
}

// TestForgedManifest: someone who holds one shard re-signs its manifest
// with their own key (changing the custodian list) to smuggle in a part.
func TestForgedManifest(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	mallory, _ := identity.NewIdentity("mallory")
	forged := *tb.shards[2]
	forged.Owner = mallory.Card()
	forged.Part = bytes.Clone(forged.Part)
	forged.Part[0] ^= 1
	forged.Custodians = append([]Custodian(nil), forged.Custodians...)
	forged.Custodians[2].Commitment = commitment(forged.BackupID, 3, forged.Part)
	m, _ := forged.Manifest()
	forged.Signature = ed25519Sign(mallory, m)
	if err := forged.Verify(); err != nil {
		t.Fatalf("forged shard should verify on its own: %v", err)
	}
	cands := []Candidate{{"good1", tb.shards[0]}, {"forged", &forged}, {"good2", tb.shards[1]}}
	res, err := Combine(cands, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Inner, tb.inner) || len(res.Rejected) != 1 || res.Rejected[0].Label != "forged" ||
		!strings.Contains(res.Rejected[0].Err.Error(), "manifest differs") {
		t.Fatalf("rejected %v", res.Rejected)
	}
	// Pinning the owner rejects it before grouping.
	res, err = Combine(cands, &CombineOptions{Owner: tb.owner.Card()})
	if err != nil || !errors.Is(res.Rejected[0].Err, ErrWrongOwner) {
		t.Fatalf("pinned owner: %v %v", err, res.Rejected)
	}
}

func TestSplitRefuses(t *testing.T) {
	fx := keysharetest.Load(t, keyshare.CurveEd25519)
	names := []string{"a", "b", "c"}
	if _, err := Split(fx.Inner[0], fx.IDs[1], Options{Threshold: 2, Custodians: names}); err == nil || !strings.Contains(err.Error(), "belongs to party 1") {
		t.Errorf("split with another party's identity: %v", err)
	}
	for _, tc := range []struct {
		k     int
		names []string
		want  string
	}{
		{1, names, "threshold 1"},
		{4, names, "threshold 4"},
		{2, []string{"a"}, "1 custodians"},
		{2, []string{"a", "a"}, "a is given twice"},
		{2, make([]string, MaxShards+1), "custodian \"\""},
		{2, []string{"a", "-b"}, "invalid party name"},
	} {
		if _, err := Split(fx.Inner[0], fx.IDs[0], Options{Threshold: tc.k, Custodians: tc.names}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("k=%d %v: %v, want %q", tc.k, tc.names, err, tc.want)
		}
	}
	if _, err := Split([]byte("not a share"), fx.IDs[0], Options{Threshold: 2, Custodians: names}); !errors.Is(err, keyshare.ErrShare) {
		t.Errorf("split of garbage: %v", err)
	}
}

// TestOptionsCheck: what Split refuses about its options is refused by
// Check alone, before any share is read or passphrase asked.
func TestOptionsCheck(t *testing.T) {
	many := make([]string, MaxShards+1)
	for i := range many {
		many[i] = fmt.Sprintf("c%d", i)
	}
	for _, tc := range []struct {
		k     int
		names []string
		want  string
	}{
		{2, []string{"a", "b"}, ""},
		{1, []string{"a", "b"}, "threshold 1 is outside 2..2"},
		{3, []string{"a", "b"}, "threshold 3 is outside 2..2"},
		{2, []string{"a"}, "1 custodians; a backup needs 2.."},
		{2, many, fmt.Sprintf("%d custodians", MaxShards+1)},
		{2, []string{"a", "b", "a"}, "custodian a is given twice"},
		{2, []string{"a", "-b"}, "custodian \"-b\""},
	} {
		err := Options{Threshold: tc.k, Custodians: tc.names}.Check()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("k=%d %v: %v, want %q", tc.k, tc.names, err, tc.want)
		}
	}
}

// TestSplitSealed: the share.age of the owner splits; another party's
// identity cannot open it, and says so with ErrOpenShare.
func TestSplitSealed(t *testing.T) {
	fx := keysharetest.Load(t, keyshare.CurveEd25519)
	opt := Options{Threshold: 2, Custodians: []string{"a", "b"}}
	shards, err := SplitSealed(fx.Sealed[0], fx.IDs[0], opt)
	if err != nil || len(shards) != 2 {
		t.Fatalf("%d shards, %v", len(shards), err)
	}
	if _, err := SplitSealed(fx.Sealed[0], fx.IDs[1], opt); !errors.Is(err, ErrOpenShare) || !errors.Is(err, keyshare.ErrNotYours) {
		t.Fatalf("another party's identity: %v", err)
	}
	if _, err := SplitSealed(fx.Sealed[0], fx.IDs[0], Options{Threshold: 3, Custodians: []string{"a", "b"}}); err == nil || errors.Is(err, ErrOpenShare) {
		t.Fatalf("bad options: %v", err)
	}
}

func TestPaperRoundTrip(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	paper, err := RenderPaper(tb.shards[1], tb.files[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenShard(paper, tb.ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if s.Index != 2 {
		t.Fatalf("index %d", s.Index)
	}
	// A typo in one printed line is reported with that line's number.
	_, err = OpenShard(typo(t, paper, 5), tb.ids[1])
	if err == nil || !strings.Contains(err.Error(), "printed line 5: checksum mismatch") {
		t.Fatalf("typo: %v", err)
	}
	// Retyped with the usual confusions, it still opens.
	if _, err := OpenShard(retype(t, paper), tb.ids[1]); err != nil {
		t.Fatalf("retyped: %v", err)
	}
	// The paper header must match the content.
	other, _ := RenderPaper(tb.shards[0], tb.files[1].Data)
	if _, err := OpenShard(other, tb.ids[1]); err == nil || !strings.Contains(err.Error(), "header") {
		t.Fatalf("mislabelled paper: %v", err)
	}
}

// TestDrillECDSA restores a real ECDSA 2-of-3 keygen share from a 3-of-5
// backup and proves it belongs to the key; against another key it fails.
func TestDrillECDSA(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveSecp256k1, 3, 5)
	res, err := Restore([]File{tb.files[4], tb.files[0], tb.files[2]}, &Keys{Identities: tb.ids}, &CombineOptions{Owner: tb.owner.Card()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Inner, tb.inner) {
		t.Fatal("restored share differs")
	}
	ec := keysharetest.Load(t, keyshare.CurveSecp256k1)
	if err := res.Share.Check(ec.Public); err != nil {
		t.Fatalf("drill against its own key: %v", err)
	}
	ed := keysharetest.Load(t, keyshare.CurveEd25519)
	if err := res.Share.Check(ed.Public); !errors.Is(err, keyshare.ErrWrongKey) {
		t.Fatalf("drill against another key: %v", err)
	}
}

// TestResultSeal: the restored share is sealed byte for byte to the
// recipient, and the plaintext is wiped.
func TestResultSeal(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	res, err := Restore(tb.files[:2], &Keys{Identities: tb.ids}, nil)
	if err != nil {
		t.Fatal(err)
	}
	to, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := res.Seal(to.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	inner, err := keyshare.OpenInner(sealed, to)
	if err != nil || !bytes.Equal(inner, tb.inner) {
		t.Fatalf("sealed share does not open to the restored share (%v)", err)
	}
	if bytes.ContainsFunc(res.Inner, func(r rune) bool { return r != 0 }) {
		t.Fatal("the restored plaintext was not wiped")
	}
}
