package ceremony

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/textrec"
)

// The join ledger: one party, one join per session.
//
// A second join of the same plan into another work dir starts round 1 again
// with fresh secrets and writes a different envelope under the same name;
// when both reach the stick, every other party aborts and names this
// officer as an equivocator. The work dir cannot prevent that (the second
// one is new), so the identity keeps a ledger of every session it joined,
// beside its key file, and Join refuses a second work dir for the same
// session and slot. The format is in docs/format.md ("Join ledger").

// LedgerMagic is the first line of a join ledger.
const LedgerMagic = "coldsig/joins/v1"

// MaxLedgerSize bounds a ledger file: at ~250 bytes a join, thousands of
// ceremonies.
const MaxLedgerSize = 1 << 20

// LedgerPath is the join ledger of the identity file at keyPath: the same
// name with ".joins" appended, so it travels with the key (on the same
// stick or in the same directory).
func LedgerPath(keyPath string) string { return keyPath + ".joins" }

// Ledger is a parsed join ledger.
type Ledger struct {
	// Identity is the card fingerprint of the identity that keeps it.
	Identity [32]byte
	Entries  []LedgerEntry
}

// LedgerEntry is one join: the session, the slot joined as, the plan's
// fingerprint and the absolute path of the work dir.
type LedgerEntry struct {
	Session [32]byte
	Slot    int
	Plan    [32]byte
	WorkDir string
}

// ErrJoinedElsewhere means this identity already joined the session, in
// slot, with another work dir. Errors wrapping it are *JoinedElsewhereError.
var ErrJoinedElsewhere = errors.New("already joined this session in another work directory")

// JoinedElsewhereError names the first work dir.
type JoinedElsewhereError struct {
	Ledger string
	Entry  LedgerEntry
}

func (e *JoinedElsewhereError) Error() string {
	return fmt.Sprintf("this identity already joined session %x as party %d, in work directory %s (recorded in %s); a second join would start round 1 again with fresh secrets, and the other parties would abort the session as an equivocation",
		e.Entry.Session[:4], e.Entry.Slot, e.Entry.WorkDir, e.Ledger)
}

func (e *JoinedElsewhereError) Unwrap() error { return ErrJoinedElsewhere }

