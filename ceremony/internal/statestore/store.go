package statestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"filippo.io/age"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"

	"github.com/coldsig/coldsig/internal/agebytes"
)

// Names inside a work directory.
const (
	sessionFile = "session.txt"
	stateDir    = "state"
	outboxDir   = "outbox"
	resultDir   = "result"
)

var (
	// ErrNotJoined means the directory holds no session record.
	ErrNotJoined = errors.New("not joined: no session record in this work directory")
	// ErrNoState means the session was joined but no state was ever
	// committed (the join was interrupted before anything was sent).
	ErrNoState = errors.New("joined, but no state was committed (the join was interrupted before anything was sent); join again")
	// ErrJoined refuses a second join of the same session.
	ErrJoined = errors.New("this party already joined this session here; a second join would start the protocol again with fresh secrets")
	// ErrEnded refuses to continue or re-join a finished or aborted session.
	ErrEnded = errors.New("session has ended")
	// ErrInputsDiffer refuses to re-run an already advanced step with other
	// inbound envelopes.
	ErrInputsDiffer = errors.New("this step was already run with a different set of inbound envelopes; running a round again with different inputs would reuse this party's signing nonces and can leak the key, so it is refused")
	// ErrAlreadyAdvanced means Advance was called for a step that was
	// already advanced with the same inputs: re-emit with Lookup instead.
	ErrAlreadyAdvanced = errors.New("this step was already advanced with these inbound envelopes; its stored outbound envelopes must be re-emitted, not recomputed")
	// ErrStepAhead means the caller names a step the state has not reached.
	ErrStepAhead = errors.New("step not reached yet")
	// ErrConcurrent means another process committed the next step first.
	ErrConcurrent = errors.New("the state was advanced by another process at the same time")
	// ErrSymlink refuses a work directory entry that is a symbolic link:
	// following it would write the state, the outbox or the results
	// wherever the link points.
	ErrSymlink = errors.New("is a symbolic link; coldsig does not follow links inside a work directory")
	// ErrOutboxAhead means DIR/outbox holds an envelope that the state does
	// not know: the state is older than what this party already emitted.
	ErrOutboxAhead = errors.New("the outbox holds an envelope this state never made")
)

// CommittedError is an error after the commit point: the step was
// committed (the state advanced) but something after it failed, for
// example writing the outbox. Running the same operation again completes
// it: the committed envelopes are written again byte for byte; nothing is
// recomputed.
type CommittedError struct {
	Step uint64
	Err  error
}

func (e *CommittedError) Error() string {
	return fmt.Sprintf("step %d was committed, but %v", e.Step, e.Err)
}

func (e *CommittedError) Unwrap() error { return e.Err }

// noSymlink refuses path if it is a symbolic link (a missing path is fine).
func noSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s %w", path, ErrSymlink)
	}
	return nil
}

// privateDir is atomicfile.MkdirPrivate for a directory inside a work
// directory, which must not be a symbolic link.
func privateDir(dir string) error {
	if err := noSymlink(dir); err != nil {
		return err
	}
	return atomicfile.MkdirPrivate(dir)
}

