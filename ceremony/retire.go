package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// Retiring an old share after a reshare needs proof of two things, and
// public.json and signature.json prove neither (they are unsigned; anyone
// can edit a session id or a committee field):
//
//  1. That this share's committee was reshared to a new committee which
//     holds the same key: the reshare proof. Every old member's step that
//     finishes a reshare writes result/reshare-proof.txt: the plan, every
//     other party's confirmation envelope (each signed with that party's
//     Ed25519 card key, each confirming the key), and a signature by the
//     old member's own identity over all of it. The retiring officer's own
//     signature is the anchor: only his software, with his identity, having
//     finished this very plan as an old member with this share, makes it.
//     The plan's new cards are the ones the officers compared aloud.
//  2. That the new committee can sign: a test signing, by the new
//     committee, of the retire statement (RetireStatement), a text naming
//     the key, the old committee and the new one. The old and the new
//     committee hold the same key, so a signature alone cannot say which
//     committee made it; the statement can, because honest software refuses
//     to sign a retire statement unless the signing committee is the one it
//     names as new (checkRetireStatement at join). An old signature, or one
//     by the old committee, does not verify for the statement.
//
// Residual risk, documented in docs/format.md: a secp256k1 raw-digest
// signing can sign any 32 bytes, including the statement's EIP-191 digest,
// and signers cannot see what a raw digest means. Only (1) is then proven.

// ErrRetire wraps every reason a share may not be retired yet.
var ErrRetire = errors.New("refusing to retire the share")

// retirePrefix starts every retire statement.
const retirePrefix = "coldsig retire v1: "

var retireRE = regexp.MustCompile(`^coldsig retire v1: key ([0-9a-f]{32}): the shares of committee ([0-9a-f]{64}) may be destroyed; committee ([0-9a-f]{64}) holds the key and signs this$`)

// RetireStatement is the text the new committee signs to let the old
// committee's shares be destroyed. It is printable text, so it is signed as
// an EIP-191 message (secp256k1) or as the message itself (ed25519), and
// officers can read it in 'coldsig plan show'.
func RetireStatement(keyID, oldSession, newSession string) string {
	return fmt.Sprintf("%skey %s: the shares of committee %s may be destroyed; committee %s holds the key and signs this", retirePrefix, keyID, oldSession, newSession)
}

// RetireStatementFor is the retire statement for a reshare from the
// committee of old to that of new: two committees of one key. Its errors
// read after "OLD and NEW are ".
func RetireStatementFor(old, new *keyshare.Public) (string, error) {
	if old.KeyID != new.KeyID || old.PublicKey != new.PublicKey || old.Curve != new.Curve {
		return "", fmt.Errorf("different keys (%s, %s)", old.KeyID, new.KeyID)
	}
	if old.Session == new.Session {
		return "", fmt.Errorf("the same committee (session %s)", old.Session)
	}
	return RetireStatement(new.KeyID, old.Session, new.Session), nil
}

