package plan

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
)

// invalidErr is a validation error. Its text is the specific problem only;
// it matches ErrInvalid and its kind (ErrThreshold, ...) with errors.Is.
type invalidErr struct {
	msg   string
	kinds []error
}

func (e *invalidErr) Error() string   { return e.msg }
func (e *invalidErr) Unwrap() []error { return e.kinds }

func invalid(kind error, format string, args ...any) error {
	kinds := []error{ErrInvalid}
	if kind != nil {
		kinds = append(kinds, kind)
	}
	return &invalidErr{fmt.Sprintf(format, args...), kinds}
}

// fieldErr ties a validation error to the n-th (0-based) occurrence of a
// field, so that Parse can name the line. Its text stands alone for plans
// built in memory.
type fieldErr struct {
	key string
	n   int
	err error
}

func (e *fieldErr) Error() string { return e.err.Error() }
func (e *fieldErr) Unwrap() error { return e.err }

func ferr(key string, n int, kind error, format string, args ...any) error {
	return &fieldErr{key, n, invalid(kind, format, args...)}
}

// KeyID computes the key id of a public key the way public.json defines it.
func KeyID(curve string, pub []byte) [16]byte {
	h := sha256.New()
	h.Write([]byte("coldsig key id v1\x00"))
	h.Write([]byte(curve))
	h.Write([]byte{0})
	h.Write(pub)
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// Validate checks every invariant of the format (see docs/format.md).
func (p *Plan) Validate() error {
	if err := p.validate(); err != nil {
		return err
	}
	// Every card of the roster (a continuing reshare member appears twice,
	// with one card): no weak key, and no key shared by two cards.
	if i, err := identity.CheckCards(p.Roster()); err != nil {
		key, n := rosterField(p, i)
		return ferr(key, n, ErrDuplicate, "%v", err)
	}
	return nil
}

// rosterField is the field and occurrence that lists roster card i, for
// error lines.
func rosterField(p *Plan, i int) (string, int) {
	switch p.Protocol {
	case Sign:
		return "signer", i
	case Reshare:
		if i >= len(p.Old) {
			return "new", i - len(p.Old)
		}
		return "old", i
	}
	return "party", i
}

func (p *Plan) validate() error {
	switch p.Protocol {
	case Keygen, Sign, Reshare:
	default:
		return ferr("protocol", 0, nil, "unknown protocol %q (want keygen, sign or reshare)", p.Protocol)
	}
	if p.Session == ([32]byte{}) {
		return ferr("session", 0, nil, "session id is all zeros")
	}
	switch p.Curve {
	case keyshare.CurveSecp256k1, keyshare.CurveEd25519:
	default:
		return ferr("curve", 0, nil, "unknown curve %q (want secp256k1 or ed25519)", p.Curve)
	}
	unused := func(ok bool, what string) error {
		if !ok {
			return ferr("protocol", 0, nil, "a %s plan has no %s", p.Protocol, what)
		}
		return nil
	}
	switch p.Protocol {
	case Keygen:
		if err := firstErr(unused(p.Key == nil, "key"), unused(len(p.Signers) == 0, "signers"),
			unused(len(p.Items) == 0, "payload"), unused(len(p.Old)+len(p.New) == 0, "old or new committee"), unused(p.Tx == nil, "transaction")); err != nil {
			return err
		}
		if err := checkCommittee("party", "party", p.Parties); err != nil {
			return err
		}
		return checkThreshold("threshold", p.Threshold, len(p.Parties))
	case Sign:
		if err := firstErr(unused(len(p.Parties) == 0, "keygen parties"),
			unused(len(p.Old)+len(p.New) == 0, "old or new committee")); err != nil {
			return err
		}
		if err := p.checkKey(); err != nil {
			return err
		}
		if p.Threshold != p.Key.Threshold {
			return ferr("key-threshold", 0, ErrThreshold, "plan threshold %d differs from the key's threshold %d", p.Threshold, p.Key.Threshold)
		}
		if err := p.checkHolders("signer", "signer", p.Signers); err != nil {
			return err
		}
		return p.checkItems()
	default: // Reshare
		if err := firstErr(unused(len(p.Parties) == 0, "keygen parties"), unused(len(p.Signers) == 0, "signers"),
			unused(len(p.Items) == 0, "payload"), unused(p.Tx == nil, "transaction")); err != nil {
			return err
		}
		if err := p.checkKey(); err != nil {
			return err
		}
		if err := p.checkHolders("old", "old member", p.Old); err != nil {
			return err
		}
		if err := checkCommittee("new", "new member", p.New); err != nil {
			return err
		}
		if err := checkThreshold("threshold", p.Threshold, len(p.New)); err != nil {
			return err
		}
		// One name must mean one person for the officers: a continuing
		// member keeps their card; a member who replaced their card is a
		// different party and needs a different name.
		for j, n := range p.New {
			for _, o := range p.Old {
				if n.Name == o.Name && !n.Equal(o) {
					return ferr("new", j, ErrDuplicate, "new member %d %q has a different card than old member %q (%s vs %s); one name must mean one card in a plan",
						j+1, n.Name, o.Name, n.FingerprintWords(), o.FingerprintWords())
				}
			}
		}
		return nil
	}
}

func checkThreshold(key string, k, n int) error {
	if k < 2 || k > n {
		return ferr(key, 0, ErrThreshold, "threshold %d is outside 2..%d (%d-of-%d is not a valid threshold key; the threshold counts signers needed, at least 2 and at most the %d parties)", k, n, k, n, n)
	}
	return nil
}

// checkCommittee checks a list of cards that defines a new committee.
func checkCommittee(key, what string, cards []*identity.Card) error {
	if len(cards) < 2 {
		return ferr(key, len(cards), ErrTooFew, "%s; a threshold key needs at least 2", count(len(cards), what))
	}
	if len(cards) > MaxParties {
		return ferr(key, MaxParties, ErrTooMany, "%s; at most %d are supported", count(len(cards), what), MaxParties)
	}
	for i, c := range cards {
		if err := validCard(key, what, i, c); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if cards[j].Equal(c) {
				return ferr(key, i, ErrDuplicate, "%s %d %q (%s) is listed twice (also %s %d)", what, i+1, c.Name, c.FingerprintWords(), what, j+1)
			}
			if cards[j].Name == c.Name {
				return ferr(key, i, ErrDuplicate, "%s %d and %s %d are both named %q but have different cards (%s, %s)", what, j+1, what, i+1, c.Name, cards[j].FingerprintWords(), c.FingerprintWords())
			}
		}
	}
	return nil
}

