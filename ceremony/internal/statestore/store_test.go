package statestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/internal/textrec"
)

func testKeys(t testing.TB) Keys {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeys(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testBinding(seed string) Binding {
	return Binding{Session: sha256.Sum256([]byte(seed)), Party: 1, Protocol: "ecdsa-signing"}
}

func digest(s string) [32]byte { return InboundDigest([][]byte{[]byte(s)}) }

func fill(seed string, n int) []byte {
	out := make([]byte, 0, n+32)
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", seed, i))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// tree records every entry under dir with its mode and bytes, so a test can
// show that a refused operation changed nothing at all.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		v := fi.Mode().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		m[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if w, ok := after[k]; !ok {
			t.Errorf("%s disappeared", k)
		} else if w != v {
			t.Errorf("%s changed", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s appeared", k)
		}
	}
}

func stateFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// stepFiles is stateFiles without temporary files.
func stepFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, n := range stateFiles(t, dir) {
		if !atomicfile.IsTemp(n) {
			names = append(names, n)
		}
	}
	return names
}

func wantErr(t *testing.T, err error, target error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", target)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("error %q does not wrap %q", err, target)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

var (
	out1 = []File{{"r1-bc.env", []byte("round 1 broadcast")}, {"r1-to-p2.env", []byte("round 1 to p2")}}
	out2 = []File{{"r2-to-p2.env", []byte("round 2 to p2")}, {"r2-to-p3.env", []byte("round 2 to p3")}}
)

// setup joins a session and advances it once, the common starting point.
func setup(t *testing.T) (string, Binding, Keys, *Store) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "work")
	b, k := testBinding("s1"), testKeys(t)
	s, err := Create(dir, b, k, []byte("snapshot 1"), digest("plan"), out1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(1, digest("in 1"), []byte("snapshot 2"), out2); err != nil {
		t.Fatal(err)
	}
	return dir, b, k, s
}

func TestCreateAdvanceOpen(t *testing.T) {
	dir, b, k, s := setup(t)
	if s.Step() != 2 {
		t.Fatalf("step %d, want 2", s.Step())
	}
	if got := stateFiles(t, dir); !slices.Equal(got, []string{StepFileName(2)}) {
		t.Fatalf("state files %v, want only step 2", got)
	}
	for _, f := range append(slices.Clone(out1), out2...) {
		got, err := os.ReadFile(filepath.Join(dir, outboxDir, f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("outbox %s = %q, %v", f.Name, got, err)
		}
	}
	for _, p := range []string{dir, filepath.Join(dir, stateDir), filepath.Join(dir, outboxDir)} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v", p, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, stateDir, StepFileName(2))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("step file mode %v, %v", fi.Mode(), err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateDir, StepFileName(2)))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("snapshot 2")) || bytes.Contains(raw, []byte(StateMagic)) {
		t.Fatal("step file holds plaintext")
	}
	s2, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Step() != 2 {
		t.Fatalf("reopened step %d", s2.Step())
	}
	if st, err := s2.State(); err != nil || string(st) != "snapshot 2" {
		t.Fatalf("State = %q, %v", st, err)
	}
	st, err := ReadStatus(dir)
	if err != nil || st.Status != StatusJoined || st.Step != 2 || st.Binding != b {
		t.Fatalf("ReadStatus = %+v, %v", st, err)
	}
	if _, found, err := s2.Lookup(2, digest("in 2")); found || err != nil {
		t.Fatalf("Lookup(current step) = %v, %v; want not found", found, err)
	}
	_, _, err = s2.Lookup(3, digest("in 2"))
	wantErr(t, err, ErrStepAhead, "state is at step 2")
}

