package ceremony

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/ceremony/admission"
	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/ceremony/internal/tssparty"
	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/plan"
)

// Options are common to every operation.
type Options struct {
	// WorkDir holds this party's state for one ceremony.
	WorkDir string
	// Identity is the party's decrypted identity.
	Identity *identity.Identity
	// Observe receives progress events; may be nil.
	Observe Observer
}

// WaitingError means the inbox lacks envelopes this party needs; nothing
// was changed. It is not a failure: copy the missing envelopes and retry.
type WaitingError struct {
	Round   int
	Missing []Party
}

// Party names a session party.
type Party struct {
	Slot int
	Name string
}

func (p Party) String() string { return fmt.Sprintf("%s (party %d)", p.Name, p.Slot) }

func (e *WaitingError) Error() string {
	var names []string
	for _, p := range e.Missing {
		names = append(names, p.String())
	}
	what := fmt.Sprintf("round %d", e.Round)
	if e.Round == 0 {
		what = "confirmation"
	}
	return fmt.Sprintf("waiting for %s envelopes from %s", what, strings.Join(names, ", "))
}

// AbortedError means the session is aborted: a party misbehaved or the
// officer aborted it. The state is destroyed; a retry needs a new plan.
type AbortedError struct {
	Reason  string
	Culprit *Party
	// Equivocation is set when the culprit signed two different envelopes
	// for one round and recipient. An honest officer who joined one plan
	// twice (two work dirs) looks exactly like that to the others.
	Equivocation bool
}

func (e *AbortedError) Error() string {
	if e.Culprit != nil {
		return fmt.Sprintf("session aborted: %s; culprit: %s", e.Reason, e.Culprit)
	}
	return "session aborted: " + e.Reason
}

// ErrEnded means the work dir's ceremony already finished or was aborted.
var ErrEnded = errors.New("ceremony already ended")

// session is everything an operation knows about the work dir's ceremony.
type session struct {
	dir    string
	plan   *plan.Plan
	roster *roster
	me     int
	role   Role
	flow   string
	phases []Phase
	// planFP is the plan fingerprint, computed once: every envelope's
	// echo includes it.
	planFP [32]byte
	id     *identity.Identity
	obs    Observer
}

// confirmRound is the header round of confirmation envelopes: one past the
// last input round of the flow (the same for both committees of a
// reshare).
func (s *session) confirmRound() int {
	return s.phases[len(s.phases)-1].Round + 1
}

func (s *session) party(slot int) Party {
	return Party{Slot: slot, Name: s.roster.cards[slot-1].Name}
}

func newSession(dir string, p *plan.Plan, id *identity.Identity, committee Role, obs Observer) (*session, error) {
	r, err := newRoster(p)
	if err != nil {
		return nil, err
	}
	fp := id.Card().Fingerprint()
	slots := p.Slots(fp)
	var me int
	switch {
	case len(slots) == 0:
		return nil, fmt.Errorf("%w: %s (card %s) is not a party of this plan", ErrNotInPlan, id.Name, identity.DigestWords(fp))
	case len(slots) == 1:
		me = slots[0]
		if committee != RoleMember && r.role(me) != committee {
			return nil, fmt.Errorf("%w: %s is only in the %s of this plan", ErrNotInPlan, id.Name, r.role(me))
		}
	default:
		// A continuing member of a resharing has a slot in each committee
		// and runs each in its own work dir.
		for _, s := range slots {
			if r.role(s) == committee {
				me = s
			}
		}
		if me == 0 {
			return nil, fmt.Errorf("%w: %s is in both committees of this reshare; say which one this work dir is for", ErrCommittee, id.Name)
		}
	}
	role := r.role(me)
	ph, err := phases(p.Curve, p.Protocol, role)
	if err != nil {
		return nil, err
	}
	planFP, err := p.Fingerprint()
	if err != nil {
		return nil, err
	}
	return &session{
		dir: dir, plan: p, roster: r, me: me, role: role,
		flow: flowName(p.Curve, p.Protocol), phases: ph, planFP: planFP, id: id, obs: obs,
	}, nil
}

// Errors callers branch on.
var (
	ErrNotInPlan  = errors.New("not in plan")
	ErrCommittee  = errors.New("committee not chosen")
	ErrWrongShare = errors.New("wrong key share")
)

