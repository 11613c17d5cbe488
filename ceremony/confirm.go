package ceremony

import (
	"bytes"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"time"

	"filippo.io/age"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// confirmMagic starts the payload of a confirmation envelope.
const confirmMagic = "coldsig/confirm/v1"

// pending stores tss-lib's result in the state, unreleased, and the digest
// of its public part that every party must confirm.
func (s *session) pending(st *partyState, res *tssResult) error {
	var err error
	switch {
	case res.sigs != nil:
		// One R||S per item, in item order; the confirmed digest covers
		// all of them, so one differing signature stops the whole batch.
		if len(res.sigs) != len(s.plan.Items) {
			return fmt.Errorf("tss-lib returned %d signatures for %d items", len(res.sigs), len(s.plan.Items))
		}
		st.Result = nil
		for i, sig := range res.sigs {
			// tss-lib gives R and S as minimal big-endian integers (EdDSA
			// R and S lose leading zero bytes, about one in 128).
			r, sv := pad32(sig.R), pad32(sig.S)
			if r == nil || sv == nil {
				return fmt.Errorf("tss-lib returned a malformed signature for item %d", i+1)
			}
			// Build (and independently verify) every signature now, so a
			// bad one is caught before anyone confirms.
			if _, err := buildSignature(s.plan, i, r, sv, s.plan.Session, [32]byte{}); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
			st.Result = append(append(st.Result, r...), sv...)
		}
		// A transaction is completed (and its scripts or sender checked)
		// now too, so an output that could not be written stops the
		// ceremony before anyone confirms.
		if _, err := txOutputs(s.plan, st.Result); err != nil {
			return err
		}
		st.ResultDigest = sha256.Sum256(st.Result)
		return nil
	case res.ecdsaKey != nil:
		var pub, cc []byte
		if s.role != RoleOld {
			reduceShare(res.ecdsaKey.Xi, tss.S256())
			if pub, err = keyshare.PublicFromECDSA(res.ecdsaKey); err != nil {
				return err
			}
			if cc, err = s.chainCode(res.ecdsaKey); err != nil {
				return err
			}
			if st.Result, err = json.Marshal(res.ecdsaKey); err != nil {
				return err
			}
		}
		return s.setKeyDigest(st, pub, cc)
	case res.eddsaKey != nil:
		var pub []byte
		if s.role != RoleOld {
			reduceShare(res.eddsaKey.Xi, tss.Edwards())
			if pub, err = keyshare.PublicFromEdDSA(res.eddsaKey); err != nil {
				return err
			}
			if st.Result, err = json.Marshal(res.eddsaKey); err != nil {
				return err
			}
		}
		return s.setKeyDigest(st, pub, nil)
	}
	return errors.New("tss-lib finished without a result")
}

// pad32 left-pads a big-endian integer to 32 bytes (nil if longer).
func pad32(b []byte) []byte {
	if len(b) > 32 {
		return nil
	}
	return append(make([]byte, 32-len(b)), b...)
}

// reduceShare makes a reshared secret share canonical. tss-lib's reshare
// sums the old members' sub-shares without reducing (round 4), so x_i can
// exceed the group order; x_i mod q is the same share (tss-lib's signing
// reduces it anyway), and the share file stores canonical scalars only.
func reduceShare(x *big.Int, curve elliptic.Curve) {
	if x != nil {
		x.Mod(x, curve.Params().N)
	}
}

// chainCode is the BIP32 chain code of a secp256k1 key this ceremony
// releases: a keygen fixes it from the committee's public shares
// (keyshare.KeygenChainCode), a reshare keeps the key's (nil for a key
// without one).
func (s *session) chainCode(d *ecdsakeygen.LocalPartySaveData) ([]byte, error) {
	if s.plan.Protocol == plan.Reshare {
		if s.plan.Key.ChainCode == nil {
			return nil, nil
		}
		return append([]byte(nil), s.plan.Key.ChainCode...), nil
	}
	return keyshare.KeygenChainCode(d)
}

// setKeyDigest records the public key (and chain code) every party must
// confirm. Old members of a reshare hold no new share; they confirm the
// key they started from, and a new committee reporting another key is
// caught. With a chain code the digest covers it too, so all parties
// release the same xpub.
func (s *session) setKeyDigest(st *partyState, pub, cc []byte) error {
	if s.plan.Protocol == plan.Reshare {
		if s.role == RoleOld {
			pub = s.plan.Key.PublicKey
			cc = s.plan.Key.ChainCode
		} else if !bytes.Equal(pub, s.plan.Key.PublicKey) {
			return fmt.Errorf("resharing produced public key %x, not the key's %x", pub, s.plan.Key.PublicKey)
		}
	}
	st.ResultDigest = keyDigest(pub, cc)
	return nil
}

// keyDigest is the result digest of a keygen or reshare: SHA-256 of the
// public key, followed by the chain code of an HD key.
func keyDigest(pub, chainCode []byte) [32]byte {
	return sha256.Sum256(append(append([]byte(nil), pub...), chainCode...))
}

// confirmation is this party's confirmation envelope: the digest of its
// result's public part and its full view of the broadcasts, to everyone.
func (s *session) confirmation(st *partyState) (outFile, error) {
	w := textrec.NewWriter(confirmMagic)
	w.Hex("result", st.ResultDigest[:])
	if len(st.View) > 0 {
		w.String("view", encodeView(st.View))
	}
	payload, err := w.Bytes()
	if err != nil {
		return outFile{}, err
	}
	var rcpts []age.Recipient
	for _, slot := range s.roster.committee(FromAll, s.me) {
		rcpts = append(rcpts, s.roster.cards[slot-1].Recipient)
	}
	return s.sealOne(st, s.confirmRound(), envelope.ToAll, [32]byte{}, payload, rcpts)
}

func parseConfirmation(data []byte) ([32]byte, View, error) {
	var d [32]byte
	rec, err := textrec.Parse(data, confirmMagic)
	if err != nil {
		return d, nil, err
	}
	r := rec.Reader()
	copy(d[:], r.Hex("result", 32))
	var v View
	if r.Peek() == "view" {
		f := r.Field("view")
		if v, err = parseView(f.Value); err != nil {
			r.Fail(f, "view: %v", err)
		}
	}
	return d, v, r.Done()
}

// confirm is the last step: every party's confirmation must be present and
// agree on the result and on every broadcast. Only then is the result
// released and the state destroyed.
func (s *session) confirm(store *statestore.Store, st *partyState, inbox []string, log *Log) (*Report, error) {
	round := s.confirmRound()
	envs, err := s.collect(inbox, round, st, store)
	if err != nil {
		return nil, err
	}
	have := map[int]*envelope.Envelope{}
	for _, e := range envs {
		if e.Header.To != envelope.ToAll {
			return nil, s.abortOn(store, &culpritError{slot: e.Header.From, reason: "sent a confirmation to one party only"})
		}
		have[e.Header.From] = e
	}
	var missing []int
	for _, slot := range s.roster.committee(FromAll, s.me) {
		if have[slot] == nil {
			missing = append(missing, slot)
		}
	}
	if len(missing) > 0 {
		if err := s.reemit(store, st); err != nil {
			return nil, err
		}
		we := &WaitingError{Round: 0}
		for _, slot := range missing {
			we.Missing = append(we.Missing, s.party(slot))
		}
		return nil, we
	}
	views := map[int]View{s.me: st.View}
	digests := map[int][32]byte{}
	for slot, e := range have {
		d, v, err := parseConfirmation(e.Payload)
		if err != nil {
			return nil, s.abortOn(store, &culpritError{slot: slot, reason: "sent a malformed confirmation: " + err.Error()})
		}
		views[slot], digests[slot] = v, d
	}
	// Views first: an equivocating broadcast makes honest results differ,
	// and the result comparison must not blame the honest party whose
	// result differs. A view is a party's own unsigned claim, so a
	// disagreement names suspects, never a culprit: either the sender sent
	// different broadcasts, or the other party misreports what it got.
	union, err := MergeViews(views)
	if err != nil {
		var eq *EquivocationError
		if errors.As(err, &eq) {
			return nil, s.abortOn(store, &failure{reason: fmt.Sprintf(
				"broadcast views disagree about %s's round-%d broadcast (%s reports another one): either %s equivocated or %s misreports; keep every envelope of the session as evidence",
				s.party(eq.Sender), eq.Round/10, s.party(eq.Witness), s.party(eq.Sender).Name, s.party(eq.Witness).Name)})
		}
		return nil, err
	}
	for slot, d := range digests {
		if d != st.ResultDigest {
			return nil, s.abortOn(store, &failure{reason: fmt.Sprintf("%s reports a different result than ours (public key or signature differs) although all broadcasts agree", s.party(slot))})
		}
	}
	transcript := TranscriptDigest(s.plan.Session, s.planFP, union)
	log.Append(logTime(time.Now()))
	for _, e := range envs {
		log.Append(fmt.Sprintf("accepted confirmation from party %d digest %x", e.Header.From, e.Digest))
	}
	log.Append(fmt.Sprintf("transcript %x", transcript))
	files, err := s.results(st, transcript, log.Head())
	if err != nil {
		return nil, err
	}
	if s.plan.Protocol == plan.Reshare && s.role == RoleOld {
		// The old member's evidence for retiring its old share later.
		proof, err := s.reshareProof(envs)
		if err != nil {
			return nil, err
		}
		files = append(files, statestore.File{Name: ReshareProofFile, Data: proof})
	}
	// The pending result holds the key share in the clear: wiped however
	// Finish ends (a failed one leaves it in the committed state, sealed).
	defer clear(st.Result)
	if err := store.Finish(files); err != nil {
		// Result files may be in place already: not "nothing changed".
		// Running step again completes the end (the files are reused).
		return nil, afterCommit(store.Step(), err)
	}
	// Finished: the results and the end are recorded, and the officer must
	// see the transcript; a log that cannot be written is a warning.
	if err := s.writeMeta(log, st.Phase); err != nil {
		s.obs.emit(Event{Kind: EventWarning, Detail: fmt.Sprintf("the ceremony finished, but the log could not be written: %v", err)})
	}
	rep := s.report(store, nil, false)
	rep.Finished = true
	rep.Transcript = transcript
	byName := map[string][]byte{}
	for _, f := range files {
		rep.Results = append(rep.Results, filepath.Join(s.dir, "result", f.Name))
		byName[f.Name] = f.Data
	}
	// The result is committed: a description that cannot be made is a
	// warning, never a failed step.
	if rep.Result, err = resultFromFiles(s.plan, byName); err != nil {
		s.obs.emit(Event{Kind: EventWarning, Detail: "cannot describe the result: " + err.Error()})
	}
	return rep, nil
}

// results builds the files released when the ceremony is confirmed.
func (s *session) results(st *partyState, transcript, logHead [32]byte) ([]statestore.File, error) {
	p := s.plan
	var files []statestore.File
	receipt := textrec.NewWriter(receiptMagic)
	receipt.Hex("session", p.Session[:])
	receipt.Hex("plan", s.planFP[:])
	receipt.Hex("transcript", transcript[:])
	receipt.String("transcript-words", identity.DigestWords(transcript))
	receipt.Hex("log-head", logHead[:])
	rb, err := receipt.Bytes()
	if err != nil {
		return nil, err
	}
	files = append(files, statestore.File{Name: "transcript.txt", Data: rb})

	if p.Protocol == plan.Sign {
		// Every item's signature is released in the same Finish, or none.
		n := len(p.Items)
		if len(st.Result) != 64*n {
			return nil, fmt.Errorf("the pending result holds %d bytes, want %d for %d signatures", len(st.Result), 64*n, n)
		}
		for i := 0; i < n; i++ {
			r := st.Result[64*i : 64*i+32]
			sv := st.Result[64*i+32 : 64*i+64]
			sf, err := buildSignature(p, i, r, sv, p.Session, transcript)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			b, err := sf.Marshal()
			if err != nil {
				return nil, err
			}
			files = append(files, statestore.File{Name: SignatureName(i, n), Data: b})
		}
		tx, err := txOutputs(p, st.Result)
		if err != nil {
			return nil, err
		}
		return append(files, tx...), nil
	}

	// keygen or reshare: public.json for the (new) committee.
	committee, ids := p.Parties, s.roster.old
	if p.Protocol == plan.Reshare {
		committee, ids = p.New, s.roster.new
	}
	var pubKey []byte
	if p.Protocol == plan.Reshare {
		pubKey = p.Key.PublicKey
	}
	var share *keyshare.Share
	var chainCode []byte
	if p.Protocol == plan.Reshare && p.Key.ChainCode != nil {
		chainCode = append([]byte(nil), p.Key.ChainCode...)
	}
	if len(st.Result) > 0 && p.Protocol != plan.Sign {
		share = &keyshare.Share{
			Curve: p.Curve, Session: hex.EncodeToString(p.Session[:]),
			Index: s.me - (len(s.roster.ids) - len(committee)), Name: s.id.Name,
			Card: s.id.Card().FingerprintHex(), Threshold: p.Threshold, Parties: len(committee),
		}
		switch p.Curve {
		case keyshare.CurveSecp256k1:
			var d ecdsakeygen.LocalPartySaveData
			if err := json.Unmarshal(st.Result, &d); err != nil {
				return nil, err
			}
			share.ECDSA = &d
			if chainCode, err = s.chainCode(&d); err != nil {
				return nil, err
			}
			share.ChainCode = chainCode
			pubKey, err = keyshare.PublicFromECDSA(&d)
		default:
			var d eddsakeygen.LocalPartySaveData
			if err := json.Unmarshal(st.Result, &d); err != nil {
				return nil, err
			}
			share.EdDSA = &d
			pubKey, err = keyshare.PublicFromEdDSA(&d)
		}
		if err != nil {
			return nil, err
		}
	}
	pub := &keyshare.Public{
		Format: keyshare.PublicFormat, Curve: p.Curve, Threshold: p.Threshold,
		PublicKey: hex.EncodeToString(pubKey), KeyID: keyshare.KeyID(p.Curve, pubKey),
		Session: hex.EncodeToString(p.Session[:]), Transcript: hex.EncodeToString(transcript[:]),
	}
	if p.Curve == keyshare.CurveSecp256k1 {
		if pub.EthAddress, err = keyshare.EthAddress(pubKey); err != nil {
			return nil, err
		}
		if err := pub.SetChainCode(chainCode); err != nil {
			return nil, err
		}
	}
	for i, c := range committee {
		pub.Parties = append(pub.Parties, keyshare.Party{
			Index: i + 1, Name: c.Name, Card: c.FingerprintHex(), ShareKey: hex.EncodeToString(ids[i].KeyInt().Bytes()),
		})
	}
	pb, err := pub.Marshal()
	if err != nil {
		return nil, err
	}
	files = append(files, statestore.File{Name: "public.json", Data: pb})
	if share != nil {
		share.KeyID, share.PublicKey = pub.KeyID, pub.PublicKey
		if err := share.Check(pub); err != nil {
			return nil, fmt.Errorf("refusing to release a share that does not match the key: %w", err)
		}
		sealed, err := s.sealedShare(share)
		if err != nil {
			return nil, err
		}
		files = append(files, statestore.File{Name: "share.age", Data: sealed})
	}
	return files, nil
}

// sealedShare encrypts the share for result/share.age. Age encryption is
// randomised, so if an earlier run crashed after writing share.age but
// before recording the end, the file already there is reused when it holds
// this very share; otherwise the result could never be written again.
func (s *session) sealedShare(share *keyshare.Share) ([]byte, error) {
	want, err := keyshare.MarshalShare(share)
	if err != nil {
		return nil, err
	}
	defer clear(want)
	if old, err := keyshare.ReadShareFile(filepath.Join(s.dir, "result", "share.age")); err == nil {
		if inner, err := keyshare.OpenInner(old, s.id.X25519); err == nil {
			same := bytes.Equal(inner, want)
			clear(inner)
			if same {
				return old, nil
			}
		}
	}
	return keyshare.SealShare(share, s.id.X25519.Recipient())
}
