package ceremony

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/ceremony/admission"
	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// Files the engine keeps in a work dir besides the state store's
// (session.txt, state/, outbox/, result/). None of them is secret.
const (
	planFile     = "plan.txt"
	progressFile = "progress.txt"
	logFile      = "log.txt"
)

// JoinOptions are the inputs of Join.
type JoinOptions struct {
	Options
	Plan *plan.Plan
	// PreParams are required for ECDSA keygen and for a new member of an
	// ECDSA reshare. They are single use: the caller deletes its copy once
	// Join succeeds.
	PreParams *ecdsakeygen.LocalPreParams
	// Share is required to sign and for an old member of a reshare.
	Share *keyshare.Share
	// Committee chooses the committee of a party that is in both committees
	// of a reshare (each runs in its own work dir). RoleMember otherwise.
	Committee Role
	// Ledger is the identity's join ledger (LedgerPath of the key file).
	// Join records the session there and refuses a second work dir for a
	// session this identity already joined.
	Ledger string
}

// Report says what an operation did and what comes next.
type Report struct {
	Session [32]byte
	Me      Party
	Role    Role
	// Step is the committed step after the operation.
	Step uint64
	// Outbox lists the envelope files this party must hand on now.
	Outbox []string
	// Replayed is set when the step had already been taken with the same
	// inputs and its stored envelopes were emitted again unchanged.
	Replayed bool
	// Next is the round whose envelopes the party needs next (0 when it
	// waits for confirmations or has finished).
	Next int
	// NextFrom lists who sends them.
	NextFrom []Party
	// Finished is set when the result was written.
	Finished bool
	// Results lists the result files.
	Results []string
	// Transcript is the transcript digest (finished ceremonies).
	Transcript [32]byte
	// Result describes what a finished ceremony produced (public key, or
	// the signature and what was signed).
	Result *Result
}

func (s *session) binding() statestore.Binding {
	return statestore.Binding{Session: s.plan.Session, Party: s.me, Protocol: s.flow}
}

func (s *session) keys() (statestore.Keys, error) { return statestore.NewKeys(s.id.X25519) }

