package admission

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Tracker remembers what later checks need from messages Check has already
// accepted. ECDSA keygen is the only flow that needs it: the Paillier
// modulus arrives in round 1 (KGRound1Message) and the proof about it, the
// modproof, in round 2 (KGRound2Message2).
//
// A Tracker is plain data; it is rebuilt after a restart by passing the
// already-accepted round-1 messages through Check again (Check is
// deterministic and, for round 1, cheap). It is safe for concurrent use.
type Tracker struct {
	mu        sync.Mutex
	paillierN []*big.Int // by sender index
}

// NewTracker returns an empty Tracker for a session of partyCount parties.
func NewTracker(partyCount int) *Tracker {
	return &Tracker{paillierN: make([]*big.Int, partyCount)}
}

// recordPaillierN stores the sender's round-1 modulus. Seeing the same
// message again is harmless (a re-run after a crash); a different modulus
// from the same sender is an equivocation and is refused, because the
// modproof would otherwise be checked against whichever came last.
func (t *Tracker) recordPaillierN(from *tss.PartyID, n *big.Int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.paillierN[from.Index]
	if old != nil && old.Cmp(n) != 0 {
		return reject(from, CheckConsistency, "a second round-1 message announces a different Paillier modulus")
	}
	t.paillierN[from.Index] = new(big.Int).Set(n)
	return nil
}

func (t *Tracker) paillierNOf(from *tss.PartyID) (*big.Int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.paillierN[from.Index]
	if n == nil {
		return nil, fmt.Errorf("%w: no round-1 Paillier modulus recorded for %s", ErrOutOfOrder, describe(from))
	}
	return n, nil
}

// Moduli returns the recorded round-1 Paillier moduli by sender index (nil
// where none was recorded yet), so a caller that runs one round per process
// can keep them in its own authenticated state instead of re-reading the
// 134 KB round-1 messages.
func (t *Tracker) Moduli() []*big.Int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*big.Int, len(t.paillierN))
	for i, n := range t.paillierN {
		if n != nil {
			out[i] = new(big.Int).Set(n)
		}
	}
	return out
}

// TrackerFrom rebuilds a Tracker from Moduli's output. The values must come
// from the caller's own authenticated state: they are trusted as recorded.
func TrackerFrom(partyCount int, moduli []*big.Int) (*Tracker, error) {
	if len(moduli) != 0 && len(moduli) != partyCount {
		return nil, fmt.Errorf("%w: %d recorded moduli for %d parties", ErrParams, len(moduli), partyCount)
	}
	t := NewTracker(partyCount)
	for i, n := range moduli {
		if n != nil {
			t.paillierN[i] = new(big.Int).Set(n)
		}
	}
	return t, nil
}