// CheckLinks refuses a work directory whose session record, state, outbox
// or result directory is a symbolic link.
func CheckLinks(dir string) error {
	for _, n := range []string{sessionFile, stateDir, outboxDir, resultDir} {
		if err := noSymlink(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

// testHook, when set by tests, is called at named points of the write
// sequence so a test can kill the process there.
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}

// Store is an open party state at its current step.
type Store struct {
	dir   string
	keys  Keys
	rec   *record
	ended bool
}

// InboundDigest is the digest of a set of inbound envelopes: SHA-256 over
// the domain string "coldsig/state/v1 inbound" and a zero byte, followed by
// the SHA-256 of each distinct envelope in ascending order. Names and order
// do not matter, duplicates count once, so the same envelopes copied in
// another order or under other names give the same digest.
func InboundDigest(envelopes [][]byte) [32]byte {
	sums := make([][32]byte, 0, len(envelopes))
	for _, e := range envelopes {
		sums = append(sums, sha256.Sum256(e))
	}
	return InboundDigestOfSums(sums)
}

// InboundDigestOfSums is InboundDigest for callers that hold the envelopes'
// SHA-256 sums rather than their bytes (the ceremony engine identifies an
// envelope by the SHA-256 of its signed inner record).
func InboundDigestOfSums(sums [][32]byte) [32]byte {
	sums = slices.Clone(sums)
	slices.SortFunc(sums, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	sums = slices.Compact(sums)
	h := sha256.New()
	h.Write([]byte("coldsig/state/v1 inbound\x00"))
	for _, s := range sums {
		h.Write(s[:])
	}
	return [32]byte(h.Sum(nil))
}

// StepFileName is the name of the step file for step n in DIR/state/.
func StepFileName(n uint64) string { return fmt.Sprintf("step-%020d.age", n) }

func parseStepFileName(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, "step-")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".age")
	if !ok || len(digits) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 || StepFileName(n) != name {
		return 0, false
	}
	return n, true
}

func isTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// listState returns the step numbers present in dir (ascending) and the
// names of leftover temporary files. A missing dir is empty.
func listState(dir string) ([]uint64, []string, error) {
	if err := noSymlink(dir); err != nil {
		return nil, nil, err
	}
	entries, err := readDirMax(dir, maxStateEntries)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var steps []uint64
	var temps []string
	for _, e := range entries {
		if isTempName(e.Name()) && e.Type().IsRegular() {
			temps = append(temps, e.Name())
			continue
		}
		n, ok := parseStepFileName(e.Name())
		if !ok || !e.Type().IsRegular() {
			return nil, nil, fmt.Errorf("%s: unexpected entry in the state directory", filepath.Join(dir, e.Name()))
		}
		steps = append(steps, n)
	}
	slices.Sort(steps)
	return steps, temps, nil
}

// maxStateEntries bounds DIR/state/: it holds one step file, briefly two,
// and temporary files of interrupted writes.
const maxStateEntries = 64

// readDirMax lists dir like os.ReadDir but refuses a directory with more
// than max entries without listing it all.
func readDirMax(dir string, max int) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(max + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(entries) > max {
		return nil, fmt.Errorf("%s: more than %d entries; not a coldsig state directory", dir, max)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// removeTemps deletes what a run killed between staging its files and
// putting them in place left in the work directory (envelopes for the
// outbox, session.txt, the caller's meta files) and in result/ (state/ is
// listState's): nothing of it was committed or sent. outbox/ is cleaned
// too: builds before envelopes were staged outside it left their
// temporary files there.
func removeTemps(dir string) error {
	for _, d := range []string{outboxDir, resultDir} {
		if err := atomicfile.RemoveTemps(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	return atomicfile.RemoveTemps(dir)
}

func removeAll(dir string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return atomicfile.SyncDir(dir)
}

func checkArgs(b Binding, k Keys) error {
	if err := b.validate(); err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	if !k.valid() {
		return errors.New("statestore: keys not initialised (use NewKeys)")
	}
	return nil
}

func checkRecordBinding(path string, s *Status, b Binding) error {
	if s.Binding != b {
		return fmt.Errorf("%s: %w session, party or protocol: this work directory belongs to session %x party %d (%s), not session %x party %d (%s)",
			path, ErrBinding, s.Binding.Session[:8], s.Binding.Party, s.Binding.Protocol, b.Session[:8], b.Party, b.Protocol)
	}
	return nil
}

// endedError refuses to use an ended session, and first completes the
// destruction of its state in case an earlier end was interrupted.
func endedError(dir string, s *Status) error {
	if err := destroyState(dir); err != nil {
		return fmt.Errorf("%s: session has ended (%s) but its state could not be destroyed: %w", dir, s.Status, err)
	}
	msg := s.Status
	if s.Reason != "" {
		msg += ": " + s.Reason
	}
	return fmt.Errorf("%s: %w (%s)", dir, ErrEnded, msg)
}

// Create joins a session: it records the join in dir and commits step 1
// (the state after the party's first round, produced from the join inputs
// with digest inDigest) together with the first outbound envelopes, then
// writes those to DIR/outbox/ and the meta files (see Advance) to DIR. It
// refuses a directory that already holds a state or records an end.
func Create(dir string, b Binding, k Keys, initial []byte, inDigest [32]byte, outbox []File, meta ...File) (*Store, error) {
	return CreateRecorded(dir, b, k, initial, inDigest, outbox, nil, meta...)
}

// CreateRecorded is Create with onCommit, if not nil, called right after
// the commit point and before anything is published: the ceremony engine
// marks its join ledger there, so no envelope of the join leaves before
// the ledger forbids joining again. An error from onCommit stops the join
// after its commit (a *CommittedError, nothing published); joining again
// completes it.
func CreateRecorded(dir string, b Binding, k Keys, initial []byte, inDigest [32]byte, outbox []File, onCommit func() error, meta ...File) (*Store, error) {
	if err := checkArgs(b, k); err != nil {
		return nil, err
	}
	if err := checkMeta(meta); err != nil {
		return nil, err
	}
	rec := &record{
		binding:  b,
		step:     1,
		snapshot: bytes.Clone(initial),
		history:  []transition{{in: inDigest, out: sortedFiles(outbox)}},
	}
	if err := rec.check(); err != nil {
		return nil, fmt.Errorf("statestore: %w", err)
	}
	if err := atomicfile.MkdirPrivate(dir); err != nil {
		return nil, err
	}
	if err := CheckLinks(dir); err != nil {
		return nil, err
	}
	sessPath := filepath.Join(dir, sessionFile)
	state := filepath.Join(dir, stateDir)
	s, err := readSessionRecord(dir)
	switch {
	case errors.Is(err, ErrNotJoined):
		steps, _, err := listState(state)
		if err != nil {
			return nil, err
		}
		if len(steps) > 0 {
			return nil, fmt.Errorf("%s: %w (state files present, session record missing)", dir, ErrJoined)
		}
		data, err := (&Status{Binding: b, Status: StatusJoined}).encode()
		if err != nil {
			return nil, err
		}
		if err := atomicfile.Create(sessPath, data, 0o600); err != nil {
			if errors.Is(err, atomicfile.ErrExists) {
				return nil, fmt.Errorf("%s: %w", dir, ErrJoined)
			}
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if err := checkRecordBinding(sessPath, s, b); err != nil {
			return nil, err
		}
		if s.Ended() {
			return nil, endedError(dir, s)
		}
		steps, _, err := listState(state)
		if err != nil {
			return nil, err
		}
		if len(steps) > 0 {
			return nil, fmt.Errorf("%s: %w", dir, ErrJoined)
		}
		// Joined but nothing committed: the earlier join stopped before
		// anything could be sent, so completing it now is safe.
	}
	if err := privateDir(state); err != nil {
		return nil, err
	}
	if _, temps, err := listState(state); err != nil {
		return nil, err
	} else if err := removeAll(state, temps); err != nil {
		return nil, err
	}
	if err := removeTemps(dir); err != nil {
		return nil, err
	}
	st := &Store{dir: dir, keys: k}
	// The state directory may be new: its entry in dir is synced with the
	// commit, or the step file could be lost with it.
	err = st.commit(rec, 0, meta, onCommit, dir)
	var ce *CommittedError
	switch {
	case errors.As(err, &ce):
		ce.Err = fmt.Errorf("%w; run join again to complete it (nothing is recomputed)", ce.Err)
		return nil, ce
	case errors.Is(err, ErrConcurrent):
		return nil, fmt.Errorf("%s: %w", dir, ErrJoined)
	case err != nil:
		return nil, err
	}
	st.rec = rec
	return st, nil
}

// Open loads the newest step of the state in dir, which must belong to
// binding b. Older step files left by an interrupted advance are deleted.
// If the newest step file cannot be read, Open fails: it never falls back
// to an older step. Open of an ended session completes any interrupted
// destruction and returns an error wrapping ErrEnded.
func Open(dir string, b Binding, k Keys) (*Store, error) {
	if err := checkArgs(b, k); err != nil {
		return nil, err
	}
	if err := CheckLinks(dir); err != nil {
		return nil, err
	}
	s, err := readSessionRecord(dir)
	if err != nil {
		return nil, err
	}
	if err := checkRecordBinding(filepath.Join(dir, sessionFile), s, b); err != nil {
		return nil, err
	}
	if s.Ended() {
		return nil, endedError(dir, s)
	}
	state := filepath.Join(dir, stateDir)
	steps, temps, err := listState(state)
	if err != nil {
		return nil, err
	}
	if err := removeAll(state, temps); err != nil {
		return nil, err
	}
	if err := removeTemps(dir); err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoState)
	}
	newest := steps[len(steps)-1]
	rec, err := readStep(filepath.Join(state, StepFileName(newest)), k, b, newest)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, n := range steps[:len(steps)-1] {
		stale = append(stale, StepFileName(n))
	}
	if err := removeAll(state, stale); err != nil {
		return nil, fmt.Errorf("%s: retiring stale steps: %w", state, err)
	}
	return &Store{dir: dir, keys: k, rec: rec}, nil
}

// readStep decrypts, authenticates and checks the binding of one step file.
func readStep(path string, k Keys, b Binding, step uint64) (*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The ciphertext is the plaintext plus age's framing (well under 1%);
	// a larger file is refused before decryption starts.
	if fi, err := f.Stat(); err == nil && fi.Size() > maxStepFile {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", path, boundedio.ErrTooLarge, fi.Size(), maxStepFile)
	}
	r, err := age.Decrypt(f, k.identity)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, fmt.Errorf("%s: cannot decrypt: not encrypted to this party's identity", path)
		}
		return nil, fmt.Errorf("%s: cannot decrypt: not encrypted to this party's identity, or damaged: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPlaintext+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decrypt: damaged: %w", path, err)
	}
	rec, err := decodeRecord(data, k.mac)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := rec.checkBinding(b, step); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}

// commit makes rec the current state and then publishes what it emitted,
// in the order of the single-use rules (docs/format.md, "Write ordering"),
// paying one synchronous write barrier per stage of that order instead of
// two per file:
//
//  1. The step file, the envelopes of rec's last transition and the meta
//     files are staged as temporary files and fsynced together. Nothing is
//     visible yet; a crash or an error leaves the previous state.
//  2. The step file is created (never over an existing one), the commit
//     check makes sure no other process overtook this one
//     (checkSuccession), and state/ is fsynced (with syncAlso): the commit
//     point.
//     onCommit, if set, runs now (an error from it is a *CommittedError
//     and nothing is published).
//  3. The previous step file (prev, 0 for none) is retired, the envelopes
//     are put in outbox/ and the meta files in the work directory, in that
//     order, and the three directories are fsynced together.
//
// So nothing can leave through the outbox before the step that made it is
// durable, and when commit returns nil everything it wrote is durable.
// Errors after the commit point are *CommittedError.
func (s *Store) commit(rec *record, prev uint64, meta []File, onCommit func() error, syncAlso ...string) error {
	plain, err := rec.encode(s.keys.mac)
	if err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	sealed, err := agebytes.Encrypt(plain, s.keys.recipient)
	clear(plain)
	if err != nil {
		return err
	}
	var g atomicfile.Group
	defer g.Discard()
	state := filepath.Join(s.dir, stateDir)
	path := filepath.Join(state, StepFileName(rec.step))
	step, err := g.Stage(path, sealed, 0o600)
	if err != nil {
		return err
	}
	out, newOutbox, err := s.stageOutbox(&g, rec.history[len(rec.history)-1].out)
	if err != nil {
		return err
	}
	metas, err := s.stageMeta(&g, meta)
	if err != nil {
		return err
	}
	if err := g.Sync(); err != nil {
		return err
	}
	hook("before-commit")
	if err := step.Create(); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return fmt.Errorf("%s: %w", path, ErrConcurrent)
		}
		return err
	}
	if err := checkSuccession(state, rec.step, prev); err != nil {
		// Another process advanced the state past this step meanwhile (its
		// own step rec.step was retired, so the name was free again): this
		// file is a second, different version of a step already taken and
		// must never become the state or publish anything.
		if rerr := os.Remove(path); rerr == nil {
			atomicfile.SyncDir(state)
		}
		return err
	}
	committed := func(err error) error { return &CommittedError{Step: rec.step, Err: err} }
	if err := atomicfile.SyncDirs(append(syncAlso, state)...); err != nil {
		return committed(err)
	}
	hook("committed")
	if onCommit != nil {
		if err := onCommit(); err != nil {
			return committed(err)
		}
	}
	dirs := []string{state}
	if prev > 0 {
		if err := os.Remove(filepath.Join(state, StepFileName(prev))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return committed(fmt.Errorf("retiring step %d failed (the next run retires it): %w", prev, err))
		}
		hook("retired")
	}
	if len(out) > 0 {
		dirs = append(dirs, filepath.Join(s.dir, outboxDir))
	}
	if len(metas) > 0 || (len(out) > 0 && newOutbox) {
		dirs = append(dirs, s.dir)
	}
	if err := publish(out, "outbox:"); err != nil {
		return committed(fmt.Errorf("writing the outbox failed: %w", err))
	}
	for _, m := range metas {
		if err := m.Replace(); err != nil {
			return committed(fmt.Errorf("writing %s failed: %w", m.Path(), err))
		}
		hook("meta:" + filepath.Base(m.Path()))
	}
	if err := atomicfile.SyncDirs(dirs...); err != nil {
		return committed(err)
	}
	return nil
}

