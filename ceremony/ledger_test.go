package ceremony

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	if err := s.confirmJoin(ledger, "/elsewhere/a-kg"); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(ledger); string(now) != string(first) {
		t.Fatalf("refused or repeated joins changed the ledger:\n%s", now)
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