func TestSameInputsReEmit(t *testing.T) {
	dir, b, k, _ := setup(t)
	s, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step uint64
		in   [32]byte
		want []File
	}{{0, digest("plan"), out1}, {1, digest("in 1"), out2}} {
		got, found, err := s.Lookup(tc.step, tc.in)
		if err != nil || !found {
			t.Fatalf("Lookup(%d) = %v, %v", tc.step, found, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("Lookup(%d) = %d files", tc.step, len(got))
		}
		for i := range got {
			if got[i].Name != tc.want[i].Name || !bytes.Equal(got[i].Data, tc.want[i].Data) {
				t.Errorf("Lookup(%d)[%d] = %s %q", tc.step, i, got[i].Name, got[i].Data)
			}
		}
	}
	// The officer lost the outbox; re-emitting rewrites the same bytes.
	if err := os.RemoveAll(filepath.Join(dir, outboxDir)); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.Lookup(1, digest("in 1"))
	if err := s.WriteOutbox(got); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteOutbox(got); err != nil {
		t.Fatalf("second re-emission: %v", err)
	}
	for _, f := range out2 {
		if b, err := os.ReadFile(filepath.Join(dir, outboxDir, f.Name)); err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("re-emitted %s = %q, %v", f.Name, b, err)
		}
	}
	before := tree(t, dir)
	err = s.Advance(1, digest("in 1"), []byte("recomputed"), []File{{"other.env", []byte("x")}})
	wantErr(t, err, ErrAlreadyAdvanced, "re-emitted, not recomputed")
	sameTree(t, before, tree(t, dir))
}

func TestDifferentInputsRefused(t *testing.T) {
	dir, b, k, _ := setup(t)
	s, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	_, found, err := s.Lookup(1, digest("other inputs"))
	if found {
		t.Fatal("found with other inputs")
	}
	wantErr(t, err, ErrInputsDiffer, "reuse this party's signing nonces and can leak the key")
	err = s.Advance(1, digest("other inputs"), []byte("evil"), []File{{"evil.env", []byte("x")}})
	wantErr(t, err, ErrInputsDiffer, "step 1")
	_, _, err = s.Lookup(0, digest("other plan"))
	wantErr(t, err, ErrInputsDiffer, "step 0")
	sameTree(t, before, tree(t, dir))
	s2, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s2.State(); s2.Step() != 2 || string(st) != "snapshot 2" {
		t.Fatalf("state changed: step %d %q", s2.Step(), st)
	}
	sameTree(t, before, tree(t, dir))
}

func TestBindingRefused(t *testing.T) {
	dir, b, k, _ := setup(t)
	other := b
	other.Session[0] ^= 1
	_, err := Open(dir, other, k)
	wantErr(t, err, ErrBinding, "belongs to session")
	otherParty := b
	otherParty.Party = 2
	_, err = Open(dir, otherParty, k)
	wantErr(t, err, ErrBinding, "party 1")
	_, err = Open(dir, b, testKeys(t))
	wantErr(t, err, nil, "not encrypted to this party's identity")

	// A step file copied into another session's work directory: the
	// non-secret record agrees, the authenticated content does not.
	dir2, b2 := filepath.Join(t.TempDir(), "work2"), testBinding("s2")
	if _, err := Create(dir2, b2, k, []byte("x"), digest("plan"), nil); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(dir, stateDir, StepFileName(2)), filepath.Join(dir2, stateDir, StepFileName(2)))
	_, err = Open(dir2, b2, k)
	wantErr(t, err, ErrBinding, "bound to another session")

	// Same directory, other party slot held by the same identity.
	dir3, b3 := filepath.Join(t.TempDir(), "work3"), b
	b3.Party = 3
	if _, err := Create(dir3, b3, k, []byte("x"), digest("plan"), nil); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(dir, stateDir, StepFileName(2)), filepath.Join(dir3, stateDir, StepFileName(2)))
	_, err = Open(dir3, b3, k)
	wantErr(t, err, ErrBinding, "bound to another party")

	// A step file renamed to a later step.
	if err := os.Rename(filepath.Join(dir, stateDir, StepFileName(2)), filepath.Join(dir, stateDir, StepFileName(3))); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, b, k)
	wantErr(t, err, ErrBinding, "bound to another step (2, but its file name says 3)")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTamperedRefused flips every single byte of a step file, and, as a
// forger who knows only the public recipient, every byte of the plaintext
// re-encrypted.
func TestTamperedRefused(t *testing.T) {
	dir, b, k, _ := setup(t)
	path := filepath.Join(dir, stateDir, StepFileName(2))
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range orig {
		mod := bytes.Clone(orig)
		mod[i] ^= 0x01
		if err := os.WriteFile(path, mod, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir, b, k); err == nil {
			t.Fatalf("byte %d of the step file flipped: accepted", i)
		}
	}
	plain := decryptForTest(t, orig, k)
	for i := range plain {
		mod := bytes.Clone(plain)
		mod[i] ^= 0x01
		if err := os.WriteFile(path, encryptForTest(t, mod, k.recipient), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir, b, k); err == nil {
			t.Fatalf("plaintext byte %d flipped and re-encrypted: accepted", i)
		}
	}
	// A forger builds a whole valid-looking record with a key of its own.
	rec, err := decodeRecord(plain, k.mac)
	if err != nil {
		t.Fatal(err)
	}
	rec.snapshot = []byte("forged snapshot")
	forged, err := rec.encode(testKeys(t).mac)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, encryptForTest(t, forged, k.recipient), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, b, k)
	wantErr(t, err, ErrNotAuthentic, "not written by this party")
	// The untouched file still opens: the refusals above were not flukes.
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, b, k); err != nil {
		t.Fatal(err)
	}
}