// checkSuccession is the commit check, run right after step n was linked
// into state/: the step it was computed from (prev; 0 at join) must still
// be there and no later step may exist. The exclusive link alone does not
// prove that: a process suspended (Ctrl-Z, a TUI stepping beside a CLI
// step) while another took steps n and n+1 finds the name of step n free
// again, because step n+1's commit retired it; its link succeeds, and it
// would publish a second set of envelopes for a round already sent. The
// work directory lock (Lock) keeps such processes apart where the file
// system can lock; this check holds everywhere.
func checkSuccession(state string, n, prev uint64) error {
	steps, _, err := listState(state)
	if err != nil {
		return fmt.Errorf("checking the state after committing step %d: %w", n, err)
	}
	if prev > 0 && !slices.Contains(steps, prev) {
		return fmt.Errorf("%s: %w (step %d, which this run started from, is gone: a concurrent step); nothing was published", state, ErrConcurrent, prev)
	}
	if len(steps) == 0 || steps[len(steps)-1] != n {
		return fmt.Errorf("%s: %w (a later step than %d exists: a concurrent step); nothing was published", state, ErrConcurrent, n)
	}
	return nil
}

// checkMeta checks the caller's meta files: plain names in the work
// directory, other than the store's own.
func checkMeta(meta []File) error {
	for i, m := range meta {
		if err := ValidName(m.Name); err != nil {
			return fmt.Errorf("statestore: meta: %w", err)
		}
		switch m.Name {
		case sessionFile, stateDir, outboxDir, resultDir:
			return fmt.Errorf("statestore: meta file %q is the store's own", m.Name)
		}
		for _, o := range meta[:i] {
			if o.Name == m.Name {
				return fmt.Errorf("statestore: meta file %q given twice", m.Name)
			}
		}
	}
	return nil
}