// ParseLedger decodes a ledger strictly.
func ParseLedger(data []byte) (*Ledger, error) {
	if len(data) > MaxLedgerSize {
		return nil, fmt.Errorf("join ledger larger than %d bytes", MaxLedgerSize)
	}
	rec, err := textrec.Parse(data, LedgerMagic)
	if err != nil {
		return nil, err
	}
	r := rec.Reader()
	l := &Ledger{}
	copy(l.Identity[:], r.Hex("identity", 32))
	seen := map[[2]string]bool{}
	for r.Err() == nil && r.Peek() == "join" {
		f := r.Field("join")
		e, err := parseLedgerEntry(f.Value)
		if err != nil {
			r.Fail(f, "join: %v", err)
			break
		}
		k := [2]string{hex.EncodeToString(e.Session[:]), fmt.Sprint(e.Slot)}
		if seen[k] {
			r.Fail(f, "join: session %x party %d recorded twice", e.Session[:4], e.Slot)
			break
		}
		seen[k] = true
		l.Entries = append(l.Entries, e)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return l, nil
}

// parseLedgerEntry parses "<session hex> <slot> <plan hex> <work dir>".
func parseLedgerEntry(v string) (LedgerEntry, error) {
	var e LedgerEntry
	parts := strings.SplitN(v, " ", 4)
	if len(parts) != 4 {
		return e, errors.New(`want "<session> <party> <plan> <work dir>"`)
	}
	for i, dst := range [][]byte{e.Session[:], e.Plan[:]} {
		s := parts[2*i]
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 || hex.EncodeToString(b) != s {
			return e, errors.New("session and plan must be 32 bytes of lowercase hex")
		}
		copy(dst, b)
	}
	slot, err := textrec.ParseUint(parts[1], 1, maxSlot)
	if err != nil {
		return e, fmt.Errorf("party: %v", err)
	}
	e.Slot = int(slot)
	if !filepath.IsAbs(parts[3]) || filepath.Clean(parts[3]) != parts[3] {
		return e, fmt.Errorf("work dir %q is not a clean absolute path", parts[3])
	}
	e.WorkDir = parts[3]
	return e, nil
}

// maxSlot bounds a slot: a reshare has two committees of at most 16.
const maxSlot = 32

// Marshal encodes the ledger.
func (l *Ledger) Marshal() ([]byte, error) {
	w := textrec.NewWriter(LedgerMagic)
	w.Hex("identity", l.Identity[:])
	for _, e := range l.Entries {
		w.String("join", fmt.Sprintf("%x %d %x %s", e.Session, e.Slot, e.Plan, e.WorkDir))
	}
	data, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	if len(data) > MaxLedgerSize {
		return nil, fmt.Errorf("join ledger would exceed %d bytes; start a new identity", MaxLedgerSize)
	}
	return data, nil
}

// ReadLedger reads the ledger at path for the identity with card
// fingerprint id. A missing file is an empty ledger; a ledger of another
// identity is an error (two identities must not share one).
func ReadLedger(path string, id [32]byte) (*Ledger, error) {
	data, err := boundedio.ReadFile(path, MaxLedgerSize)
	if errors.Is(err, os.ErrNotExist) {
		return &Ledger{Identity: id}, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := ParseLedger(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if l.Identity != id {
		return nil, fmt.Errorf("%s: join ledger of another identity (card %x), not of this one (card %x)", path, l.Identity[:4], id[:4])
	}
	return l, nil
}

// find returns the entry of session and slot.
func (l *Ledger) find(session [32]byte, slot int) (LedgerEntry, bool) {
	for _, e := range l.Entries {
		if e.Session == session && e.Slot == slot {
			return e, true
		}
	}
	return LedgerEntry{}, false
}

// recordJoin checks the ledger before a new work dir is created for this
// session and records the join, durably, before anything secret is
// computed: a crash after it leaves an entry naming this work dir, and a
// join repeated with the same --workdir then goes on (the dir holds no
// state yet). Any other work dir is refused.
func (s *session) recordJoin(path, workDir string) error {
	l, abs, err := s.checkLedger(path, workDir)
	if err != nil || l == nil {
		return err
	}
	return s.appendLedger(path, l, abs)
}

// checkLedger is recordJoin without the write: it returns the ledger to
// append to and the work dir's absolute path, or a nil ledger if the join
// is recorded already for this work dir.
func (s *session) checkLedger(path, workDir string) (*Ledger, string, error) {
	abs, err := absDir(workDir)
	if err != nil {
		return nil, "", err
	}
	l, err := ReadLedger(path, s.id.Card().Fingerprint())
	if err != nil {
		return nil, "", err
	}
	if e, ok := l.find(s.plan.Session, s.me); ok {
		if e.WorkDir == abs {
			return nil, abs, nil
		}
		return nil, "", &JoinedElsewhereError{Ledger: path, Entry: e}
	}
	return l, abs, nil
}

// confirmJoin is recordJoin for a work dir that already holds this
// session's state (a repeated join): it is the same work dir whatever its
// path is now (a stick mounted elsewhere), so a missing entry is added
// (a join made before ledgers existed) and a recorded one is left as is.
func (s *session) confirmJoin(path, workDir string) error {
	l, err := ReadLedger(path, s.id.Card().Fingerprint())
	if err != nil {
		return err
	}
	if _, ok := l.find(s.plan.Session, s.me); ok {
		return nil
	}
	abs, err := absDir(workDir)
	if err != nil {
		return err
	}
	return s.appendLedger(path, l, abs)
}

func (s *session) appendLedger(path string, l *Ledger, abs string) error {
	l.Entries = append(l.Entries, LedgerEntry{Session: s.plan.Session, Slot: s.me, Plan: s.planFP, WorkDir: abs})
	data, err := l.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("join ledger: %w", err)
	}
	return nil
}

func absDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := textrec.ValidValue(abs); err != nil {
		return "", fmt.Errorf("work directory %q: %v; choose a plainer name", dir, err)
	}
	return abs, nil
}