// parseRetireStatement returns the key id and the committees a statement
// names; ok is false if text is not one.
func parseRetireStatement(text string) (keyID, oldSession, newSession string, ok bool) {
	m := retireRE.FindStringSubmatch(text)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// ErrRetireStatement refuses a signing that would let another committee's
// shares be destroyed.
var ErrRetireStatement = errors.New("refusing to sign this retire statement")

// CheckSignPlan refuses a signing plan that honest software must never
// sign: a retire statement not for the signing committee, or signed by a
// child key. Join refuses it (checkInputs); 'plan sign' calls it so that
// the coordinator learns it before carrying the plan to anyone.
func CheckSignPlan(p *plan.Plan) error { return checkRetireStatement(p) }

// checkRetireStatement is what makes a signed retire statement mean "the
// committee named as new signed this": an honest party signs one only as a
// member of that committee. Any text that starts like one must be one.
func checkRetireStatement(p *plan.Plan) error {
	if p.Protocol != plan.Sign {
		return nil
	}
	for i, it := range p.Items {
		if err := checkRetireItem(p, it); err != nil {
			if len(p.Items) > 1 {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
			return err
		}
	}
	return nil
}

// checkRetireItem checks one item of a signing plan; a retire statement
// is signed by the key itself, never by a child key.
func checkRetireItem(p *plan.Plan, item *plan.Item) error {
	pl := item.Payload
	if pl == nil {
		return nil
	}
	switch pl.Kind {
	case plan.PayloadMessage, plan.PayloadEIP191:
	default:
		return nil
	}
	text := string(pl.Message)
	if !bytes.HasPrefix(pl.Message, []byte(retirePrefix[:len(retirePrefix)-1])) {
		return nil
	}
	if item.Path != nil {
		return fmt.Errorf("%w: a retire statement is signed by the key itself, not by its child %s", ErrRetireStatement, item.Path)
	}
	keyID, oldS, newS, ok := parseRetireStatement(text)
	switch {
	case !ok:
		return fmt.Errorf("%w: the message starts like a retire statement but is not one; make it with 'coldsig share statement'", ErrRetireStatement)
	case keyID != hex.EncodeToString(p.Key.ID[:]):
		return fmt.Errorf("%w: it is for key %s, this signing uses key %x", ErrRetireStatement, keyID, p.Key.ID)
	case newS != hex.EncodeToString(p.Key.Session[:]):
		return fmt.Errorf("%w: it says committee %s holds the key, but the signers are committee %x; only the committee named as new may sign it", ErrRetireStatement, short(newS), p.Key.Session[:8])
	case oldS == newS:
		return fmt.Errorf("%w: it names the same committee as old and new", ErrRetireStatement)
	}
	return nil
}

// ReshareProofMagic is the magic line of result/reshare-proof.txt.
const ReshareProofMagic = "coldsig/reshare-proof/v1"

// ReshareProofFile is the result file name of the proof.
const ReshareProofFile = "reshare-proof.txt"

// MaxReshareProofSize bounds a proof file: the plan (at most 64 KiB) and
// one confirmation per party (a few KiB each for the largest committees),
// base64-encoded.
const MaxReshareProofSize = 8 << 20

// proofSignatureDomain separates the attester's signature from every other
// signature made with an identity's signing key (envelopes use their own).
const proofSignatureDomain = "coldsig/reshare-proof/v1 signature\x00"

// ReshareProof is a parsed reshare-proof.txt.
type ReshareProof struct {
	Plan *plan.Plan
	// Attester is the old-committee slot of the party that signed the
	// proof, Card its card.
	Attester int
	Card     *identity.Card
	// Confirmations are every other party's confirmation envelopes (inner
	// records, signatures checked by Verify), by sender slot.
	Confirmations map[int]*envelope.Envelope
	// NewCommittee is the session of the committee that holds the key
	// after the reshare (the plan's session).
	NewCommittee [32]byte

	signed    []byte
	signature []byte
}

// reshareProof builds and signs this old member's proof from the
// confirmations its confirm step accepted.
func (s *session) reshareProof(envs []*envelope.Envelope) ([]byte, error) {
	pb, err := s.plan.Marshal()
	if err != nil {
		return nil, err
	}
	sorted := append([]*envelope.Envelope(nil), envs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].From < sorted[j].From })
	w := textrec.NewWriter(ReshareProofMagic)
	w.Base64("plan", pb)
	w.Uint("attester", uint64(s.me))
	for _, e := range sorted {
		w.Base64("confirmation", e.Inner)
	}
	body, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(s.id.Signing, append([]byte(proofSignatureDomain), body...))
	return append(body, "signature: "+hex.EncodeToString(sig)+"\n"...), nil
}