// Join checks the plan and the inputs, creates this party's state and runs
// its first round. On any error nothing is committed.
func Join(ctx context.Context, o JoinOptions) (*Report, error) {
	if o.Plan == nil || o.Identity == nil || o.WorkDir == "" || o.Ledger == "" {
		return nil, errors.New("join needs a plan, an identity, its join ledger and a work directory")
	}
	s, err := newSession(o.WorkDir, o.Plan, o.Identity, o.Committee, o.Observe)
	if err != nil {
		return nil, err
	}
	planBytes, err := o.Plan.Marshal()
	if err != nil {
		return nil, err
	}
	// The work directory's lock is held until the join returns, so no
	// step, join or abort runs in it meanwhile; a new directory is locked
	// once it is made, below.
	l, err := lockWorkDir(o.WorkDir, o.Observe)
	if err != nil {
		return nil, err
	}
	defer func() { l.Close() }()
	// Refuse early (before any secret is computed) if this work dir is
	// already in use; the state store re-checks atomically. A repeated
	// join is answered before the inputs are looked at: it re-emits round
	// 1 and consumes nothing.
	keys, err := s.keys()
	if err != nil {
		return nil, err
	}
	if st, err := statestore.ReadStatus(o.WorkDir); err == nil {
		if st.Binding.Session != o.Plan.Session {
			return nil, fmt.Errorf("%s: work directory belongs to another session (%x); use a new directory", o.WorkDir, st.Binding.Session[:4])
		}
		if st.Binding != s.binding() {
			return nil, fmt.Errorf("%s: %w (as party %d)", o.WorkDir, statestore.ErrJoined, st.Binding.Party)
		}
		if st.Ended() {
			return nil, fmt.Errorf("%s: %w", o.WorkDir, statestore.ErrEnded)
		}
		if st.Step > 1 {
			return nil, fmt.Errorf("%s: %w and is past round 1; use 'coldsig step'", o.WorkDir, statestore.ErrJoined)
		}
		if st.Step == 1 {
			if err := s.confirmJoin(o.Ledger, o.WorkDir); err != nil {
				return nil, err
			}
			return s.rejoin(keys)
		}
	}
	// Refusals by the work directory and the ledger come before the
	// inputs are looked at (an officer re-running the join of a deleted
	// work dir no longer has the pre-parameters it consumed) and before
	// the work directory is made.
	if err := s.checkTarget(o.Ledger, o.WorkDir); err != nil {
		return nil, err
	}
	if err := s.checkInputs(o.PreParams, o.Share); err != nil {
		return nil, err
	}
	if l == nil {
		if err := atomicfile.MkdirPrivate(o.WorkDir); err != nil {
			return nil, err
		}
		if l, err = lockDir(o.WorkDir, o.Observe); err != nil {
			return nil, err
		}
		if isWorkDir(o.WorkDir) {
			return nil, fmt.Errorf("%s: another coldsig process joined in this work directory meanwhile; run the join again (it goes on from what that one did, or refuses)", o.WorkDir)
		}
	}
	if err := s.recordJoin(o.Ledger, o.WorkDir); err != nil {
		return nil, err
	}
	s.obs.emit(Event{Kind: EventComputing, Round: 1, Detail: "starting round 1"})
	lp, err := s.newParty(startInputs{preParams: o.PreParams, share: o.Share})
	if err != nil {
		return nil, err
	}
	msgs, err := lp.start()
	if err != nil {
		return nil, err
	}
	st := &partyState{Plan: s.planFP}
	if s.flowAdmission() == admission.ECDSASigning {
		st.PaillierN = paillierModuli(o.Share, s.roster.old)
	}
	files, err := s.seal(st, msgs)
	if err != nil {
		return nil, err
	}
	if st.Snapshot, err = lp.snapshot(); err != nil {
		return nil, err
	}
	lines := []string{logTime(time.Now()), fmt.Sprintf("joined session %x plan %x as party %d (%s)", s.plan.Session, s.planFP, s.me, s.role)}
	log := bindLog(st, &Log{}, 1, append(lines, sentLines(files)...))
	data, err := st.marshal()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.MkdirPrivate(o.WorkDir); err != nil {
		return nil, err
	}
	if err := writeIfAbsentOrSame(filepath.Join(o.WorkDir, planFile), planBytes); err != nil {
		return nil, err
	}
	// The log and progress record go with the commit (statestore writes
	// them after the outbox, in the same synchronous batch).
	meta, err := s.metaFiles(log, 0)
	if err != nil {
		return nil, err
	}
	// The ledger is marked committed after the commit and before the
	// round-1 envelopes are published (see markJoinCommitted).
	store, err := statestore.CreateRecorded(o.WorkDir, s.binding(), keys, data, [32]byte{}, toStoreFiles(files),
		func() error { return s.markJoinCommitted(o.Ledger, o.WorkDir) }, meta...)
	if err != nil {
		var ce *statestore.CommittedError
		if errors.As(err, &ce) {
			s.writeMeta(log, 0) // best effort; a rejoin completes it
			return nil, afterCommit(1, err)
		}
		return nil, err
	}
	return s.report(store, files, false), nil
}

// rejoin answers a repeated join of a party still at step 1: the stored
// round-1 envelopes are written again, unchanged; nothing is recomputed.
func (s *session) rejoin(keys statestore.Keys) (*Report, error) {
	if err := s.checkFiles(); err != nil {
		return nil, err
	}
	store, err := statestore.Open(s.dir, s.binding(), keys)
	if err != nil {
		return nil, err
	}
	raw, err := store.State()
	if err != nil {
		return nil, err
	}
	st, err := parsePartyState(raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: state record: %w", s.dir, err)
	}
	log, err := s.readLog()
	if err != nil {
		return nil, err
	}
	if _, err := s.checkLog(store, st, log); err != nil {
		return nil, err
	}
	if err := s.checkOutbox(store); err != nil {
		return nil, err
	}
	files, found, err := store.Lookup(0, [32]byte{})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", s.dir, statestore.ErrJoined)
	}
	if err := store.WriteOutbox(files); err != nil {
		return nil, afterCommit(1, err)
	}
	out := make([]outFile, len(files))
	for i, f := range files {
		out[i] = outFile{Name: f.Name, Data: f.Data}
	}
	return s.report(store, out, true), nil
}

// items is the number of tss-lib parties this party runs: one per item of
// a signing, one otherwise.
func (s *session) items() int {
	if s.plan.Protocol == plan.Sign {
		return len(s.plan.Items)
	}
	return 1
}