func TestNewestInvalidNoFallback(t *testing.T) {
	dir, b, k, _ := setup(t)
	s, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	// Recreate the situation of a crash after commit: steps 2 and 3 on disk.
	step2 := filepath.Join(dir, stateDir, StepFileName(2))
	saved, _ := os.ReadFile(step2)
	if err := s.Advance(2, digest("in 2"), []byte("snapshot 3"), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(step2, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	step3 := filepath.Join(dir, stateDir, StepFileName(3))
	good3, _ := os.ReadFile(step3)
	bad3 := bytes.Clone(good3)
	bad3[len(bad3)-1] ^= 0x80
	if err := os.WriteFile(step3, bad3, 0o600); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	_, err = Open(dir, b, k)
	wantErr(t, err, nil, StepFileName(3))
	sameTree(t, before, tree(t, dir))

	// With step 3 intact the newest wins and step 2 is retired.
	if err := os.WriteFile(step3, good3, 0o600); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, stateDir, "."+StepFileName(4)+".tmp-0011223344556677")
	if err := os.WriteFile(leftover, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	s3, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s3.State(); s3.Step() != 3 || string(st) != "snapshot 3" {
		t.Fatalf("step %d %q", s3.Step(), st)
	}
	if got := stateFiles(t, dir); !slices.Equal(got, []string{StepFileName(3)}) {
		t.Fatalf("state files %v", got)
	}
}

func TestUnexpectedStateEntryRefused(t *testing.T) {
	dir, b, k, _ := setup(t)
	if err := os.WriteFile(filepath.Join(dir, stateDir, "step-3.age"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, b, k)
	wantErr(t, err, nil, "step-3.age: unexpected entry in the state directory")
}

func TestConcurrentAdvance(t *testing.T) {
	dir, b, k, _ := setup(t)
	s1, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Advance(2, digest("a"), []byte("from s1"), nil); err != nil {
		t.Fatal(err)
	}
	err = s2.Advance(2, digest("b"), []byte("from s2"), []File{{"s2.env", []byte("x")}})
	wantErr(t, err, ErrConcurrent, "another process")
	if _, err := os.Stat(filepath.Join(dir, outboxDir, "s2.env")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("loser's envelope reached the outbox")
	}
	s3, err := Open(dir, b, k)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s3.State(); string(st) != "from s1" {
		t.Fatalf("state %q", st)
	}
}

func TestSecondJoinRefused(t *testing.T) {
	dir, b, k, s := setup(t)
	before := tree(t, dir)
	_, err := Create(dir, b, k, []byte("again"), digest("plan"), out1)
	wantErr(t, err, ErrJoined, "already joined")
	sameTree(t, before, tree(t, dir))
	other := testBinding("other session")
	_, err = Create(dir, other, k, []byte("again"), digest("plan"), nil)
	wantErr(t, err, ErrBinding, "belongs to session")
	sameTree(t, before, tree(t, dir))

	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	before = tree(t, dir)
	_, err = Create(dir, b, k, []byte("again"), digest("plan"), out1)
	wantErr(t, err, ErrEnded, "finished")
	sameTree(t, before, tree(t, dir))
}

func TestInterruptedJoinCompletes(t *testing.T) {
	dir, b, k := filepath.Join(t.TempDir(), "w"), testBinding("s"), testKeys(t)
	// What a crash between the session record and the step 1 commit leaves.
	data, err := (&Status{Binding: b, Status: StatusJoined}).encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, stateDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, sessionFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, b, k)
	wantErr(t, err, ErrNoState, "join again")
	s, err := Create(dir, b, k, []byte("snap"), digest("plan"), out1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Step() != 1 {
		t.Fatal(s.Step())
	}
}

func TestFinishDestroysState(t *testing.T) {
	dir, b, k, s := setup(t)
	result := []File{{"share.age", []byte("encrypted share")}, {"public.json", []byte("{}")}}
	if err := s.Finish(result); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, stateDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state dir still there: %v", err)
	}
	for _, f := range result {
		got, err := os.ReadFile(filepath.Join(dir, resultDir, f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("result %s = %q, %v", f.Name, got, err)
		}
	}
	st, err := ReadStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusFinished || st.Step != 2 || !slices.Equal(st.Results, []string{"public.json", "share.age"}) {
		t.Fatalf("status %+v", st)
	}
	for rel := range tree(t, dir) {
		if rel != "." && rel != sessionFile && rel != resultDir && rel != outboxDir &&
			!strings.HasPrefix(rel, resultDir+"/") && !strings.HasPrefix(rel, outboxDir+"/") {
			t.Errorf("left behind: %s", rel)
		}
	}
	_, err = Open(dir, b, k)
	wantErr(t, err, ErrEnded, "finished")
	if _, err := s.State(); !errors.Is(err, ErrEnded) {
		t.Fatalf("State after Finish: %v", err)
	}
	if err := s.Advance(2, digest("x"), []byte("y"), nil); !errors.Is(err, ErrEnded) {
		t.Fatalf("Advance after Finish: %v", err)
	}
	wantErr(t, AbortDir(dir, "late", ""), ErrEnded, "finished")
}

func TestAbort(t *testing.T) {
	dir, b, k, s := setup(t)
	if err := s.Abort("party 3 sent two different round 2 broadcasts", "party 3"); err != nil {
		t.Fatal(err)
	}
	if got := stateFiles(t, dir); got != nil {
		t.Fatalf("state left: %v", got)
	}
	st, err := ReadStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusAborted || st.Step != 2 || st.Culprit != "party 3" || !strings.Contains(st.Reason, "two different") {
		t.Fatalf("status %+v", st)
	}
	_, err = Open(dir, b, k)
	wantErr(t, err, ErrEnded, "aborted: party 3 sent")
	_, err = Create(dir, b, k, []byte("x"), digest("plan"), nil)
	wantErr(t, err, ErrEnded, "aborted")
}

func TestAbortDirUnreadableState(t *testing.T) {
	dir, _, _, _ := setup(t)
	path := filepath.Join(dir, stateDir, StepFileName(2))
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantErr(t, AbortDir(dir, "", ""), nil, "needs a reason")
	if err := AbortDir(dir, "state written by another build", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, stateDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state dir still there: %v", err)
	}
	st, err := ReadStatus(dir)
	if err != nil || st.Status != StatusAborted || st.Step != 2 || st.Culprit != "" {
		t.Fatalf("status %+v, %v", st, err)
	}
	_, err = ReadStatus(t.TempDir())
	wantErr(t, err, ErrNotJoined, "no session record")
}

func TestBadArguments(t *testing.T) {
	dir, b, k := filepath.Join(t.TempDir(), "w"), testBinding("s"), testKeys(t)
	for _, tc := range []struct {
		name string
		b    Binding
		snap []byte
		out  []File
		want string
	}{
		{"protocol", Binding{Protocol: "ECDSA"}, []byte("x"), nil, "protocol"},
		{"party", Binding{Party: -1, Protocol: "p"}, []byte("x"), nil, "party"},
		{"empty snapshot", b, nil, nil, "empty snapshot"},
		{"name", b, []byte("x"), []File{{"../x", []byte("x")}}, "file name"},
		{"dot name", b, []byte("x"), []File{{".hidden", []byte("x")}}, "file name"},
		{"empty envelope", b, []byte("x"), []File{{"a", nil}}, "empty"},
		{"duplicate", b, []byte("x"), []File{{"a", []byte("1")}, {"a", []byte("2")}}, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Create(dir, tc.b, k, tc.snap, digest("p"), tc.out)
			wantErr(t, err, nil, tc.want)
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("rejected Create left a directory")
			}
		})
	}
	_, err := Create(dir, b, Keys{}, []byte("x"), digest("p"), nil)
	wantErr(t, err, nil, "NewKeys")
	// An envelope name reused by a later step would collide in outbox/.
	s, err := Create(dir, b, k, []byte("x"), digest("p"), out1)
	if err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	err = s.Advance(1, digest("i"), []byte("y"), []File{out1[0]})
	wantErr(t, err, nil, "used twice")
	sameTree(t, before, tree(t, dir))
	// An outbox file that differs from what the state says is not replaced.
	if err := os.WriteFile(filepath.Join(dir, outboxDir, "r2.env"), []byte("planted"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = s.Advance(1, digest("i"), []byte("y"), []File{{"r2.env", []byte("real")}})
	wantErr(t, err, nil, "already exists with different content")
	if s.Step() != 2 {
		t.Fatal("advance after the commit point must leave the state advanced")
	}
}

func TestInboundDigest(t *testing.T) {
	a, b := []byte("envelope a"), []byte("envelope b")
	d := InboundDigest([][]byte{a, b})
	if d != InboundDigest([][]byte{b, a}) || d != InboundDigest([][]byte{b, a, a}) {
		t.Error("digest depends on order or duplicates")
	}
	if d == InboundDigest([][]byte{a}) || d == InboundDigest([][]byte{a, []byte("envelope c")}) {
		t.Error("digest ignores content")
	}
}

func decryptForTest(t *testing.T, data []byte, k Keys) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(data), k.identity)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encryptForTest(t testing.TB, plain []byte, r age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAbortHostileReason: reasons embed file names from a shared stick. A
// control character or a reason longer than the record allows must not make
// the abort fail (the session would stay live after proof of misbehaviour).
func TestAbortHostileReason(t *testing.T) {
	for _, tc := range []struct{ name, reason, culprit string }{
		{"control characters", "party 2 sent two envelopes (inbox/\x1b[31mx\x07\n.age differs)", "bob\x1b (party 2)"},
		{"long", "party 2 sent two envelopes (" + strings.Repeat("d/", 3000) + "x.age differs)", strings.Repeat("c", 2000)},
		{"only spaces", "   ", ""},
		{"invalid utf-8 and bidi", "evil\xff\u202egpj.age", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, _, s := setup(t)
			if err := s.Abort(tc.reason, tc.culprit); err != nil {
				t.Fatalf("abort failed: %v", err)
			}
			st, err := ReadStatus(dir)
			if err != nil || st.Status != StatusAborted {
				t.Fatalf("status %+v, %v", st, err)
			}
			for _, v := range []string{st.Reason, st.Culprit} {
				if len(v) > maxText || textrec.ValidValue(v) != nil && v != "" || !termsafe.Safe(v) {
					t.Fatalf("stored text %q", v)
				}
			}
			if stateFiles(t, dir) != nil {
				t.Fatal("state left after the abort")
			}
		})
	}
}

// CreateRecorded's onCommit runs after the commit point and before the
// envelopes are published; if it fails, nothing is published and the join
// is committed (running it again re-emits, never recomputes).
func TestCreateRecordedOrder(t *testing.T) {
	dir, b, k := filepath.Join(t.TempDir(), "w"), testBinding("s"), testKeys(t)
	called := false
	_, err := CreateRecorded(dir, b, k, []byte("snap"), digest("plan"), out1, func() error {
		called = true
		if got := stepFiles(t, dir); !slices.Equal(got, []string{StepFileName(1)}) {
			t.Errorf("onCommit before the commit: state files %v", got)
		}
		if entries, _ := os.ReadDir(filepath.Join(dir, outboxDir)); len(entries) != 0 {
			t.Errorf("onCommit after publishing: outbox %v", entries)
		}
		return errors.New("ledger unwritable")
	})
	var ce *CommittedError
	if !called || !errors.As(err, &ce) || ce.Step != 1 || !strings.Contains(err.Error(), "ledger unwritable") {
		t.Fatalf("CreateRecorded = %v (called %v)", err, called)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, outboxDir)); len(entries) != 0 {
		t.Fatalf("published after a failed onCommit: %v", entries)
	}
	s, err := Open(dir, b, k)
	if err != nil || s.Step() != 1 {
		t.Fatalf("Open = %v", err)
	}
	out, found, err := s.Lookup(0, digest("plan"))
	if err != nil || !found || s.WriteOutbox(out) != nil {
		t.Fatalf("Lookup = %v, %v", found, err)
	}
	for _, f := range out1 {
		if got, err := os.ReadFile(filepath.Join(dir, outboxDir, f.Name)); err != nil || !bytes.Equal(got, f.Data) {
			t.Fatalf("outbox %s = %q, %v", f.Name, got, err)
		}
	}
}
