// Package tssparty adapts tss-lib v2.0.2 parties to a ceremony that runs one
// protocol step per process invocation: it builds a LocalParty for each of
// the six flows, feeds it inbound wire messages, drains what it produced,
// and snapshots it to bytes between steps so that a later invocation, in a
// fresh process, can restore an equivalent party and continue.
//
// Everything tss-lib specific about the snapshot lives here: which types
// may appear behind interfaces (the unexported round types, found by
// walking FirstRound().NextRound() of throwaway parties), how curves are
// re-attached, and the checks that a restored party is wired correctly.
// The engine itself (internal/snapshot) is generic.
//
// A snapshot holds every secret of the party (Paillier key, x_i, the shares
// sent to peers, signing nonces). It must only ever be stored encrypted, and
// used once: see docs/state-engine.md.
package tssparty

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"unsafe"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsaresharing "github.com/bnb-chain/tss-lib/v2/eddsa/resharing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/internal/snapshot"
)

// Flow names one of the six tss-lib protocols.
type Flow int

const (
	ECDSAKeygen Flow = iota + 1
	ECDSASign
	ECDSAReshare
	EdDSAKeygen
	EdDSASign
	EdDSAReshare
)

func (f Flow) String() string {
	switch f {
	case ECDSAKeygen:
		return "ecdsa-keygen"
	case ECDSASign:
		return "ecdsa-sign"
	case ECDSAReshare:
		return "ecdsa-reshare"
	case EdDSAKeygen:
		return "eddsa-keygen"
	case EdDSASign:
		return "eddsa-sign"
	case EdDSAReshare:
		return "eddsa-reshare"
	}
	return fmt.Sprintf("flow(%d)", int(f))
}

func (f Flow) ecdsa() bool { return f == ECDSAKeygen || f == ECDSASign || f == ECDSAReshare }

// Party is one tss-lib party with the channels it writes to. Exactly one
// of ECDSAKey, EdDSAKey and Sig is set, matching Flow. The whole struct is
// what a snapshot stores; restoring it gives back a party whose internal
// out and end channels are these very channels.
type Party struct {
	Flow Flow
	P    tss.Party
	// Out receives the messages the party sends. Rounds send on it
	// synchronously, so it is buffered for every message the rest of the
	// protocol can produce; Feed and Drain empty it.
	Out chan tss.Message
	// ECDSAKey receives the result of ECDSA keygen and resharing. In a
	// reshare, old-committee members receive a save data with Xi == nil
	// (they hold no share of the new key).
	ECDSAKey chan *ecdsakeygen.LocalPartySaveData
	// EdDSAKey is ECDSAKey for EdDSA.
	EdDSAKey chan *eddsakeygen.LocalPartySaveData
	// Sig receives the signature of a signing flow.
	Sig chan *common.SignatureData

	// params is the parameters object the LocalParty uses (the same
	// pointer); newParties is the new committee of a reshare.
	params     *tss.Parameters
	newParties *tss.PeerContext
}

// ErrParams is wrapped by every constructor error.
var ErrParams = errors.New("invalid party parameters")

func paramErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrParams, fmt.Sprintf(format, args...))
}

// checkParams refuses parameter objects a ceremony must never use.
func checkParams(p *tss.Parameters, ecdsa bool) error {
	if err := checkCommon(p, ecdsa); err != nil {
		return err
	}
	if findKey(p.Parties().IDs(), p.PartyID().Key) == nil {
		return paramErr("party %s is not in its committee", p.PartyID())
	}
	return checkThreshold(p.Threshold(), len(p.Parties().IDs()))
}

func checkThreshold(t, n int) error {
	if t < 1 || t >= n {
		return paramErr("threshold t=%d out of range for %d parties (tss-lib t: t+1 signers)", t, n)
	}
	return nil
}