// ParseReshareProof decodes a proof and checks everything it can check by
// itself: the attester's signature with its card from the plan, and every
// confirmation's signature, session, round and agreement on the key. The
// caller still checks that the attester is the retiring officer and the
// key is the share's (CheckRetire does).
func ParseReshareProof(data []byte) (*ReshareProof, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("reshare proof: %s", fmt.Sprintf(format, args...))
	}
	if len(data) > MaxReshareProofSize {
		return nil, bad("%d bytes, more than %d", len(data), MaxReshareProofSize)
	}
	rec, err := textrec.Parse(data, ReshareProofMagic)
	if err != nil {
		return nil, bad("%v", err)
	}
	r := rec.Reader()
	pb := r.Base64("plan")
	attester := r.IntIn("attester", 1, envelope.MaxParty)
	var confs [][]byte
	for r.Err() == nil && r.Peek() == "confirmation" {
		confs = append(confs, r.Base64("confirmation"))
	}
	sf := r.Field("signature")
	var sig []byte
	if r.Err() == nil {
		sig = r.ParseHex(sf, ed25519.SignatureSize)
	}
	if err := r.Done(); err != nil {
		return nil, bad("%v", err)
	}
	p, err := plan.Parse(pb)
	if err != nil {
		return nil, bad("plan: %v", err)
	}
	if p.Protocol != plan.Reshare {
		return nil, bad("the plan is a %s, not a reshare", p.Protocol)
	}
	roster := p.Roster()
	if attester > len(p.Old) {
		return nil, bad("attester slot %d is not in the old committee (slots 1..%d)", attester, len(p.Old))
	}
	pr := &ReshareProof{Plan: p, Attester: attester, Card: roster[attester-1], Confirmations: map[int]*envelope.Envelope{},
		NewCommittee: p.Session, signed: data[:sf.Offset], signature: sig}
	if !ed25519.Verify(pr.Card.SigningKey, append([]byte(proofSignatureDomain), pr.signed...), sig) {
		return nil, bad("not signed by %s (old member %d, card %s)", pr.Card.Name, attester, pr.Card.FingerprintWords())
	}
	ph, err := phases(p.Curve, plan.Reshare, RoleNew)
	if err != nil {
		return nil, err
	}
	round := ph[len(ph)-1].Round + 1
	flow := flowName(p.Curve, plan.Reshare)
	want := keyDigest(p.Key.PublicKey, p.Key.ChainCode)
	prev := 0
	for i, inner := range confs {
		e, err := envelope.ParseInner(inner)
		if err != nil {
			return nil, bad("confirmation %d: %v", i+1, err)
		}
		switch {
		case e.From < 1 || e.From > len(roster) || e.From == attester:
			return nil, bad("confirmation %d: from slot %d, not another party of the plan", i+1, e.From)
		case pr.Confirmations[e.From] != nil:
			return nil, bad("confirmation %d: party %d confirmed twice", i+1, e.From)
		case e.From < prev:
			return nil, bad("confirmations not sorted by sender")
		}
		prev = e.From
		if err := e.Verify(roster[e.From-1]); err != nil {
			return nil, bad("confirmation %d: %v", i+1, err)
		}
		if e.Session != p.Session || e.Protocol != flow || e.Round != round || e.To != envelope.ToAll {
			return nil, bad("confirmation %d from %s is not a confirmation of this reshare", i+1, roster[e.From-1].Name)
		}
		d, _, err := parseConfirmation(e.Payload)
		if err != nil {
			return nil, bad("confirmation %d: %v", i+1, err)
		}
		if d != want {
			return nil, bad("%s (party %d) confirmed another key", roster[e.From-1].Name, e.From)
		}
		pr.Confirmations[e.From] = e
	}
	for slot := len(p.Old) + 1; slot <= len(roster); slot++ {
		if pr.Confirmations[slot] == nil {
			return nil, bad("no confirmation from new member %s (party %d)", roster[slot-1].Name, slot)
		}
	}
	return pr, nil
}