// validCard checks card i of a list: present and well formed.
func validCard(key, what string, i int, c *identity.Card) error {
	if c == nil {
		return ferr(key, i, nil, "%s %d: no card", what, i+1)
	}
	if err := c.Validate(); err != nil {
		return ferr(key, i, nil, "%s %d: %v", what, i+1, err)
	}
	return nil
}

// checkHolders checks a subset of the key's parties (signers, or the old
// committee of a resharing): each must hold a share of the key, listed once,
// in key index order, and at least the key's threshold of them.
func (p *Plan) checkHolders(key, what string, cards []*identity.Card) error {
	prev := 0
	for i, c := range cards {
		if err := validCard(key, what, i, c); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if cards[j].Equal(c) {
				return ferr(key, i, ErrDuplicate, "%s %d %q (%s) is listed twice", what, i+1, c.Name, c.FingerprintWords())
			}
		}
		kp, ok := p.KeyParty(c.Fingerprint())
		if !ok {
			return ferr(key, i, ErrNotHolder, "%s %d %q (card %s) is not a holder of key %x; only the key's own parties can take part", what, i+1, c.Name, c.FingerprintWords(), p.Key.ID)
		}
		if kp.Name != c.Name {
			return ferr(key, i, nil, "%s %d: card is named %q but key party %d is named %q", what, i+1, c.Name, kp.Index, kp.Name)
		}
		if kp.Index <= prev {
			return ferr(key, i, nil, "%s %d %q (key party %d) is out of order: %s are listed in key party order", what, i+1, c.Name, kp.Index, plural(what))
		}
		prev = kp.Index
	}
	if len(cards) < p.Key.Threshold {
		return ferr(key, len(cards), ErrTooFew, "only %s, but key %x needs at least %d (%d-of-%d)", count(len(cards), what), p.Key.ID, p.Key.Threshold, p.Key.Threshold, len(p.Key.Parties))
	}
	return nil
}