// checkCommon checks what every flow needs, committees aside.
func checkCommon(p *tss.Parameters, ecdsa bool) error {
	if p == nil || p.PartyID() == nil || p.Parties() == nil {
		return paramErr("missing parameters, party ID or peer context")
	}
	if p.NoProofMod() || p.NoProofFac() {
		return paramErr("proofs are disabled (SetNoProofMod/SetNoProofFac); coldsig never runs without them")
	}
	if p.Rand() != rand.Reader || p.PartialKeyRand() != rand.Reader {
		return paramErr("the random source must be crypto/rand.Reader")
	}
	want := tss.Ed25519
	if ecdsa {
		want = tss.Secp256k1
	}
	if n, ok := curveName(p.EC()); !ok || n != want {
		return paramErr("curve must be %s", want)
	}
	if !p.PartyID().ValidateBasic() {
		return paramErr("invalid party ID")
	}
	return nil
}

func findKey(ids tss.SortedPartyIDs, key []byte) *tss.PartyID {
	for _, id := range ids {
		if bytes.Equal(id.Key, key) {
			return id
		}
	}
	return nil
}

// outCap bounds what one call into the party can send: every round sends
// at most one message per party plus one broadcast, and one inbound message
// can complete several rounds at once when later-round messages were
// stored early. A full channel would deadlock the round.
func outCap(parties int) int { return 16 * (parties + 2) }

func newParty(f Flow, params *tss.Parameters, parties int) *Party {
	p := &Party{Flow: f, Out: make(chan tss.Message, outCap(parties)), params: params}
	switch f {
	case ECDSAKeygen, ECDSAReshare:
		p.ECDSAKey = make(chan *ecdsakeygen.LocalPartySaveData, 1)
	case EdDSAKeygen, EdDSAReshare:
		p.EdDSAKey = make(chan *eddsakeygen.LocalPartySaveData, 1)
	default:
		p.Sig = make(chan *common.SignatureData, 1)
	}
	return p
}

// build runs a tss-lib constructor, turning its panics (it panics on bad
// pre-parameters or on a signer missing from the key) into errors.
func build(f func() tss.Party) (p tss.Party, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = paramErr("tss-lib refused the party: %v", r)
		}
	}()
	return f(), nil
}

// NewECDSAKeygen builds an ECDSA keygen party. pre must be complete
// pre-parameters: generating safe primes inside a ceremony step is refused.
// params.Threshold() is tss-lib's t (t+1 signers).
func NewECDSAKeygen(params *tss.Parameters, pre ecdsakeygen.LocalPreParams) (*Party, error) {
	if err := checkParams(params, true); err != nil {
		return nil, err
	}
	if !pre.ValidateWithProof() {
		return nil, paramErr("ECDSA keygen needs complete pre-parameters")
	}
	pre, err := CopyPreParams(pre)
	if err != nil {
		return nil, err
	}
	p := newParty(ECDSAKeygen, params, len(params.Parties().IDs()))
	p.P, err = build(func() tss.Party { return ecdsakeygen.NewLocalParty(params, p.Out, p.ECDSAKey, pre) })
	return p, err
}

// NewEdDSAKeygen builds an EdDSA keygen party.
func NewEdDSAKeygen(params *tss.Parameters) (*Party, error) {
	if err := checkParams(params, false); err != nil {
		return nil, err
	}
	p := newParty(EdDSAKeygen, params, len(params.Parties().IDs()))
	var err error
	p.P, err = build(func() tss.Party { return eddsakeygen.NewLocalParty(params, p.Out, p.EdDSAKey) })
	return p, err
}

// checkOwnShare refuses a key whose share is not this party's: tss-lib
// takes the evaluation point from the party's own key in the committee and
// the secret from key.Xi, and never compares the two, so a party listed
// under another holder's key would run the protocol with x_i at the wrong
// point (a wrong Lagrange coefficient) and its peers would be blamed for
// the failure that follows.
func checkOwnShare(params *tss.Parameters, shareID *big.Int) error {
	if shareID == nil || shareID.Cmp(params.PartyID().KeyInt()) != 0 {
		return paramErr("party %s is not the holder of this key share (the share's party key differs)", params.PartyID())
	}
	return nil
}