// inboundDigest names a set of inbound envelopes independently of their
// order, copies and file names (see statestore.InboundDigestOfSums); an
// envelope is identified by the SHA-256 of its signed inner record, so a
// re-encrypted copy counts as the same envelope.
func inboundDigest(envs []*envelope.Envelope) [32]byte {
	sums := make([][32]byte, len(envs))
	for i, e := range envs {
		sums[i] = e.Digest
	}
	return statestore.InboundDigestOfSums(sums)
}

// outFile is an outbound envelope before it is committed.
type outFile struct {
	Name string
	Data []byte
}

// seal wraps the tss-lib messages a round emitted, per item, into
// envelopes. One item (keygen, resharing, a single signing) is sealed
// message by message; a batch signing puts the messages of every item for
// one (round, recipient) into one envelope, so a batch costs the same
// envelopes and trips as one signature.
func (s *session) seal(st *partyState, items [][]tss.Message) ([]outFile, error) {
	if len(items) == 1 {
		return s.sealMessages(st, items[0])
	}
	return s.sealItems(st, items)
}

// sealItems seals a batch: for each (round, recipient) the messages of
// items 1..N, in item order, as one items payload (coldsig/items/v1). A
// broadcast's view entry is the digest of that whole payload, so the echo,
// the confirmation and the transcript cover every item's broadcast.
func (s *session) sealItems(st *partyState, items [][]tss.Message) ([]outFile, error) {
	type key struct{ round, to int }
	type group struct {
		typ       string
		broadcast bool
		wires     [][]byte
	}
	var order []key
	groups := map[key]*group{}
	for i, msgs := range items {
		for _, m := range msgs {
			wire, routing, round, _, err := wireOf(m)
			if err != nil {
				return nil, err
			}
			to := envelope.ToAll
			if !routing.IsBroadcast {
				slots, err := s.roster.recipients(s.me, m)
				if err != nil {
					return nil, err
				}
				if len(slots) != 1 {
					return nil, fmt.Errorf("internal: a p2p message to %d parties", len(slots))
				}
				to = slots[0]
			}
			k := key{round, to}
			g := groups[k]
			if g == nil {
				if i != 0 {
					return nil, fmt.Errorf("internal: item %d sends %s, item 1 does not", i+1, m.Type())
				}
				g = &group{typ: m.Type(), broadcast: routing.IsBroadcast}
				groups[k] = g
				order = append(order, k)
			}
			if g.typ != m.Type() || g.broadcast != routing.IsBroadcast || len(g.wires) != i {
				return nil, fmt.Errorf("internal: item %d sends %s where item 1 sends %s", i+1, m.Type(), g.typ)
			}
			g.wires = append(g.wires, wire)
		}
	}
	var out []outFile
	for _, k := range order {
		g := groups[k]
		if len(g.wires) != len(items) {
			return nil, fmt.Errorf("internal: %d of %d items send %s", len(g.wires), len(items), g.typ)
		}
		payload, err := itemsPayload(g.wires)
		if err != nil {
			return nil, err
		}
		if g.broadcast {
			_, mk, _ := messageKey(g.typ)
			if err := st.View.add(Broadcast{Round: mk, From: s.me, Digest: sha256.Sum256(payload)}); err != nil {
				return nil, err
			}
		}
		rcpts := s.recipientsFor(k.to)
		f, err := s.sealOne(st, k.round, k.to, s.echoFor(st, k.round), payload, rcpts)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// sealMessages seals one item's messages. In keygen and signing, a
// broadcast becomes one envelope encrypted to all its recipients and a p2p
// message one envelope. A reshare sends every message per recipient (a
// member of both committees has one identity but two slots, and a round
// can carry different broadcasts for the two committees); messages of one
// round for one recipient share an envelope as a bundle.
func (s *session) sealMessages(st *partyState, msgs []tss.Message) ([]outFile, error) {
	type key struct{ round, to int }
	var order []key
	groups := map[key][][]byte{}
	echoes := map[key][32]byte{}
	add := func(k key, wire []byte, echo [32]byte) {
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], wire)
		echoes[k] = echo
	}
	for _, m := range msgs {
		wire, routing, round, mk, err := wireOf(m)
		if err != nil {
			return nil, err
		}
		to, err := s.roster.recipients(s.me, m)
		if err != nil {
			return nil, err
		}
		if len(to) == 0 {
			continue
		}
		if routing.IsBroadcast {
			if err := st.View.add(Broadcast{Round: mk, From: s.me, Digest: sha256.Sum256(wire)}); err != nil {
				return nil, err
			}
		}
		echo := s.echoFor(st, round)
		if routing.IsBroadcast && s.plan.Protocol != plan.Reshare {
			add(key{round, envelope.ToAll}, wire, echo)
			continue
		}
		for _, slot := range to {
			add(key{round, slot}, wire, echo)
		}
	}
	var out []outFile
	for _, k := range order {
		rcpts := s.recipientsFor(k.to)
		if len(groups[k]) > maxBundle {
			return nil, fmt.Errorf("internal: %d messages for one envelope", len(groups[k]))
		}
		f, err := s.sealOne(st, k.round, k.to, echoes[k], bundle(groups[k]), rcpts)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// wireOf is a tss-lib message's wire bytes and routing, with the round
// and message key its type names.
func wireOf(m tss.Message) (wire []byte, routing *tss.MessageRouting, round, mk int, err error) {
	wire, routing, err = m.WireBytes()
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("encode tss-lib message: %w", err)
	}
	round, mk, err = messageKey(m.Type())
	if err != nil {
		return nil, nil, 0, 0, err
	}
	return wire, routing, round, mk, nil
}

// recipientsFor is whom an envelope to slot to (or envelope.ToAll: the
// whole committee but this party) is encrypted to.
func (s *session) recipientsFor(to int) []age.Recipient {
	if to != envelope.ToAll {
		return []age.Recipient{s.roster.cards[to-1].Recipient}
	}
	var rcpts []age.Recipient
	for _, slot := range s.roster.committee(FromAll, s.me) {
		rcpts = append(rcpts, s.roster.cards[slot-1].Recipient)
	}
	return rcpts
}

func (s *session) sealOne(st *partyState, round, to int, echo [32]byte, payload []byte, rcpts []age.Recipient) (outFile, error) {
	st.Seq++
	h := envelope.Header{
		Session: s.plan.Session, Protocol: s.flow, Round: round,
		From: s.me, To: to, Seq: st.Seq, Echo: echo,
	}
	data, err := envelope.Seal(h, payload, s.id, rcpts)
	if err != nil {
		return outFile{}, err
	}
	return outFile{Name: envelope.FileName(h), Data: data}, nil
}

// echoFor is the echo a round's envelopes carry. It binds every envelope
// to the plan (two plans could share a session id; only the fingerprint
// words say they differ) and, in keygen and signing, to the previous
// round's broadcasts as this party saw them: a receiver whose own view
// gives another value knows some party sent different broadcasts to
// different parties. Resharing committees see different broadcast sets and
// rely on the confirmation exchange for that.
func (s *session) echoFor(st *partyState, round int) [32]byte {
	h := sha256.New()
	h.Write([]byte("coldsig/echo/v1\x00"))
	h.Write(s.planFP[:])
	if s.plan.Protocol != plan.Reshare && round > 1 && round < s.confirmRound() {
		d := st.View.RoundDigest(round - 1)
		h.Write(d[:])
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

var roundInString = regexp.MustCompile(`round: ([0-9]+)`)

// tssRound reads the round a tss-lib party is in. tss-lib v2.0.2 exposes it
// only through String(); the pinned version (and the snapshot schema
// check) keep this stable, and a change fails loudly here.
func tssRound(p tss.Party) (int, error) {
	m := roundInString.FindStringSubmatch(p.String())
	if m == nil {
		return 0, fmt.Errorf("internal: cannot read the round of tss-lib party %q", p.String())
	}
	return strconv.Atoi(m[1])
}

// feed checks and delivers one phase's envelopes to the party. Any check
// failure names the sender, who is then the culprit.
func (s *session) feed(ctx context.Context, lp *liveParty, st *partyState, ph Phase, envs []*envelope.Envelope, tr *admission.Tracker) error {
	expected := map[int]bool{}
	for _, slot := range s.roster.committee(ph.From, s.me) {
		expected[slot] = true
	}
	// tss-lib files messages by (type, sender) and overwrites; the caller
	// must refuse repeats (StoreMessage's own comment says so).
	seen := map[string]bool{}
	for _, e := range envs {
		if err := ctx.Err(); err != nil {
			return err
		}
		from := e.Header.From
		if !expected[from] {
			return &culpritError{slot: from, reason: fmt.Sprintf("sent a round-%d message but is not expected to send in this round", ph.Round)}
		}
		sender := s.roster.ids[from-1]
		if n := len(s.plan.Items); n > 1 {
			if err := s.feedItems(lp, st, ph, e, sender, tr, seen, n); err != nil {
				return err
			}
		} else {
			wires, err := unbundle(e.Payload)
			if err != nil {
				return &culpritError{slot: from, reason: err.Error()}
			}
			for _, wire := range wires {
				if err := s.feedMessage(lp, st, ph, e, sender, wire, tr, seen); err != nil {
					return err
				}
			}
		}
		s.obs.emit(Event{Kind: EventAccepted, Round: e.Header.Round, Slot: from, Detail: fmt.Sprintf("round %d %s from %s", e.Header.Round, kind(e.Header.To == envelope.ToAll), s.party(from))})
	}
	return nil
}

func kind(broadcast bool) string {
	if broadcast {
		return "broadcast"
	}
	return "message"
}

// equivocationAbort: a party saw different broadcasts than we did, or
// holds another plan.
type equivocationAbort struct{ round, witness int }

func (e *equivocationAbort) Error() string {
	return fmt.Sprintf("party %d holds another plan or saw different round-%d broadcasts than this party did: someone equivocated (sent different broadcasts to different parties); compare plan fingerprints and keep every envelope as evidence", e.witness, e.round)
}

// failure aborts the session without naming anyone: the protocol cannot
// go on, but the evidence does not single out a party.
type failure struct{ reason string }

func (e *failure) Error() string { return e.reason }

// culpritError is a protocol violation attributable to one signed sender.
type culpritError struct {
	slot   int
	reason string
	// equivocation: the sender signed two different envelopes for one
	// round and recipient.
	equivocation bool
}

func (e *culpritError) Error() string { return fmt.Sprintf("party %d %s", e.slot, e.reason) }

// blame turns a tss-lib error into a culprit error when tss-lib names one.
func (s *session) blame(err error) error {
	var pe *tssparty.ProtocolError
	if !errors.As(err, &pe) {
		return err
	}
	for _, c := range pe.Culprits {
		if slot, ok := s.roster.slotOf(c); ok {
			return &culpritError{slot: slot, reason: "was blamed by tss-lib: " + pe.Err.Cause().Error()}
		}
	}
	return fmt.Errorf("tss-lib: %w", pe.Err.Cause())
}

// feedItems checks the items payload of a batch envelope, every item's
// message in full, and only then delivers them, one to each item's party.
// One bad item aborts the whole batch, naming the sender and the item.
func (s *session) feedItems(lp *liveParty, st *partyState, ph Phase, e *envelope.Envelope, sender *tss.PartyID, tr *admission.Tracker, seen map[string]bool, n int) error {
	from := e.Header.From
	wires, err := unitems(e.Payload, n)
	if err != nil {
		return &culpritError{slot: from, reason: fmt.Sprintf("sent a malformed round-%d batch envelope: %v", ph.Round, err)}
	}
	var first checked
	for i, wire := range wires {
		c, err := s.checkMessage(st, ph, e, sender, wire, tr, seen, i)
		if err != nil {
			return err
		}
		if i == 0 {
			first = c
		} else if c.typ != first.typ {
			return &culpritError{slot: from, reason: fmt.Sprintf("item %d: sent %s where item 1 carries %s", i+1, c.typ, first.typ)}
		}
	}
	if first.broadcast {
		if err := st.View.add(Broadcast{Round: first.key, From: from, Digest: sha256.Sum256(e.Payload)}); err != nil {
			return &culpritError{slot: from, reason: err.Error()}
		}
	}
	for i, wire := range wires {
		if err := lp.feedOne(i, sender, wire, first.broadcast); err != nil {
			return s.blameItem(err, i, n)
		}
	}
	return nil
}

// blameItem is blame with the item named, in a batch.
func (s *session) blameItem(err error, i, n int) error {
	err = s.blame(err)
	var ce *culpritError
	if n > 1 && errors.As(err, &ce) {
		return &culpritError{slot: ce.slot, reason: fmt.Sprintf("item %d: %s", i+1, ce.reason)}
	}
	if n > 1 {
		return fmt.Errorf("item %d: %w", i+1, err)
	}
	return err
}

// checked is what checkMessage learned of a message.
type checked struct {
	typ       string
	key       int
	broadcast bool
}

// feedMessage checks one tss-lib message of envelope e and delivers it.
func (s *session) feedMessage(lp *liveParty, st *partyState, ph Phase, e *envelope.Envelope, sender *tss.PartyID, wire []byte, tr *admission.Tracker, seen map[string]bool) error {
	c, err := s.checkMessage(st, ph, e, sender, wire, tr, seen, 0)
	if err != nil {
		return err
	}
	if c.broadcast {
		if err := st.View.add(Broadcast{Round: c.key, From: e.Header.From, Digest: sha256.Sum256(wire)}); err != nil {
			return &culpritError{slot: e.Header.From, reason: err.Error()}
		}
	}
	if err := lp.feedOne(0, sender, wire, c.broadcast); err != nil {
		return s.blame(err)
	}
	return nil
}

// checkMessage runs every check on one tss-lib message (of item i of a
// batch) before tss-lib sees it. Any failure names the sender.
func (s *session) checkMessage(st *partyState, ph Phase, e *envelope.Envelope, sender *tss.PartyID, wire []byte, tr *admission.Tracker, seen map[string]bool, item int) (checked, error) {
	from := e.Header.From
	prefix := ""
	if len(s.plan.Items) > 1 {
		prefix = fmt.Sprintf("item %d: ", item+1)
	}
	culprit := func(format string, args ...any) (checked, error) {
		return checked{}, &culpritError{slot: from, reason: prefix + fmt.Sprintf(format, args...)}
	}
	msg, err := tss.ParseWireMessage(wire, sender, e.Header.To == envelope.ToAll)
	if err != nil {
		return culprit("round-%d payload is not a tss-lib message: %v", ph.Round, err)
	}
	r, key, err := messageKey(msg.Type())
	if err != nil || r != e.Header.Round {
		return culprit("envelope says round %d but carries %s", e.Header.Round, msg.Type())
	}
	if k := fmt.Sprintf("%s/%d/%d", msg.Type(), from, item); seen[k] {
		return culprit("sent %s twice in round %d", msg.Type(), r)
	} else {
		seen[k] = true
	}
	// The broadcast flag tss-lib gets is fixed by the message type. In
	// keygen and signing the envelope's addressing must agree with it;
	// reshares address every message to one recipient.
	isBroadcast, known := admission.IsBroadcast(s.flowAdmission(), msg.Content())
	if !known {
		return culprit("sent %s, which is not a message of %s", msg.Type(), s.flow)
	}
	if s.plan.Protocol != plan.Reshare && isBroadcast != (e.Header.To == envelope.ToAll) {
		return culprit("sent a %s %s, but it is a %s message", msg.Type(), map[bool]string{true: "to everyone", false: "to one party"}[e.Header.To == envelope.ToAll], kind(isBroadcast))
	}
	if s.plan.Protocol == plan.Reshare && e.Header.To == envelope.ToAll {
		return culprit("sent a reshare message to everyone; reshare messages are addressed per recipient")
	}
	if echo := s.echoFor(st, r); echo != e.Header.Echo {
		// The echo says only that the two views differ, not whose
		// broadcast was forked; the views exchanged at confirmation would
		// say, but a forked transcript must not go on.
		return checked{}, &equivocationAbort{round: r - 1, witness: from}
	}
	if err := admission.Check(s.admissionParams(st, tr), wire, sender, isBroadcast); err != nil {
		var rej *admission.RejectedError
		if !errors.As(err, &rej) {
			return checked{}, err
		}
		return culprit("%v", err)
	}
	return checked{typ: msg.Type(), key: key, broadcast: isBroadcast}, nil
}