func (p *Plan) checkKey() error {
	k := p.Key
	if k == nil {
		return ferr("key-id", 0, nil, "a %s plan needs a key", p.Protocol)
	}
	want := 33
	if p.Curve == keyshare.CurveEd25519 {
		want = 32
	}
	if len(k.PublicKey) != want {
		return ferr("key-public", 0, nil, "public key is %d bytes, want %d for %s", len(k.PublicKey), want, p.Curve)
	}
	if err := keyshare.CheckPublicKey(p.Curve, k.PublicKey); err != nil {
		return ferr("key-public", 0, nil, "%v", err)
	}
	if k.ChainCode != nil && p.Protocol == Reshare {
		if p.Curve != keyshare.CurveSecp256k1 {
			return ferr("key-chain-code", 0, ErrPath, "a chain code is defined for secp256k1 keys only, not %s", p.Curve)
		}
		if len(k.ChainCode) != 32 || bytes.Equal(k.ChainCode, make([]byte, 32)) {
			return ferr("key-chain-code", 0, nil, "chain code must be 32 bytes, not all zero")
		}
	}
	if KeyID(p.Curve, k.PublicKey) != k.ID {
		return ferr("key-id", 0, nil, "key id %x does not match the public key (want %x)", k.ID, KeyID(p.Curve, k.PublicKey))
	}
	if k.Session == ([32]byte{}) {
		return ferr("key-session", 0, nil, "key session is all zeros")
	}
	if k.Session == p.Session {
		return ferr("session", 0, nil, "plan session equals the key's session; a new ceremony needs a fresh session id")
	}
	n := len(k.Parties)
	if n < 2 {
		return ferr("key-party", n, ErrTooFew, "key has %d parties; a threshold key has at least 2", n)
	}
	if n > MaxParties {
		return ferr("key-party", MaxParties, ErrTooMany, "key has %d parties; at most %d are supported", n, MaxParties)
	}
	if k.Threshold < 2 || k.Threshold > n {
		return ferr("key-threshold", 0, ErrThreshold, "key threshold %d is outside 2..%d", k.Threshold, n)
	}
	for i, kp := range k.Parties {
		if kp.Index != i+1 {
			return ferr("key-party", i, nil, "key party %d has index %d", i+1, kp.Index)
		}
		if err := identity.ValidName(kp.Name); err != nil {
			return ferr("key-party", i, nil, "key party %d: %v", i+1, err)
		}
		if len(kp.ShareKey) == 0 || kp.ShareKey[0] == 0 || len(kp.ShareKey) > 32 {
			return ferr("key-party", i, nil, "key party %d: share key must be 1 to 32 bytes with no leading zero byte", i+1)
		}
		for j := 0; j < i; j++ {
			o := k.Parties[j]
			switch {
			case o.Card == kp.Card:
				return ferr("key-party", i, ErrDuplicate, "key parties %d and %d have the same card", j+1, i+1)
			case o.Name == kp.Name:
				return ferr("key-party", i, ErrDuplicate, "key parties %d and %d are both named %q", j+1, i+1, kp.Name)
			case bytes.Equal(o.ShareKey, kp.ShareKey):
				return ferr("key-party", i, ErrDuplicate, "key parties %d and %d have the same share key", j+1, i+1)
			}
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %s", n, plural(what))
}

func plural(what string) string {
	if what == "party" {
		return "parties"
	}
	return what + "s"
}