func checkSigners(params *tss.Parameters, ks []*big.Int) error {
	for _, id := range params.Parties().IDs() {
		found := false
		for _, k := range ks {
			if k != nil && k.Cmp(id.KeyInt()) == 0 {
				found = true
			}
		}
		if !found {
			return paramErr("signer %s holds no share of this key", id)
		}
	}
	return nil
}

// checkSign is what both signing constructors refuse: unsafe parameters,
// a message that does not fit its stated length, a signer without a share,
// and a key that is another holder's share.
func checkSign(params *tss.Parameters, ecdsa bool, msg *big.Int, fullBytesLen int, ks []*big.Int, shareID *big.Int) error {
	if err := checkParams(params, ecdsa); err != nil {
		return err
	}
	if msg == nil || msg.Sign() < 0 || fullBytesLen < 1 || msg.BitLen() > 8*fullBytesLen {
		return paramErr("message must be a non-negative integer of at most %d bytes", fullBytesLen)
	}
	if err := checkSigners(params, ks); err != nil {
		return err
	}
	return checkOwnShare(params, shareID)
}

// NewECDSASign builds an ECDSA signing party over the signers in
// params.Parties(). msg is the digest as an integer and fullBytesLen its
// length in bytes, so that leading zero bytes are kept. The key is deep
// copied: the party never shares memory with the caller's key.
func NewECDSASign(msg *big.Int, params *tss.Parameters, key ecdsakeygen.LocalPartySaveData, fullBytesLen int) (*Party, error) {
	return NewECDSASignDerived(msg, params, key, fullBytesLen, nil, nil)
}

// NewECDSASignDerived builds an ECDSA signing party that signs with a
// BIP32 non-hardened child of the key: the child's private key is the
// key's plus delta, so the child's Shamir shares are x_j + delta and its
// public shares X_j + delta·G. The copy of the key gets the child public
// key and the shifted public shares (tss-lib's
// UpdatePublicKeyAndAdjustBigXj), and tss-lib adds delta to x_i when the
// party starts (signing.NewLocalPartyWithKDD). child must be the key plus
// delta·G; it is checked, and so is this party's own shifted share
// ((x_i + delta)·G = X_i + delta·G), so a wrong tweak fails here and not
// as a signature that does not verify, blaming a peer. With delta nil or
// zero it is NewECDSASign.
func NewECDSASignDerived(msg *big.Int, params *tss.Parameters, key ecdsakeygen.LocalPartySaveData, fullBytesLen int, delta *big.Int, child *ecdsa.PublicKey) (*Party, error) {
	if err := checkSign(params, true, msg, fullBytesLen, key.Ks, key.ShareID); err != nil {
		return nil, err
	}
	key, err := CopyECDSAKey(key)
	if err != nil {
		return nil, err
	}
	if delta != nil && delta.Sign() == 0 {
		delta = nil
	}
	if delta != nil {
		if err := deriveKey(&key, delta, child); err != nil {
			return nil, err
		}
		delta = new(big.Int).Set(delta)
	} else if child != nil {
		return nil, paramErr("a child public key without a derivation tweak")
	}
	m := new(big.Int).Set(msg)
	p := newParty(ECDSASign, params, len(params.Parties().IDs()))
	p.P, err = build(func() tss.Party {
		return ecdsasigning.NewLocalPartyWithKDD(m, params, key, delta, p.Out, p.Sig, fullBytesLen)
	})
	return p, err
}