func (s *Store) stageMeta(g *atomicfile.Group, meta []File) ([]*atomicfile.Staged, error) {
	if len(meta) == 0 {
		return nil, nil
	}
	names := make([]string, len(meta))
	for i, m := range meta {
		if err := noSymlink(filepath.Join(s.dir, m.Name)); err != nil {
			return nil, err
		}
		names[i] = m.Name
	}
	// Temporary files of an earlier run that was killed before it put
	// them in place.
	if err := atomicfile.RemoveTemps(s.dir, names...); err != nil {
		return nil, err
	}
	out := make([]*atomicfile.Staged, len(meta))
	for i, m := range meta {
		f, err := g.Stage(filepath.Join(s.dir, m.Name), m.Data, 0o600)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// Step is the current step: the number of transitions behind the state.
func (s *Store) Step() uint64 { return s.rec.step }

// Binding is what the state belongs to.
func (s *Store) Binding() Binding { return s.rec.binding }

// Dir is the work directory.
func (s *Store) Dir() string { return s.dir }

// State returns a copy of the current snapshot.
func (s *Store) State() ([]byte, error) {
	if s.ended {
		return nil, fmt.Errorf("%s: %w", s.dir, ErrEnded)
	}
	return bytes.Clone(s.rec.snapshot), nil
}

// Lookup answers whether step has already been advanced with inDigest,
// before the caller restores and runs a round:
//
//   - step == Step(): not yet advanced; found is false and err nil, run the
//     round and call Advance;
//   - step < Step() with the same digest: found is true and outbox holds the
//     envelopes that advance emitted, byte for byte: re-emit them (for
//     example with WriteOutbox) and do not recompute;
//   - step < Step() with another digest: an error wrapping ErrInputsDiffer;
//   - step > Step(): an error wrapping ErrStepAhead.
func (s *Store) Lookup(step uint64, inDigest [32]byte) (outbox []File, found bool, err error) {
	if s.ended {
		return nil, false, fmt.Errorf("%s: %w", s.dir, ErrEnded)
	}
	cur := s.rec.step
	switch {
	case step > cur:
		return nil, false, fmt.Errorf("%s: %w: asked about step %d, the state is at step %d", s.dir, ErrStepAhead, step, cur)
	case step == cur:
		return nil, false, nil
	}
	t := s.rec.history[step]
	if t.in != inDigest {
		return nil, false, fmt.Errorf("%s: step %d: %w", s.dir, step, ErrInputsDiffer)
	}
	out := make([]File, len(t.out))
	for i, f := range t.out {
		out[i] = File{Name: f.Name, Data: bytes.Clone(f.Data)}
	}
	return out, true, nil
}

// Advance commits the state produced from step fromStep by the inbound set
// with digest inDigest: next is the new snapshot and outbox the outbound
// envelopes. The new step file is committed before the old one is retired
// and before anything is written to DIR/outbox/. An error after the commit
// point (a *CommittedError) leaves the state advanced (Step() reports it);
// running the step again with the same inputs then re-emits the envelopes
// via Lookup.
//
// meta are the caller's own files in the work directory that describe the
// committed step (the ceremony engine's log and progress record; never
// secret): each replaces DIR/NAME after the envelopes are in the outbox,
// in the same synchronous batch, so they cost no write barrier of their
// own. A crash can leave them one step behind the state, never ahead.
func (s *Store) Advance(fromStep uint64, inDigest [32]byte, next []byte, outbox []File, meta ...File) error {
	if s.ended {
		return fmt.Errorf("%s: %w", s.dir, ErrEnded)
	}
	cur := s.rec.step
	switch {
	case fromStep > cur:
		return fmt.Errorf("%s: %w: advancing from step %d, the state is at step %d", s.dir, ErrStepAhead, fromStep, cur)
	case fromStep < cur:
		if s.rec.history[fromStep].in == inDigest {
			return fmt.Errorf("%s: step %d: %w", s.dir, fromStep, ErrAlreadyAdvanced)
		}
		return fmt.Errorf("%s: step %d: %w", s.dir, fromStep, ErrInputsDiffer)
	}
	if err := checkMeta(meta); err != nil {
		return err
	}
	rec := &record{
		binding:  s.rec.binding,
		step:     cur + 1,
		snapshot: bytes.Clone(next),
		history:  append(slices.Clip(s.rec.history), transition{in: inDigest, out: sortedFiles(outbox)}),
	}
	if err := rec.check(); err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	err := s.commit(rec, cur, meta, nil)
	var ce *CommittedError
	if err != nil && !errors.As(err, &ce) {
		return err
	}
	old := s.rec
	s.rec = rec
	clear(old.snapshot)
	if ce != nil {
		ce.Err = fmt.Errorf("%w; run the step again to complete it (nothing is recomputed)", ce.Err)
		return ce
	}
	return nil
}

func sortedFiles(files []File) []File {
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = File{Name: f.Name, Data: bytes.Clone(f.Data)}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// maxOutboxEntries bounds the outbox listing CheckOutbox reads.
const maxOutboxEntries = 4096

// CheckOutbox compares DIR/outbox with the envelopes this state emitted,
// before anything is computed. mine says which file names are this
// party's envelopes of this session (others are left alone). Such a file
// that the state never made proves the state is older than what this party
// already emitted (the state directory was rolled back or copied); one with
// other bytes than the state's under the same name is a second version of
// a round's output. Either way, running a step could send a second,
// different message for a round already sent.
func (s *Store) CheckOutbox(mine func(name string) bool) error {
	dir := filepath.Join(s.dir, outboxDir)
	if err := noSymlink(dir); err != nil {
		return err
	}
	entries, err := readDirMax(dir, maxOutboxEntries)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	known := map[string][]byte{}
	for _, t := range s.rec.history {
		for _, f := range t.out {
			known[f.Name] = f.Data
		}
	}
	for _, e := range entries {
		name := e.Name()
		if !mine(name) {
			continue
		}
		path := filepath.Join(dir, name)
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		want, ok := known[name]
		if !ok {
			return fmt.Errorf("%s: %w (the state is at step %d)", path, ErrOutboxAhead, s.rec.step)
		}
		have, err := boundedio.ReadFile(path, int64(len(want))+1)
		if err != nil && !errors.Is(err, boundedio.ErrTooLarge) {
			return err
		}
		if !bytes.Equal(have, want) {
			return fmt.Errorf("%s: %w: its content is not the envelope the state made under this name", path, ErrOutboxAhead)
		}
	}
	return nil
}

// WriteOutbox writes files to DIR/outbox/, each atomically and never over
// a different file: a file already present with identical bytes is kept
// (a re-emission), one with other bytes is an error. The missing ones are
// written as one batch (two write barriers in all). outbox/ is fsynced
// even when every file was there already: a run killed after putting them
// in place but before its final fsync leaves names that a power cut can
// still take, and a re-emission that returns has made what the officer
// is told to hand on durable. Callers re-emitting several steps pass all
// their files at once: one fsync.
func (s *Store) WriteOutbox(files []File) error {
	if len(files) == 0 {
		return nil
	}
	var g atomicfile.Group
	defer g.Discard()
	out, newDir, err := s.stageOutbox(&g, files)
	if err != nil {
		return err
	}
	if len(out) > 0 {
		if err := g.Sync(); err != nil {
			return err
		}
		if err := publish(out, "outbox:"); err != nil {
			return err
		}
	}
	dirs := []string{filepath.Join(s.dir, outboxDir)}
	if newDir {
		dirs = append(dirs, s.dir)
	}
	return syncDirs(dirs...)
}

// syncDirs is atomicfile.SyncDirs; tests record the directories.
var syncDirs = atomicfile.SyncDirs

// stagedFile is a file staged for outbox/ or result/ and the bytes it must
// hold.
type stagedFile struct {
	*atomicfile.Staged
	data []byte
}

// stageOutbox stages envelopes for outbox/ in the work directory itself,
// never in outbox/: an envelope exists in outbox/ only once its step is
// committed. Staged beside its name, a step killed before its commit left
// a complete signed envelope under a temporary name in outbox/ until the
// next run, and an officer copying outbox/ whole (cp -r, a file manager
// showing hidden files) could carry it to the others; if the step then ran
// again with fresh randomness, that was a second, different envelope for
// one round.
func (s *Store) stageOutbox(g *atomicfile.Group, files []File) ([]stagedFile, bool, error) {
	return stageFiles(g, filepath.Join(s.dir, outboxDir), s.dir, files)
}

// stageFiles stages the files that dir does not hold yet, as temporary
// files in tmpDir: one already there with the same bytes needs nothing (a
// re-emission). One with other bytes is staged all the same and refused
// when publish finds it, after the commit point, as it always was. dir is
// made if missing (newDir: the caller syncs dir's parent too).
func stageFiles(g *atomicfile.Group, dir, tmpDir string, files []File) (out []stagedFile, newDir bool, err error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		newDir = true
	}
	if err := privateDir(dir); err != nil {
		return nil, false, err
	}
	checked := tmpDir == dir
	for _, f := range files {
		if err := ValidName(f.Name); err != nil {
			return nil, false, fmt.Errorf("statestore: %w", err)
		}
		path := filepath.Join(dir, f.Name)
		if sameFile(path, f.Data) == nil {
			continue
		}
		if !checked {
			// Refused here, before any commit, rather than by a link that
			// fails after it on every run.
			same, err := atomicfile.SameFileSystem(dir, tmpDir)
			if err != nil {
				return nil, false, err
			}
			if !same {
				return nil, false, fmt.Errorf("%s is on another file system than %s (a mount point?); coldsig stages files in %s and moves them into %s, so it must be a plain directory", dir, tmpDir, tmpDir, dir)
			}
			checked = true
		}
		p, err := g.StageIn(tmpDir, path, f.Data, 0o600)
		if err != nil {
			return nil, false, err
		}
		out = append(out, stagedFile{p, f.Data})
	}
	return out, newDir, nil
}

// sameFile is nil if path holds exactly data, wraps fs.ErrNotExist if
// there is no such file, and otherwise says that the file differs.
func sameFile(path string, data []byte) error {
	// Read one byte more than the file should hold: a larger one differs,
	// and is not read whole.
	have, err := boundedio.ReadFile(path, int64(len(data))+1)
	if err != nil && !errors.Is(err, boundedio.ErrTooLarge) {
		return err
	}
	if !bytes.Equal(have, data) {
		// Never "move it away and run again": a different file under this
		// name means two versions of one round's output, and sending the
		// second one breaks the single-use rule.
		return fmt.Errorf("%s: already exists with different content: two versions of one output (was the work directory's state rolled back or copied?); hand on neither, keep both as evidence, and abort the session ('coldsig abort') unless you can explain the other one", path)
	}
	return nil
}

// publish puts staged files in place, never over a different file, in
// order; the caller syncs their directory.
func publish(files []stagedFile, hookPrefix string) error {
	for _, f := range files {
		err := f.Create()
		if errors.Is(err, atomicfile.ErrExists) {
			// Written meanwhile (a concurrent re-emission): fine if equal.
			err = sameFile(f.Path(), f.data)
		}
		if err != nil {
			return err
		}
		hook(hookPrefix + filepath.Base(f.Path()))
	}
	return nil
}

// Finish ends the protocol: it writes result to DIR/result/, records the
// end in DIR/session.txt, and destroys the state. Afterwards only the
// results and the session record remain, and the session cannot be
// re-joined or continued.
func (s *Store) Finish(result []File) error {
	if s.ended {
		return fmt.Errorf("%s: %w", s.dir, ErrEnded)
	}
	result = sortedFiles(result)
	names := make([]string, len(result))
	for i, f := range result {
		if err := ValidName(f.Name); err != nil {
			return fmt.Errorf("statestore: result: %w", err)
		}
		if i > 0 && names[i-1] == f.Name {
			return fmt.Errorf("statestore: result %q given twice", f.Name)
		}
		names[i] = f.Name
	}
	st := &Status{Binding: s.rec.binding, Status: StatusFinished, Step: s.rec.step, Results: names}
	data, err := st.encode()
	if err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	// The results and the new session record are staged and synced
	// together; the results must be durable in result/ before the record
	// says finished (a crash in between leaves a live state that finishes
	// again, reusing identical result files), and the record before the
	// state is destroyed.
	var g atomicfile.Group
	defer g.Discard()
	results := filepath.Join(s.dir, resultDir)
	staged, _, err := stageFiles(&g, results, results, result)
	if err != nil {
		return err
	}
	sess, err := g.Stage(filepath.Join(s.dir, sessionFile), data, 0o600)
	if err != nil {
		return err
	}
	if err := g.Sync(); err != nil {
		return err
	}
	if err := publish(staged, "result:"); err != nil {
		return err
	}
	// Synced even when every result was there already: an interrupted
	// run may have put them in place without syncing.
	if err := atomicfile.SyncDirs(results, s.dir); err != nil {
		return err
	}
	if err := sess.Replace(); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return err
	}
	return s.destroyAfterEnd(st)
}

// abortReason is recordText for a reason. A missing reason stays missing
// (the caller's mistake, refused); one that is only spaces is kept as
// "unspecified" rather than failing the abort.
func abortReason(reason string) string {
	if reason == "" {
		return ""
	}
	if r := recordText(reason); r != "" {
		return r
	}
	return "unspecified"
}

// Abort ends the protocol without a result; see AbortDir. Reason and
// culprit are stored escaped and cut (see recordText), so an abort never
// fails because of what they contain.
func (s *Store) Abort(reason, culprit string) error {
	if s.ended {
		return fmt.Errorf("%s: %w", s.dir, ErrEnded)
	}
	st := &Status{Binding: s.rec.binding, Status: StatusAborted, Step: s.rec.step, Reason: abortReason(reason), Culprit: recordText(culprit)}
	return s.end(st)
}

func (s *Store) end(st *Status) error {
	if err := writeEnd(s.dir, st); err != nil {
		return err
	}
	s.ended = true
	clear(s.rec.snapshot)
	return nil
}

// destroyAfterEnd is writeEnd's second half, for an end already recorded.
func (s *Store) destroyAfterEnd(st *Status) error {
	s.ended = true
	clear(s.rec.snapshot)
	hook("end-recorded")
	return destroyEnded(s.dir, st)
}

// AbortDir aborts the session in dir without opening its state: it needs
// no key, so a state that can no longer be read (damaged, written by
// another build) can still be ended. It records the end (reason required,
// culprit optional) in DIR/session.txt and destroys the state. It refuses a
// session that already ended.
func AbortDir(dir, reason, culprit string) error {
	s, err := readSessionRecord(dir)
	if err != nil {
		return err
	}
	if s.Ended() {
		return endedError(dir, s)
	}
	steps, _, err := listState(filepath.Join(dir, stateDir))
	if err != nil {
		return err
	}
	st := &Status{Binding: s.Binding, Status: StatusAborted, Reason: abortReason(reason), Culprit: recordText(culprit)}
	if len(steps) > 0 {
		st.Step = steps[len(steps)-1]
	}
	return writeEnd(dir, st)
}

// writeEnd records the end, then destroys the state. The record comes
// first so that a crash in between is completed by the next Open instead
// of leaving a live state without an end.
func writeEnd(dir string, st *Status) error {
	data, err := st.encode()
	if err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, sessionFile), data, 0o600); err != nil {
		return err
	}
	hook("end-recorded")
	return destroyEnded(dir, st)
}

func destroyEnded(dir string, st *Status) error {
	if err := destroyState(dir); err != nil {
		return &CommittedError{Step: st.Step, Err: fmt.Errorf("the end is recorded, but destroying the state in %s failed (the next run retries): %w", dir, err)}
	}
	return nil
}

// destroyState unlinks every file in DIR/state/ and the directory itself,
// fsyncing as it goes. Unlinking is not erasure; see the package docs.
func destroyState(dir string) error {
	state := filepath.Join(dir, stateDir)
	// Unlinking everything in a symlinked "state" would delete the files
	// wherever it points.
	if err := noSymlink(state); err != nil {
		return err
	}
	entries, err := os.ReadDir(state)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	if err := removeAll(state, names); err != nil {
		return err
	}
	if err := os.Remove(state); err != nil {
		return err
	}
	return atomicfile.SyncDir(dir)
}
