package ceremony

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
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

// LedgerMagic is the first line of a join ledger. LedgerMagicV1 is the
// first version, whose entries did not say whether the join was committed;
// it is read (every entry counted as committed) and rewritten as v2 at the
// next change.
const (
	LedgerMagic   = "coldsig/joins/v2"
	LedgerMagicV1 = "coldsig/joins/v1"
)

// MaxLedgerSize bounds a ledger file: at ~250 bytes a join, thousands of
// ceremonies.
const MaxLedgerSize = 1 << 20

// LedgerPath is the join ledger of the identity file at keyPath: the same
// name with ".joins" appended, so it travels with the key (on the same
// stick or in the same directory).
func LedgerPath(keyPath string) string { return keyPath + ledgerSuffix }

const ledgerSuffix = ".joins"

// ledgerLockWait bounds how long a join waits for another process's
// ledger update (a few milliseconds each).
const ledgerLockWait = 10 * time.Second

// lockLedger serialises the read-modify-write of a join ledger between
// processes (the TUI and a terminal, two windows, joining with one
// identity), which could otherwise lose an entry or a committed mark: the
// lock is taken on the identity file the ledger belongs to, which exists
// while its identity joins and which coldsig never replaces (the ledger
// itself is replaced by every write). A ledger not named after an existing
// identity file (a library caller's own path) goes unlocked.
func lockLedger(path string) (*statestore.DirLock, error) {
	key, ok := strings.CutSuffix(path, ledgerSuffix)
	if !ok || key == "" {
		return nil, nil
	}
	l, err := statestore.LockFile(key, ledgerLockWait)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("join ledger %s: %w", path, err)
	}
	return l, nil
}

// Ledger is a parsed join ledger.
type Ledger struct {
	// Version is the format version read (1 or 2); 0 writes the current
	// one.
	Version int
	// Identity is the card fingerprint of the identity that keeps it.
	Identity [32]byte
	Entries  []LedgerEntry
}

// LedgerEntry is one join: the session, the slot joined as, the plan's
// fingerprint, whether the join was committed (its round-1 state made and
// its envelopes about to be published) and the absolute path of the work
// dir.
type LedgerEntry struct {
	Session   [32]byte
	Slot      int
	Plan      [32]byte
	Committed bool
	WorkDir   string
}

// Join states in a v2 ledger entry.
const (
	ledgerJoined    = "joined"
	ledgerCommitted = "committed"
)

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

// ErrStateLost means a join into a work directory whose state was deleted
// or lost after this party committed (and so may have sent) a round: the
// ledger records the join as committed, or the directory still holds the
// log or envelopes of committed steps. Joining again would start round 1
// again with fresh secrets, a second, different message for a round the
// others may already hold; the session cannot be rejoined.
var ErrStateLost = errors.New("the state of this session was deleted or lost after it sent messages; this session cannot be rejoined")