// deriveKey shifts a (copied) key to its child by delta, after checking
// delta and child against the key.
func deriveKey(key *ecdsakeygen.LocalPartySaveData, delta *big.Int, child *ecdsa.PublicKey) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = paramErr("key derivation failed: %v", r)
		}
	}()
	ec := tss.S256()
	n := ec.Params().N
	if delta.Sign() < 0 || delta.Cmp(n) >= 0 {
		return paramErr("derivation tweak out of range")
	}
	if child == nil || key.ECDSAPub == nil || key.Xi == nil {
		return paramErr("derivation needs the key, its share and the child public key")
	}
	dG := crypto.ScalarBaseMult(ec, delta)
	want, err := key.ECDSAPub.Add(dG)
	if err != nil {
		return paramErr("derivation: %v", err)
	}
	if want.X().Cmp(child.X) != 0 || want.Y().Cmp(child.Y) != 0 {
		return paramErr("the child public key is not the key plus the derivation tweak")
	}
	keys := []ecdsakeygen.LocalPartySaveData{*key}
	if err := ecdsasigning.UpdatePublicKeyAndAdjustBigXj(delta, keys, child, ec); err != nil {
		return paramErr("derivation: %v", err)
	}
	*key = keys[0]
	own := -1
	for j, k := range key.Ks {
		if k != nil && key.ShareID != nil && k.Cmp(key.ShareID) == 0 {
			own = j
		}
	}
	if own < 0 || own >= len(key.BigXj) {
		return paramErr("derivation: the key lists no public share of its own")
	}
	xi := new(big.Int).Add(key.Xi, delta)
	xi.Mod(xi, n)
	got := crypto.ScalarBaseMult(ec, xi)
	if !got.Equals(key.BigXj[own]) {
		return paramErr("derivation: the shifted share does not match the shifted public share")
	}
	return nil
}

// NewEdDSASign is NewECDSASign for EdDSA; msg is the message itself.
func NewEdDSASign(msg *big.Int, params *tss.Parameters, key eddsakeygen.LocalPartySaveData, fullBytesLen int) (*Party, error) {
	if err := checkSign(params, false, msg, fullBytesLen, key.Ks, key.ShareID); err != nil {
		return nil, err
	}
	key, err := CopyEdDSAKey(key)
	if err != nil {
		return nil, err
	}
	m := new(big.Int).Set(msg)
	p := newParty(EdDSASign, params, len(params.Parties().IDs()))
	p.P, err = build(func() tss.Party { return eddsasigning.NewLocalParty(m, params, key, p.Out, p.Sig, fullBytesLen) })
	return p, err
}

func checkReshare(params *tss.ReSharingParameters, ecdsa bool) error {
	if params == nil || params.Parameters == nil || params.NewParties() == nil {
		return paramErr("missing resharing parameters")
	}
	if err := checkCommon(params.Parameters, ecdsa); err != nil {
		return err
	}
	old, nw := params.OldParties().IDs(), params.NewParties().IDs()
	if findKey(old, params.PartyID().Key) == nil && findKey(nw, params.PartyID().Key) == nil {
		return paramErr("party %s is in neither committee", params.PartyID())
	}
	// tss-lib #128: a party in both committees breaks the protocol;
	// continuing members must take part under a fresh party key.
	for _, id := range old {
		if findKey(nw, id.Key) != nil {
			return paramErr("party key of %s is in both the old and the new committee (tss-lib #128); continuing members need a fresh party key", id)
		}
	}
	if params.NewPartyCount() != len(nw) {
		return paramErr("new party count %d does not match the new committee of %d", params.NewPartyCount(), len(nw))
	}
	if err := checkThreshold(params.Threshold(), len(old)); err != nil {
		return err
	}
	return checkThreshold(params.NewThreshold(), len(nw))
}

// checkOldMember is what both reshare constructors refuse of an old
// member: no share, a committee it holds no share for, or another
// holder's share.
func checkOldMember(params *tss.ReSharingParameters, xi *big.Int, ks []*big.Int, shareID *big.Int) error {
	if xi == nil {
		return paramErr("an old-committee member needs its key share")
	}
	if err := checkSigners(params.Parameters, ks); err != nil {
		return err
	}
	return checkOwnShare(params.Parameters, shareID)
}