func (s *session) flowAdmission() admission.Flow {
	ecdsa := s.plan.Curve == keyshare.CurveSecp256k1
	switch {
	case s.plan.Protocol == plan.Keygen && ecdsa:
		return admission.ECDSAKeygen
	case s.plan.Protocol == plan.Keygen:
		return admission.EdDSAKeygen
	case s.plan.Protocol == plan.Sign && ecdsa:
		return admission.ECDSASigning
	case s.plan.Protocol == plan.Sign:
		return admission.EdDSASigning
	case ecdsa:
		return admission.ECDSAResharing
	}
	return admission.EdDSAResharing
}

// checkInputs verifies the share and pre-params against the plan before
// anything secret is computed.
func (s *session) checkInputs(pp *ecdsakeygen.LocalPreParams, sh *keyshare.Share) error {
	p := s.plan
	needShare, needPre := needs(p, s.role)
	switch {
	case needShare && sh == nil:
		return fmt.Errorf("%w: this %s needs your key share (--share)", ErrWrongShare, p.Protocol)
	case !needShare && sh != nil:
		return fmt.Errorf("%w: this %s takes no key share", ErrWrongShare, p.Protocol)
	case needPre && pp == nil:
		return errors.New("this ceremony needs pre-parameters (--preparams); generate them ahead with 'coldsig preparams'")
	case !needPre && pp != nil:
		return errors.New("this ceremony takes no pre-parameters")
	}
	if err := checkRetireStatement(p); err != nil {
		return err
	}
	if sh != nil {
		kp, ok := p.KeyParty(s.id.Card().Fingerprint())
		if !ok {
			return fmt.Errorf("%w: you hold no share of key %x", ErrWrongShare, p.Key.ID)
		}
		switch {
		case sh.KeyID != hex.EncodeToString(p.Key.ID[:]):
			return fmt.Errorf("%w: the share is for key %s, the plan for key %x", ErrWrongShare, sh.KeyID, p.Key.ID)
		case sh.Session != hex.EncodeToString(p.Key.Session[:]):
			return fmt.Errorf("%w: the share is from committee session %s, the plan uses session %x (a reshare replaced one of them)", ErrWrongShare, sh.Session, p.Key.Session)
		case sh.Card != hex.EncodeToString(kp.Card[:]) || sh.Index != kp.Index:
			return fmt.Errorf("%w: the share belongs to party %d (%s), not to you", ErrWrongShare, sh.Index, sh.Name)
		case sh.Curve != p.Curve:
			return fmt.Errorf("%w: the share is %s, the plan %s", ErrWrongShare, sh.Curve, p.Curve)
		case sh.PublicKey != hex.EncodeToString(p.Key.PublicKey):
			return fmt.Errorf("%w: the share's public key %s differs from the plan's %x", ErrWrongShare, sh.PublicKey, p.Key.PublicKey)
		case sh.Threshold != p.Key.Threshold || sh.Parties != len(p.Key.Parties):
			// A plan that understates the threshold would make old members
			// deal sub-shares a smaller coalition can recombine.
			return fmt.Errorf("%w: the share is %d-of-%d, the plan describes the key as %d-of-%d", ErrWrongShare, sh.Threshold, sh.Parties, p.Key.Threshold, len(p.Key.Parties))
		}
		// The plan's chain code fixes every child key of a signing and the
		// xpub a reshare hands on: it must be this key's, never taken on
		// the plan's word (a chosen tweak would sign under a related key).
		switch {
		case bytes.Equal(sh.ChainCode, p.Key.ChainCode):
		case p.Key.ChainCode == nil:
			return fmt.Errorf("%w: your share has a chain code (an HD key), the plan's key has none; make the plan again from the key's current public.json", ErrWrongShare)
		case sh.ChainCode == nil:
			return fmt.Errorf("%w: the plan gives key %x a chain code, your share has none (the key was made before coldsig supported HD keys); the plan does not describe your key", ErrWrongShare, p.Key.ID)
		default:
			return fmt.Errorf("%w: the plan's chain code differs from your share's: the plan does not describe this key's xpub (refusing to sign under keys derived from it)", ErrWrongShare)
		}
		ks := shareKeys(sh)
		if len(ks) != len(p.Key.Parties) {
			return fmt.Errorf("%w: the share's key data has %d parties, the plan %d", ErrWrongShare, len(ks), len(p.Key.Parties))
		}
		for j, kp := range p.Key.Parties {
			if ks[j] == nil || ks[j].Cmp(new(big.Int).SetBytes(kp.ShareKey)) != 0 {
				return fmt.Errorf("%w: party %d's share key in the plan differs from the share's key data", ErrWrongShare, j+1)
			}
		}
	}
	return nil
}

