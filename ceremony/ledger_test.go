package ceremony

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

func ledgerSession(t *testing.T, dir string) (*session, *identity.Identity) {
	t.Helper()
	a, err := identity.NewIdentity("alice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.NewIdentity("bob")
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.NewKeygen(keyshare.CurveEd25519, 2, []*identity.Card{a.Card(), b.Card()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSession(dir, p, a, RoleMember, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

// The ledger's rules without a ceremony: the first work dir is recorded;
// the same path again goes on (a join that failed or crashed after the
// entry was written); another path is refused naming the first; a work dir
// that holds the session already (confirmJoin) is accepted at any path.
func TestLedgerRules(t *testing.T) {
	tmp := t.TempDir()
	s, a := ledgerSession(t, filepath.Join(tmp, "a-kg"))
	ledger := filepath.Join(tmp, "alice.key.joins")
	if err := s.recordJoin(ledger, filepath.Join(tmp, "a-kg")); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(ledger); fi.Mode().Perm() != 0o600 {
		t.Fatalf("ledger mode %v", fi.Mode().Perm())
	}
	if err := s.recordJoin(ledger, filepath.Join(tmp, "x", "..", "a-kg")); err != nil {
		t.Fatalf("same work dir (another spelling) refused: %v", err)
	}
	err = s.recordJoin(ledger, filepath.Join(tmp, "a-kg2"))
	var je *JoinedElsewhereError
	if !errors.Is(err, ErrJoinedElsewhere) || !errors.As(err, &je) || je.Entry.WorkDir != filepath.Join(tmp, "a-kg") || !strings.Contains(err.Error(), filepath.Join(tmp, "a-kg")) {
		t.Fatalf("second work dir: %v", err)
	}
	if now, _ := os.ReadFile(ledger); string(now) != string(first) {
		t.Fatalf("refused or repeated joins changed the ledger:\n%s", now)
	}
	// A work dir holding the session's state is committed: confirmJoin
	// marks the entry so (and changes nothing else).
	if err := s.confirmJoin(ledger, "/elsewhere/a-kg"); err != nil {
		t.Fatal(err)
	}
	first = []byte(strings.Replace(string(first), " joined ", " committed ", 1))
	if now, _ := os.ReadFile(ledger); string(now) != string(first) {
		t.Fatalf("confirmJoin wrote\n%s", now)
	}
	l, err := ReadLedger(ledger, a.Card().Fingerprint())
	if err != nil || len(l.Entries) != 1 || l.Entries[0].Slot != 1 || l.Entries[0].Session != s.plan.Session || l.Entries[0].Plan != s.planFP {
		t.Fatalf("ledger %+v, %v", l, err)
	}
	// Another identity's ledger is refused, not merged into.
	other, _ := ledgerSession(t, filepath.Join(tmp, "b"))
	if err := other.recordJoin(ledger, filepath.Join(tmp, "b")); err == nil || !strings.Contains(err.Error(), "another identity") {
		t.Fatalf("another identity's ledger: %v", err)
	}
	// A join made before ledgers existed is added when it is repeated.
	os.Remove(ledger)
	if err := s.confirmJoin(ledger, filepath.Join(tmp, "a-kg")); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(ledger); string(now) != string(first) {
		t.Fatalf("confirmJoin wrote\n%s\nwant\n%s", now, first)
	}
}

// A join is marked committed in the ledger once its state is committed;
// from then on the same work dir cannot be joined again when it holds no
// state (it was deleted: a fresh round 1 would be a second message for a
// round already sent), while a join that never committed still can be.
func TestLedgerCommitted(t *testing.T) {
	tmp := t.TempDir()
	wd := filepath.Join(tmp, "a-kg")
	s, a := ledgerSession(t, wd)
	ledger := filepath.Join(tmp, "alice.key.joins")
	if err := s.recordJoin(ledger, wd); err != nil {
		t.Fatal(err)
	}
	// Not committed yet (a join that crashed before its commit): the same
	// work dir goes on.
	if err := s.recordJoin(ledger, wd); err != nil {
		t.Fatalf("uncommitted join refused: %v", err)
	}
	if err := s.markJoinCommitted(ledger, wd); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLedger(ledger, a.Card().Fingerprint())
	if err != nil || len(l.Entries) != 1 || !l.Entries[0].Committed || l.Version != 2 {
		t.Fatalf("ledger %+v, %v", l, err)
	}
	committed, _ := os.ReadFile(ledger)
	if !strings.Contains(string(committed), " committed "+wd+"\n") {
		t.Fatalf("ledger:\n%s", committed)
	}
	err = s.recordJoin(ledger, wd)
	if !errors.Is(err, ErrStateLost) || !strings.Contains(err.Error(), "was committed (recorded in "+ledger+")") {
		t.Fatalf("join after the state was deleted: %v", err)
	}
	// Another work dir is still refused as joined elsewhere.
	if err := s.recordJoin(ledger, wd+"2"); !errors.Is(err, ErrJoinedElsewhere) {
		t.Fatalf("second work dir: %v", err)
	}
	// Marking again, or confirming a repeated join, changes nothing.
	if err := s.markJoinCommitted(ledger, wd); err != nil {
		t.Fatal(err)
	}
	if err := s.confirmJoin(ledger, "/elsewhere"); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(ledger); string(now) != string(committed) {
		t.Fatalf("ledger changed:\n%s", now)
	}

	// A v1 ledger did not record commits: its joins count as committed,
	// and it is rewritten as v2 at the next change.
	v1 := "coldsig/joins/v1\nidentity: " + hexOf(a.Card().Fingerprint()) + "\njoin: " + hexOf(s.plan.Session) + " 1 " + hexOf(s.planFP) + " " + wd + "\n"
	if err := os.WriteFile(ledger, []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.recordJoin(ledger, wd); !errors.Is(err, ErrStateLost) {
		t.Fatalf("v1 entry, no state: %v", err)
	}
	other, _ := ledgerSession(t, filepath.Join(tmp, "b"))
	other.id = a
	if err := other.recordJoin(ledger, filepath.Join(tmp, "b")); err != nil {
		t.Fatal(err)
	}
	up, _ := os.ReadFile(ledger)
	want := "coldsig/joins/v2\nidentity: " + hexOf(a.Card().Fingerprint()) + "\njoin: " + hexOf(s.plan.Session) + " 1 " + hexOf(s.planFP) + " committed " + wd + "\n"
	if !strings.HasPrefix(string(up), want) || !strings.Contains(string(up), " joined "+filepath.Join(tmp, "b")+"\n") {
		t.Fatalf("upgraded ledger:\n%s", up)
	}
}

func hexOf(b [32]byte) string { return hex.EncodeToString(b[:]) }

// Joins with one identity in several processes at once (the TUI and a
// terminal) each read, change and replace the ledger: without the lock on
// the identity file one would drop another's entry or committed mark, and
// with it the protection against a second join of that session.
func TestLedgerConcurrentJoins(t *testing.T) {
	tmp := t.TempDir()
	key := filepath.Join(tmp, "alice.key")
	if err := os.WriteFile(key, []byte("stands for the identity file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ledger := LedgerPath(key)
	const n = 16
	first, a := ledgerSession(t, filepath.Join(tmp, "w0"))
	ss := []*session{first}
	for i := 1; i < n; i++ {
		s, _ := ledgerSession(t, filepath.Join(tmp, fmt.Sprintf("w%d", i)))
		s.id = a
		ss = append(ss, s)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wd := filepath.Join(tmp, fmt.Sprintf("w%d", i))
			if errs[i] = s.recordJoin(ledger, wd); errs[i] == nil {
				errs[i] = s.markJoinCommitted(ledger, wd)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
	}
	l, err := ReadLedger(ledger, a.Card().Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	committed := 0
	for _, e := range l.Entries {
		if e.Committed {
			committed++
		}
	}
	if len(l.Entries) != n || committed != n {
		t.Fatalf("%d joins recorded, %d of them committed; want %d and %d", len(l.Entries), committed, n, n)
	}
}