// NewECDSAReshare builds an ECDSA resharing party. An old-committee member
// passes its key share; a new-committee member passes
// ecdsakeygen.NewLocalPartySaveData(newCount) with LocalPreParams set. The
// key is deep copied, because resharing round 5 zeroes the old member's Xi
// through a pointer it would otherwise share with the caller.
func NewECDSAReshare(params *tss.ReSharingParameters, key ecdsakeygen.LocalPartySaveData) (*Party, error) {
	if err := checkReshare(params, true); err != nil {
		return nil, err
	}
	if params.IsOldCommittee() {
		if err := checkOldMember(params, key.Xi, key.Ks, key.ShareID); err != nil {
			return nil, err
		}
	} else if !key.LocalPreParams.ValidateWithProof() {
		return nil, paramErr("a new-committee member needs complete pre-parameters")
	}
	key, err := CopyECDSAKey(key)
	if err != nil {
		return nil, err
	}
	p := newParty(ECDSAReshare, params.Parameters, params.OldPartyCount()+params.NewPartyCount())
	p.newParties = params.NewParties()
	p.P, err = build(func() tss.Party { return ecdsaresharing.NewLocalParty(params, key, p.Out, p.ECDSAKey) })
	return p, err
}

// NewEdDSAReshare is NewECDSAReshare for EdDSA; a new-committee member
// passes eddsakeygen.NewLocalPartySaveData(newCount).
func NewEdDSAReshare(params *tss.ReSharingParameters, key eddsakeygen.LocalPartySaveData) (*Party, error) {
	if err := checkReshare(params, false); err != nil {
		return nil, err
	}
	if params.IsOldCommittee() {
		if err := checkOldMember(params, key.Xi, key.Ks, key.ShareID); err != nil {
			return nil, err
		}
	}
	key, err := CopyEdDSAKey(key)
	if err != nil {
		return nil, err
	}
	p := newParty(EdDSAReshare, params.Parameters, params.OldPartyCount()+params.NewPartyCount())
	p.newParties = params.NewParties()
	p.P, err = build(func() tss.Party { return eddsaresharing.NewLocalParty(params, key, p.Out, p.EdDSAKey) })
	return p, err
}

// ProtocolError is a *tss.Error from the party, with the culprits tss-lib
// named (possibly none).
type ProtocolError struct {
	Round    int
	Culprits []*tss.PartyID
	Err      *tss.Error
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("tss-lib round %d: %v (culprits %v)", e.Round, e.Err.Cause(), e.Culprits)
}

func (e *ProtocolError) Unwrap() error { return e.Err.Cause() }

func protoErr(err *tss.Error) error {
	return &ProtocolError{Round: err.Round(), Culprits: err.Culprits(), Err: err}
}

// Start runs round 1 and returns its messages.
func (p *Party) Start() ([]tss.Message, error) {
	if err := p.P.Start(); err != nil {
		return p.drainOut(), protoErr(err)
	}
	out, _ := p.Drain()
	return out, nil
}

// Inbound is one message for Feed.
type Inbound struct {
	// From names the sender; it is matched by Key against the party's
	// committees (its Index is ignored).
	From        *tss.PartyID
	Wire        []byte // as returned by tss.Message.WireBytes
	IsBroadcast bool
}

// sender resolves a sender to the PartyID object the party itself uses.
func (p *Party) sender(from *tss.PartyID) (*tss.PartyID, error) {
	if from == nil {
		return nil, errors.New("inbound message without sender")
	}
	id := findKey(p.params.Parties().IDs(), from.Key)
	if p.newParties != nil {
		if nid := findKey(p.newParties.IDs(), from.Key); nid != nil {
			if id != nil {
				return nil, fmt.Errorf("sender %s is in both committees", from)
			}
			id = nid
		}
	}
	if id == nil {
		return nil, fmt.Errorf("sender %s is not a party of this protocol", from)
	}
	return id, nil
}