func shareKeys(sh *keyshare.Share) []*big.Int {
	switch {
	case sh.ECDSA != nil:
		return sh.ECDSA.Ks
	case sh.EdDSA != nil:
		return sh.EdDSA.Ks
	}
	return nil
}

func paillierModuli(sh *keyshare.Share, signers tss.SortedPartyIDs) []*big.Int {
	sub := ecdsakeygen.BuildLocalSaveDataSubset(*sh.ECDSA, signers)
	out := make([]*big.Int, len(sub.PaillierPKs))
	for i, pk := range sub.PaillierPKs {
		out[i] = pk.N
	}
	return out
}

func toStoreFiles(files []outFile) []statestore.File {
	out := make([]statestore.File, len(files))
	for i, f := range files {
		out[i] = statestore.File{Name: f.Name, Data: f.Data}
	}
	return out
}

func writeIfAbsentOrSame(path string, data []byte) error {
	// A file larger than the plan differs from it; no need to read it all.
	old, err := boundedio.ReadFile(path, int64(len(data))+1)
	if err == nil {
		if !bytes.Equal(old, data) {
			return fmt.Errorf("%s: this work directory belongs to another plan; use a new directory", path)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return atomicfile.Create(path, data, 0o600)
}

// StepOptions are the inputs of Step.
type StepOptions struct {
	Options
	// Inbox lists candidate envelope files (for example every file of a
	// shared stick); Step picks the ones it needs.
	Inbox []string
	// Ledger is the identity's join ledger (LedgerPath of the key file).
	// A join that committed but died before marking its ledger entry
	// (exit 5) leaves the state at step 1 with the entry unmarked; Step
	// marks it before it publishes anything, so no round-1 envelope
	// leaves while the ledger would still allow a second join. Empty
	// skips the ledger (a library caller without one).
	Ledger string
}

// open loads the work dir's plan and state.
func open(o Options) (*session, *statestore.Store, *partyState, error) {
	if o.Identity == nil {
		return nil, nil, nil, errors.New("no identity")
	}
	if err := checkWorkDirLinks(o.WorkDir); err != nil {
		return nil, nil, nil, err
	}
	planPath := filepath.Join(o.WorkDir, planFile)
	p, err := plan.Load(planPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil, fmt.Errorf("%s: not a coldsig work directory (no %s); run 'coldsig join' first", o.WorkDir, planFile)
		}
		return nil, nil, nil, err
	}
	ss, err := statestore.ReadStatus(o.WorkDir)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := newRoster(p)
	if err != nil {
		return nil, nil, nil, err
	}
	committee := RoleMember
	if ss.Binding.Party >= 1 && ss.Binding.Party <= len(r.cards) {
		committee = r.role(ss.Binding.Party)
	}
	s, err := newSession(o.WorkDir, p, o.Identity, committee, o.Observe)
	if err != nil {
		return nil, nil, nil, err
	}
	if s.me != ss.Binding.Party {
		return nil, nil, nil, fmt.Errorf("%s: work directory is party %d's, this identity is party %d", o.WorkDir, ss.Binding.Party, s.me)
	}
	keys, err := s.keys()
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := statestore.Open(o.WorkDir, s.binding(), keys)
	if errors.Is(err, statestore.ErrNoState) {
		if traces := committedTraces(o.WorkDir); traces != "" {
			return nil, nil, nil, fmt.Errorf("%s: %w: %s, but the state directory holds no state", o.WorkDir, ErrStateLost, traces)
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	raw, err := store.State()
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := parsePartyState(raw)
	clear(raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: state record: %w", o.WorkDir, err)
	}
	// plan.txt is not secret and not authenticated by itself: the state
	// (encrypted and MACed) records the fingerprint of the plan it joined.
	if st.Plan != s.planFP {
		return nil, nil, nil, fmt.Errorf("%s: %s is not the plan this party joined (the state was made for plan %x); restore the original plan file", o.WorkDir, planFile, st.Plan[:8])
	}
	return s, store, st, nil
}

// Step advances the party by one round using the envelopes it finds in the
// inbox. If some are missing it changes nothing and returns a
// *WaitingError naming who is missing (after re-emitting the last
// outbound envelopes, which is idempotent). A protocol violation aborts the
// session and returns an *AbortedError naming the culprit.
func Step(ctx context.Context, o StepOptions) (*Report, error) {
	l, err := lockWorkDir(o.WorkDir, o.Observe)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	s, store, st, err := open(o.Options)
	if err != nil {
		return nil, err
	}
	log, err := s.readLog()
	if err != nil {
		return nil, err
	}
	if log, err = s.checkLog(store, st, log); err != nil {
		return nil, err
	}
	if err := s.checkOutbox(store); err != nil {
		return nil, err
	}
	if store.Step() == 1 && o.Ledger != "" {
		if err := s.markJoinCommitted(o.Ledger, o.WorkDir); err != nil {
			return nil, err
		}
	}
	if st.Phase == len(s.phases) {
		return s.confirm(store, st, o.Inbox, log)
	}
	ph := s.phases[st.Phase]
	envs, err := s.collect(o.Inbox, ph.Round, st, store)
	if err != nil {
		return nil, err
	}
	missing := s.missingSenders(ph, envs)
	if len(missing) > 0 {
		return nil, s.waiting(store, st, ph.Round, missing)
	}
	lp, err := restoreParty(st.Snapshot, s.items())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.WorkDir, err)
	}
	before, err := lp.round()
	if err != nil {
		return nil, err
	}
	tr, err := s.tracker(st)
	if err != nil {
		return nil, err
	}
	s.obs.emit(Event{Kind: EventComputing, Round: ph.Round, Detail: fmt.Sprintf("checking %s and computing", plural.Count(len(envs), "envelope"))})
	if err := s.feed(ctx, lp, st, ph, envs, tr); err != nil {
		return nil, s.abortOn(store, err)
	}
	res, err := lp.result()
	if err != nil {
		return nil, s.abortOn(store, err)
	}
	after, err := lp.round()
	if err != nil && res == nil {
		return nil, err
	}
	if res == nil && after == before {
		// Every sender's envelope was there, yet tss-lib waits: a sender
		// sent too few messages for this round.
		var who []int
		for _, id := range lp.waitingFor() {
			if slot, ok := s.roster.slotOf(id); ok {
				who = append(who, slot)
			}
		}
		return nil, s.waiting(store, st, ph.Round, who)
	}
	msgs := lp.drain()
	for _, e := range envs {
		st.Consumed = append(st.Consumed, consumed{Round: e.Header.Round, From: e.Header.From, To: e.Header.To, Digest: e.Digest})
	}
	st.Phase++
	st.recordTracker(tr)
	files, err := s.seal(st, msgs)
	if err != nil {
		return nil, err
	}
	if res != nil {
		st.Snapshot = nil
		if err := s.pending(st, res); err != nil {
			return nil, s.abortOn(store, &failure{reason: "the protocol's result failed its checks: " + err.Error()})
		}
		cf, err := s.confirmation(st)
		if err != nil {
			return nil, err
		}
		files = append(files, cf)
	} else if st.Snapshot, err = lp.snapshot(); err != nil {
		return nil, err
	}
	from := store.Step()
	lines := []string{logTime(time.Now())}
	for _, e := range envs {
		lines = append(lines, fmt.Sprintf("accepted round %d from party %d to %s digest %x", e.Header.Round, e.Header.From, toName(e.Header.To), e.Digest))
	}
	log = bindLog(st, log, from+1, append(lines, sentLines(files)...))
	data, err := st.marshal()
	if err != nil {
		return nil, err
	}
	meta, err := s.metaFiles(log, st.Phase)
	if err != nil {
		return nil, err
	}
	if err := store.Advance(from, inboundDigest(envs), data, toStoreFiles(files), meta...); err != nil {
		var ce *statestore.CommittedError
		if errors.As(err, &ce) {
			s.writeMeta(log, st.Phase) // best effort; the next step completes it
			return nil, afterCommit(from+1, err)
		}
		return nil, err
	}
	return s.report(store, files, false), nil
}

func toName(to int) string {
	if to == envelope.ToAll {
		return "all"
	}
	return fmt.Sprintf("party %d", to)
}

// collect gathers this round's envelopes for this party in one pass over
// the inbox. Receive errors that prove misbehaviour by a signed sender
// (equivocation) abort the session; other bad files are refused without
// touching the state. Envelopes of rounds already consumed are compared
// with what was consumed: a second, different envelope for a (round,
// sender, recipient) is proof that the sender equivocated, and feeding it
// would mean re-running a round with other inputs.
func (s *session) collect(inbox []string, round int, st *partyState, store *statestore.Store) ([]*envelope.Envelope, error) {
	coll, err := envelope.Collect(inbox, s.id, envelope.Expect{
		Session: s.plan.Session, Protocol: s.flow, Round: round, Me: s.me, Roster: s.roster.cards,
	})
	if coll != nil {
		for _, sk := range coll.Skipped {
			switch {
			case sk.NotEnvelope:
				// Nothing the step needs, but a secret of this party's
				// where others may copy it: named whatever the UI hides.
				s.obs.emit(Event{Kind: EventWarning, Path: sk.File, Detail: termsafe.Path(sk.File) + ": " + sk.Reason})
			case !sk.Quiet:
				s.obs.emit(Event{Kind: EventSkipped, Path: sk.File, Detail: sk.Reason})
			}
		}
	}
	if err != nil {
		if coll != nil {
			for _, re := range coll.Errors {
				if errors.Is(re, envelope.ErrEquivocation) && re.Sender != 0 {
					return nil, s.abortOn(store, &culpritError{slot: re.Sender, reason: "equivocated: " + re.Reason, equivocation: true})
				}
			}
		}
		return nil, err
	}
	for _, sk := range coll.Skipped {
		e := sk.Consumed
		if e == nil {
			continue
		}
		for _, c := range st.Consumed {
			if c.Round == e.Header.Round && c.From == e.Header.From && c.To == e.Header.To && c.Digest != e.Digest {
				return nil, s.abortOn(store, &culpritError{slot: c.From, reason: fmt.Sprintf("sent two different round-%d envelopes to %s (%s differs from the one already consumed)", c.Round, toName(c.To), termsafe.Path(sk.File)), equivocation: true})
			}
		}
	}
	return coll.Envelopes, nil
}

// missingSenders lists the expected senders of a phase without any
// envelope in envs.
func (s *session) missingSenders(ph Phase, envs []*envelope.Envelope) []int {
	have := map[int]bool{}
	for _, e := range envs {
		have[e.Header.From] = true
	}
	var out []int
	for _, slot := range s.roster.committee(ph.From, s.me) {
		if !have[slot] {
			out = append(out, slot)
		}
	}
	return out
}

// waiting re-emits the last committed outbox (idempotent) and returns the
// WaitingError. Nothing else changes.
func (s *session) waiting(store *statestore.Store, st *partyState, round int, slots []int) error {
	if err := s.reemit(store, st); err != nil {
		return err
	}
	we := &WaitingError{Round: round}
	for _, slot := range slots {
		we.Missing = append(we.Missing, s.party(slot))
	}
	return we
}

// reemit writes every envelope this party has committed so far to the
// outbox again, byte for byte, where one went missing (a lost or
// reformatted stick), in one batch (one fsync of the outbox, which is
// synced even when nothing was missing). Step j was advanced with the
// envelopes of phase j-1 (step 0 is the join), whose inbound digest the
// consumed records give.
func (s *session) reemit(store *statestore.Store, st *partyState) error {
	var all []statestore.File
	for step := uint64(0); step < store.Step(); step++ {
		in := [32]byte{}
		if step > 0 {
			in = s.phaseInbound(st, int(step)-1)
		}
		files, found, err := store.Lookup(step, in)
		if err != nil {
			return err
		}
		if found {
			all = append(all, files...)
		}
	}
	return store.WriteOutbox(all)
}

// phaseInbound recomputes the inbound digest of the envelopes consumed in
// phase i.
func (s *session) phaseInbound(st *partyState, i int) [32]byte {
	round := s.phases[i].Round
	var envs []*envelope.Envelope
	for _, c := range st.Consumed {
		if c.Round == round {
			envs = append(envs, &envelope.Envelope{Digest: c.Digest})
		}
	}
	return inboundDigest(envs)
}

// abortOn aborts the session when err names a culprit; other errors pass
// through unchanged (and leave the state as it was).
func (s *session) abortOn(store *statestore.Store, err error) error {
	var eq *equivocationAbort
	var fl *failure
	if errors.As(err, &eq) || errors.As(err, &fl) {
		if aerr := store.Abort(err.Error(), ""); aerr != nil {
			return fmt.Errorf("%v (and aborting failed: %w)", err, aerr)
		}
		s.obs.emit(Event{Kind: EventWarning, Detail: "session aborted: " + err.Error()})
		return &AbortedError{Reason: err.Error()}
	}
	var ce *culpritError
	if !errors.As(err, &ce) {
		return err
	}
	culprit := s.party(ce.slot)
	reason := fmt.Sprintf("%s %s", culprit, ce.reason)
	if aerr := store.Abort(reason, culprit.String()); aerr != nil {
		return fmt.Errorf("%v (and aborting failed: %w)", reason, aerr)
	}
	s.obs.emit(Event{Kind: EventWarning, Slot: ce.slot, Detail: "session aborted: " + reason})
	return &AbortedError{Reason: ce.reason, Culprit: &culprit, Equivocation: ce.equivocation}
}

func (s *session) tracker(st *partyState) (*admission.Tracker, error) {
	return admission.TrackerFrom(len(s.roster.old), st.TrackerN)
}

func (st *partyState) recordTracker(t *admission.Tracker) { st.TrackerN = t.Moduli() }

// admissionParams describes the session for the admission checks.
func (s *session) admissionParams(st *partyState, tr *admission.Tracker) admission.Params {
	p := admission.Params{Flow: s.flowAdmission(), Tracker: tr, PaillierN: st.PaillierN}
	switch s.plan.Protocol {
	case plan.Keygen:
		p.Threshold, p.PartyCount = s.plan.Threshold-1, len(s.roster.old)
	case plan.Sign:
		p.Threshold, p.PartyCount = s.plan.Key.Threshold-1, len(s.roster.old)
	case plan.Reshare:
		p.Threshold, p.PartyCount = s.plan.Key.Threshold-1, len(s.roster.old)
		p.NewThreshold, p.NewPartyCount = s.plan.Threshold-1, len(s.roster.new)
	}
	return p
}

func (s *session) report(store *statestore.Store, files []outFile, replayed bool) *Report {
	r := &Report{Session: s.plan.Session, Me: s.party(s.me), Role: s.role, Step: store.Step(), Replayed: replayed}
	for _, f := range files {
		r.Outbox = append(r.Outbox, filepath.Join(s.dir, "outbox", f.Name))
	}
	sort.Strings(r.Outbox)
	return r
}

// readLog loads the work dir's log (a missing one starts anew). It is read
// before anything is committed, so a damaged log stops the step cleanly.
func (s *session) readLog() (*Log, error) {
	path := filepath.Join(s.dir, logFile)
	data, err := boundedio.ReadFile(path, MaxLogSize)
	if errors.Is(err, os.ErrNotExist) {
		return &Log{}, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := ParseLog(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (the log was altered or damaged; nothing was changed)", path, err)
	}
	return l, nil
}

func sentLines(files []outFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, fmt.Sprintf("sent %s digest %x", f.Name, sha256.Sum256(f.Data)))
	}
	return out
}