// LoadReshareProof reads (with its size limit) and parses a proof file.
func LoadReshareProof(path string) (*ReshareProof, error) {
	data, err := boundedio.ReadFile(path, MaxReshareProofSize)
	if err != nil {
		return nil, err
	}
	pr, err := ParseReshareProof(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pr, nil
}

// RetireCheck is what CheckRetire proved, for the officer to read.
type RetireCheck struct {
	// Plan is the reshare that replaced the share's committee.
	Plan *plan.Plan
	// NewCommittee is the session of the committee holding the key now.
	NewCommittee string
	// Statement is the retire statement the new committee signed.
	Statement string
}

// CheckRetire decides whether the old share may be destroyed by the
// officer with identity id: proof must be a reshare proof signed by id as
// an old member of this share's committee, for the share's key, with every
// new member's signed confirmation of the key; sig must be a valid
// signature under the key of RetireStatement(key, the share's committee,
// the proof's new committee). newPub, if given, must be the new committee's
// public.json. Nothing unsigned is trusted.
func CheckRetire(old *keyshare.Share, id *identity.Identity, proof *ReshareProof, sig *SignatureFile, newPub *keyshare.Public) (*RetireCheck, error) {
	no := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrRetire, fmt.Sprintf(format, args...))
	}
	p := proof.Plan
	me := id.Card()
	if !proof.Card.Equal(me) {
		return nil, no("the reshare proof was signed by %s (card %s), not by you (%s, card %s); give the proof from your own reshare work dir", proof.Card.Name, proof.Card.FingerprintWords(), me.Name, me.FingerprintWords())
	}
	switch {
	case hex.EncodeToString(p.Key.ID[:]) != old.KeyID || hex.EncodeToString(p.Key.PublicKey) != old.PublicKey || p.Curve != old.Curve:
		return nil, no("the reshare was of key %x, the share is of key %s", p.Key.ID, old.KeyID)
	case hex.EncodeToString(p.Key.Session[:]) != old.Session:
		return nil, no("the reshare replaced committee %x, the share belongs to committee %s", p.Key.Session[:8], short(old.Session))
	case p.Key.Threshold != old.Threshold || len(p.Key.Parties) != old.Parties:
		return nil, no("the reshare describes the key as %d-of-%d, the share is %d-of-%d", p.Key.Threshold, len(p.Key.Parties), old.Threshold, old.Parties)
	}
	kp, ok := p.KeyParty(me.Fingerprint())
	if !ok || kp.Index != old.Index || hex.EncodeToString(kp.Card[:]) != old.Card {
		return nil, no("the share is party %d's, which is not you in the reshare plan", old.Index)
	}
	newS := hex.EncodeToString(proof.NewCommittee[:])
	if newPub != nil {
		if err := newPub.Validate(); err != nil {
			return nil, err
		}
		if newPub.KeyID != old.KeyID || newPub.PublicKey != old.PublicKey || newPub.Session != newS {
			return nil, no("the public key file is not the new committee's (key %s session %s; the reshare made committee %s)", newPub.KeyID, short(newPub.Session), short(newS))
		}
	}
	statement := RetireStatement(old.KeyID, old.Session, newS)
	// Honest software signs a retire statement with the key itself, never
	// with a child key (checkRetireItem), so a signature that names a path
	// is no signature of the statement, whatever it verifies under.
	if sig.Path != "" || sig.ChildPublicKey != "" {
		return nil, no("the test signature claims to be by the child key at %q, but a retire statement is signed by the key itself, never by a child key; the new committee must sign the statement without --path", sig.Path)
	}
	if sig.Curve != old.Curve || sig.PublicKey != old.PublicKey || sig.KeyID != old.KeyID {
		return nil, no("the test signature is by key %s, not by key %s", sig.KeyID, old.KeyID)
	}
	// Verified under the share's own public key, never the file's.
	sharePub, err := hex.DecodeString(old.PublicKey)
	if err != nil {
		return nil, no("the share's public key is not hex")
	}
	if err := sig.verifyUnder(old.Curve, sharePub, nil); err != nil {
		return nil, no("the test signature does not verify under the key: %v", err)
	}
	if sig.Payload.Text != statement || (sig.Payload.Kind != string(plan.PayloadMessage) && sig.Payload.Kind != string(plan.PayloadEIP191)) {
		return nil, no("the test signature does not sign the retire statement for this share's committee and the new committee; the new committee must sign %q", statement)
	}
	return &RetireCheck{Plan: p, NewCommittee: newS, Statement: statement}, nil
}

func short(hexs string) string {
	if len(hexs) > 16 {
		return hexs[:16]
	}
	return hexs
}