// Feed delivers msgs in order, then returns what the party sent and its
// result (*ecdsakeygen.LocalPartySaveData, *eddsakeygen.LocalPartySaveData
// or *common.SignatureData) if it finished. A protocol failure is a
// *ProtocolError naming tss-lib's culprits.
func (p *Party) Feed(msgs []Inbound) (out []tss.Message, result any, err error) {
	for _, m := range msgs {
		from, err := p.sender(m.From)
		if err != nil {
			return p.drainOut(), nil, err
		}
		ok, terr := p.P.UpdateFromBytes(m.Wire, from, m.IsBroadcast)
		if terr != nil {
			return p.drainOut(), nil, protoErr(terr)
		}
		if !ok {
			return p.drainOut(), nil, fmt.Errorf("tss-lib did not accept the message from %s", from)
		}
	}
	out, result = p.Drain()
	return out, result, nil
}

func (p *Party) drainOut() []tss.Message {
	var out []tss.Message
	for {
		select {
		case m := <-p.Out:
			out = append(out, m)
		default:
			return out
		}
	}
}

// Drain empties Out and the result channel without blocking.
func (p *Party) Drain() (out []tss.Message, result any) {
	out = p.drainOut()
	select {
	case r := <-p.ECDSAKey:
		result = r
	case r := <-p.EdDSAKey:
		result = r
	case r := <-p.Sig:
		result = r
	default:
	}
	return out, result
}

// Snapshot serialises the party. It must be called between steps (no call
// into the party running) with Out and the result channel drained.
func (p *Party) Snapshot() ([]byte, error) { return encode(p) }

// checked is what a snapshot holds: a Party or a Batch, checked before it
// is written and after it is read.
type checked interface{ check() error }

func encode(v checked) ([]byte, error) {
	s, err := partySchema()
	if err != nil {
		return nil, err
	}
	if err := v.check(); err != nil {
		return nil, err
	}
	return s.Encode(v)
}

// decode restores a snapshot of a T (what, "party" or "batch", names it
// in errors).
func decode[T checked](data []byte, what string) (T, error) {
	var zero T
	s, err := partySchema()
	if err != nil {
		return zero, err
	}
	v, err := s.Decode(data)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%w: snapshot holds %T, not a %s", snapshot.ErrCorrupt, v, what)
	}
	if err := t.check(); err != nil {
		return zero, fmt.Errorf("%w: restored %s is inconsistent: %v", snapshot.ErrCorrupt, what, err)
	}
	return t, nil
}

// Batch is the parties of one state: one per item of a signing (a batch
// of N signatures is N tss-lib parties stepped together), one for every
// other flow. It is what the engine snapshots.
type Batch struct {
	Parties []*Party
}

// SnapshotBatch serialises parties (all of one flow) as one snapshot:
// shared types, curves and the random source are written once.
func SnapshotBatch(parties []*Party) ([]byte, error) {
	return encode(&Batch{Parties: parties})
}

// RestoreBatch rebuilds the parties of a SnapshotBatch.
func RestoreBatch(data []byte) ([]*Party, error) {
	b, err := decode[*Batch](data, "batch")
	if err != nil {
		return nil, err
	}
	return b.Parties, nil
}

func (b *Batch) check() error {
	if len(b.Parties) == 0 {
		return errors.New("a batch holds at least one party")
	}
	for i, p := range b.Parties {
		if p == nil {
			return fmt.Errorf("party %d is missing", i+1)
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("party %d: %w", i+1, err)
		}
		if p.Flow != b.Parties[0].Flow {
			return fmt.Errorf("party %d runs %v, party 1 %v", i+1, p.Flow, b.Parties[0].Flow)
		}
	}
	return nil
}

// Restore rebuilds a party from Snapshot bytes. A snapshot written by a
// build with different type layouts fails with an error matching
// snapshot.ErrSchemaMismatch.
func Restore(data []byte) (*Party, error) { return decode[*Party](data, "party") }