// checkTarget refuses a join into workDir, which holds no state of this
// session, if a previous join of this party committed there (ErrStateLost:
// the state was deleted after round 1 may have been sent) or the ledger
// records this session and slot with another work dir
// (ErrJoinedElsewhere). A log, a progress record or an envelope in the
// outbox are only ever written with a committed step, so they count even
// without a ledger (deleted, or a copy of the key elsewhere). An empty
// ledger path skips the ledger.
func (s *session) checkTarget(ledger, workDir string) error {
	if other, ok := loggedSession(workDir); ok && other != s.plan.Session {
		return fmt.Errorf("%s: work directory holds the log of another session (%x); use a new directory", workDir, other[:4])
	}
	if traces := committedTraces(workDir); traces != "" {
		return fmt.Errorf("%s: %w: %s, but the directory holds no state", workDir, ErrStateLost, traces)
	}
	if ledger == "" {
		return nil
	}
	_, _, err := s.checkLedger(ledger, workDir)
	return err
}

// loggedSession is the session DIR/log.txt says was joined there, if it
// says so.
func loggedSession(dir string) ([32]byte, bool) {
	var sess [32]byte
	data, err := boundedio.ReadFile(filepath.Join(dir, logFile), MaxLogSize)
	if err != nil {
		return sess, false
	}
	l, err := ParseLog(data)
	if err != nil {
		return sess, false
	}
	for _, e := range l.Entries {
		rest, ok := strings.CutPrefix(e.Text, "joined session ")
		if !ok {
			continue
		}
		h, _, _ := strings.Cut(rest, " ")
		if b, err := hex.DecodeString(h); err == nil && len(b) == len(sess) {
			copy(sess[:], b)
			return sess, true
		}
	}
	return sess, false
}