// ParseLedger decodes a ledger strictly.
func ParseLedger(data []byte) (*Ledger, error) {
	if len(data) > MaxLedgerSize {
		return nil, fmt.Errorf("join ledger larger than %d bytes", MaxLedgerSize)
	}
	magic, version := LedgerMagic, 2
	if strings.HasPrefix(string(data), LedgerMagicV1+"\n") {
		magic, version = LedgerMagicV1, 1
	}
	rec, err := textrec.Parse(data, magic)
	if err != nil {
		return nil, err
	}
	r := rec.Reader()
	l := &Ledger{Version: version}
	copy(l.Identity[:], r.Hex("identity", 32))
	seen := map[[2]string]bool{}
	for r.Err() == nil && r.Peek() == "join" {
		f := r.Field("join")
		e, err := parseLedgerEntry(f.Value, version)
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

// parseLedgerEntry parses "<session hex> <slot> <plan hex> <state> <work
// dir>" (v2) or "<session hex> <slot> <plan hex> <work dir>" (v1, whose
// joins count as committed: v1 did not say, and a join that never
// committed is the rarer case, which only costs a new plan).
func parseLedgerEntry(v string, version int) (LedgerEntry, error) {
	var e LedgerEntry
	parts := strings.SplitN(v, " ", 5)
	if version == 1 {
		parts = strings.SplitN(v, " ", 4)
		if len(parts) != 4 {
			return e, errors.New(`want "<session> <party> <plan> <work dir>"`)
		}
		parts = []string{parts[0], parts[1], parts[2], ledgerCommitted, parts[3]}
	}
	if len(parts) != 5 {
		return e, errors.New(`want "<session> <party> <plan> <joined|committed> <work dir>"`)
	}
	switch parts[3] {
	case ledgerJoined:
	case ledgerCommitted:
		e.Committed = true
	default:
		return e, fmt.Errorf("state %q is neither %q nor %q", parts[3], ledgerJoined, ledgerCommitted)
	}
	parts = append(parts[:3], parts[4])
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

// Marshal encodes the ledger in its Version (the current one if 0).
func (l *Ledger) Marshal() ([]byte, error) {
	magic := LedgerMagic
	if l.Version == 1 {
		magic = LedgerMagicV1
	} else if l.Version != 0 && l.Version != 2 {
		return nil, fmt.Errorf("join ledger version %d", l.Version)
	}
	w := textrec.NewWriter(magic)
	w.Hex("identity", l.Identity[:])
	for _, e := range l.Entries {
		if l.Version == 1 {
			if !e.Committed {
				return nil, errors.New("a v1 join ledger cannot record a join that was not committed")
			}
			w.String("join", fmt.Sprintf("%x %d %x %s", e.Session, e.Slot, e.Plan, e.WorkDir))
			continue
		}
		state := ledgerJoined
		if e.Committed {
			state = ledgerCommitted
		}
		w.String("join", fmt.Sprintf("%x %d %x %s %s", e.Session, e.Slot, e.Plan, state, e.WorkDir))
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
	lk, err := lockLedger(path)
	if err != nil {
		return err
	}
	defer lk.Close()
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
		if e.WorkDir != abs {
			return nil, "", &JoinedElsewhereError{Ledger: path, Entry: e}
		}
		if e.Committed {
			// Only joins into a directory without this session's state
			// get here: it was deleted (rm -rf, a reformatted stick) after
			// the join committed.
			return nil, "", fmt.Errorf("%s: %w: this identity's join of session %x as party %d here was committed (recorded in %s), but the directory holds no state now", workDir, ErrStateLost, s.plan.Session[:4], s.me, path)
		}
		return nil, abs, nil
	}
	return l, abs, nil
}

// confirmJoin is recordJoin for a work dir that already holds this
// session's committed state (a repeated join, or a join that committed
// and then failed before marking its entry): it is the same work dir
// whatever its path is now (a stick mounted elsewhere), so a missing entry
// is added (a join made before ledgers existed) and one not yet marked
// committed is marked; a committed one is left as is.
func (s *session) confirmJoin(path, workDir string) error {
	lk, err := lockLedger(path)
	if err != nil {
		return err
	}
	defer lk.Close()
	l, err := ReadLedger(path, s.id.Card().Fingerprint())
	if err != nil {
		return err
	}
	for i, e := range l.Entries {
		if e.Session == s.plan.Session && e.Slot == s.me {
			if e.Committed {
				return nil
			}
			l.Entries[i].Committed = true
			return writeLedger(path, l)
		}
	}
	abs, err := absDir(workDir)
	if err != nil {
		return err
	}
	l.Entries = append(l.Entries, LedgerEntry{Session: s.plan.Session, Slot: s.me, Plan: s.planFP, Committed: true, WorkDir: abs})
	return writeLedger(path, l)
}

// markJoinCommitted records in the ledger that the join committed: from
// now on the session cannot be joined again in this work directory either
// (see checkLedger). It runs between the commit of the join's state and
// the publishing of its round-1 envelopes, so no envelope leaves while the
// ledger still allows a second join.
func (s *session) markJoinCommitted(path, workDir string) error {
	if err := s.confirmJoin(path, workDir); err != nil {
		return fmt.Errorf("marking the join committed in %s: %w", path, err)
	}
	return nil
}

func (s *session) appendLedger(path string, l *Ledger, abs string) error {
	l.Entries = append(l.Entries, LedgerEntry{Session: s.plan.Session, Slot: s.me, Plan: s.planFP, WorkDir: abs})
	return writeLedger(path, l)
}

// writeLedger rewrites the ledger atomically, in the current version (a v1
// ledger is upgraded; its entries stay committed).
func writeLedger(path string, l *Ledger) error {
	l.Version = 0
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