// SchemaFingerprint identifies the type layouts this build snapshots.
func SchemaFingerprint() [32]byte {
	s, err := partySchema()
	if err != nil {
		return [32]byte{}
	}
	return s.Fingerprint()
}

// SchemaLayout is the text SchemaFingerprint hashes (kept as a golden file).
func SchemaLayout() (string, error) {
	s, err := partySchema()
	if err != nil {
		return "", err
	}
	return s.Layout(), nil
}

// Compare reports the first difference in values or pointer sharing
// between two parties; it is the oracle of the restore tests.
func Compare(a, b *Party) error {
	s, err := partySchema()
	if err != nil {
		return err
	}
	return s.Compare(a, b)
}

// check verifies the wiring a snapshot relies on: the party is of the
// flow's type and writes to exactly this Party's channels.
func (p *Party) check() error {
	want := map[Flow]reflect.Type{
		ECDSAKeygen:  reflect.TypeOf(&ecdsakeygen.LocalParty{}),
		ECDSASign:    reflect.TypeOf(&ecdsasigning.LocalParty{}),
		ECDSAReshare: reflect.TypeOf(&ecdsaresharing.LocalParty{}),
		EdDSAKeygen:  reflect.TypeOf(&eddsakeygen.LocalParty{}),
		EdDSASign:    reflect.TypeOf(&eddsasigning.LocalParty{}),
		EdDSAReshare: reflect.TypeOf(&eddsaresharing.LocalParty{}),
	}[p.Flow]
	if want == nil || p.P == nil || reflect.TypeOf(p.P) != want {
		return fmt.Errorf("party of type %T does not match flow %v", p.P, p.Flow)
	}
	if p.Out == nil || cap(p.Out) == 0 || p.params == nil {
		return errors.New("party has no buffered out channel or no parameters")
	}
	var end reflect.Value
	n := 0
	if p.ECDSAKey != nil {
		end, n = reflect.ValueOf(p.ECDSAKey), n+1
	}
	if p.EdDSAKey != nil {
		end, n = reflect.ValueOf(p.EdDSAKey), n+1
	}
	if p.Sig != nil {
		end, n = reflect.ValueOf(p.Sig), n+1
	}
	if n != 1 || end.Cap() == 0 {
		return errors.New("party needs exactly one buffered result channel")
	}
	lp := reflect.ValueOf(p.P).Elem()
	if lp.FieldByName("out").UnsafePointer() != reflect.ValueOf(p.Out).UnsafePointer() ||
		lp.FieldByName("end").UnsafePointer() != end.UnsafePointer() {
		return errors.New("party does not write to its own channels")
	}
	params := lp.FieldByName("params")
	if params.Type() == reflect.TypeOf((*tss.ReSharingParameters)(nil)) {
		if params.IsNil() {
			return errors.New("party has no parameters")
		}
		params = params.Elem().FieldByName("Parameters")
	}
	if params.UnsafePointer() != unsafe.Pointer(p.params) {
		return errors.New("party parameters are not the adapter's")
	}
	return nil
}

func curveName(c elliptic.Curve) (tss.CurveName, bool) {
	if c == nil {
		return "", false
	}
	for _, n := range []tss.CurveName{tss.Secp256k1, tss.Ed25519} {
		reg, ok := tss.GetCurveByName(n)
		if !ok || reflect.TypeOf(reg) != reflect.TypeOf(c) {
			continue
		}
		a, b := reg.Params(), c.Params()
		if a.Name == b.Name && a.BitSize == b.BitSize && a.P.Cmp(b.P) == 0 && a.N.Cmp(b.N) == 0 &&
			a.B.Cmp(b.B) == 0 && a.Gx.Cmp(b.Gx) == 0 && a.Gy.Cmp(b.Gy) == 0 {
			return n, true
		}
	}
	return "", false
}