// committedTraces says what in dir shows that a step was committed there
// ("log.txt records step 3 as committed; outbox/ holds 2 envelopes"), or ""
// if nothing does. The log and the progress record are only put in place
// with a committed step, and the outbox only ever holds committed
// envelopes: only envelope names count there (a .DS_Store or a file the
// officer dropped into a pre-made outbox/ says nothing), and at most
// maxOutboxScan names are read.
func committedTraces(dir string) string {
	const maxOutboxScan = 1 << 14
	var out []string
	if data, err := boundedio.ReadFile(filepath.Join(dir, logFile), MaxLogSize); err == nil {
		if l, err := ParseLog(data); err == nil {
			if n, err := l.lastCommitted(); err == nil && n > 0 {
				out = append(out, fmt.Sprintf("%s records step %d as committed", logFile, n))
			}
		}
		if len(out) == 0 {
			out = append(out, logFile+" exists")
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		out = append(out, logFile+" exists")
	}
	if _, err := os.Lstat(filepath.Join(dir, progressFile)); err == nil && len(out) == 0 {
		out = append(out, progressFile+" exists")
	}
	if f, err := os.Open(filepath.Join(dir, "outbox")); err == nil {
		entries, _ := f.ReadDir(maxOutboxScan)
		f.Close()
		n := 0
		for _, e := range entries {
			if _, ok := envelope.ParseFileName(e.Name()); ok {
				n++
			}
		}
		if n > 0 {
			out = append(out, "outbox/ holds "+plural.Count(n, "envelope"))
		}
	}
	return strings.Join(out, "; ")
}

// checkWorkDirLinks refuses a work directory whose files or directories
// are symbolic links: written or read through, they would put the state,
// the outbox, the log or the results wherever the link points.
func checkWorkDirLinks(dir string) error {
	for _, n := range []string{planFile, logFile, progressFile} {
		p := filepath.Join(dir, n)
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s %w", p, statestore.ErrSymlink)
		}
	}
	return statestore.CheckLinks(dir)
}

func (s *session) checkFiles() error { return checkWorkDirLinks(s.dir) }

// metaFiles are the non-secret progress record and log, in the order they
// are put in place (after the outbox): the log, whose last line says the
// step is committed, comes last. A crash between the two leaves a log one
// step behind the state, which the next step completes (see logbind.go);
// the other way round a stale progress record could outlive the crash.
func (s *session) metaFiles(log *Log, phase int) ([]statestore.File, error) {
	p, err := progressRecord(s, phase)
	if err != nil {
		return nil, err
	}
	l, err := log.Marshal()
	if err != nil {
		return nil, err
	}
	return []statestore.File{{Name: progressFile, Data: p}, {Name: logFile, Data: l}}, nil
}

// writeMeta writes the log and progress record on their own, where no step
// is committed with them (the end of a ceremony, a completed log): both
// files synced together, then put in place, then the directory synced.
func (s *session) writeMeta(log *Log, phase int) error {
	files, err := s.metaFiles(log, phase)
	if err != nil {
		return err
	}
	var g atomicfile.Group
	defer g.Discard()
	staged := make([]*atomicfile.Staged, len(files))
	for i, f := range files {
		if staged[i], err = g.Stage(filepath.Join(s.dir, f.Name), f.Data, 0o600); err != nil {
			return err
		}
	}
	if err := g.Sync(); err != nil {
		return err
	}
	for _, f := range staged {
		if err := f.Replace(); err != nil {
			return err
		}
	}
	return atomicfile.SyncDir(s.dir)
}
