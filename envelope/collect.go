package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// ErrEquivocation means a sender produced two different envelopes where it
// may produce only one.
var ErrEquivocation = errors.New("equivocation")

// Expect describes the envelopes a party is waiting for.
type Expect struct {
	Session  [32]byte
	Protocol string
	Round    int
	// Me is this party's slot; Roster[Me-1] must be my card.
	Me int
	// Roster holds every session party's card: slot i+1 is Roster[i].
	Roster []*identity.Card
}

// ReceiveError is a rejected input file. Sender is the slot of the party
// proven (by its signature) to have produced the offending envelope, or 0
// when nobody can be blamed from the file alone (for example a bad
// signature: anyone can claim any sender).
type ReceiveError struct {
	File   string
	Reason string
	Sender int
	Err    error
}

// Error names the file escaped (termsafe.Path): the name is chosen by
// whoever wrote to the stick and is printed before any signature is checked.
func (e *ReceiveError) Error() string { return termsafe.Path(e.File) + ": " + e.Reason }
func (e *ReceiveError) Unwrap() error { return e.Err }

// Skip is a file Collect left alone. Quiet skips are files that are clearly
// not meant for this party (foreign files, envelopes it cannot decrypt); a
// user interface may hide them.
type Skip struct {
	File   string
	Reason string
	Quiet  bool
	// NotEnvelope is set for an age file encrypted to this party that is
	// not an envelope (a key share or backup shard on the stick): nothing
	// the step needs, but a secret of this party's where others may copy
	// it, so a user interface names it.
	NotEnvelope bool
	// Consumed is set for a verified envelope of an earlier round addressed
	// to this party (skipped as already consumed), so the caller can compare
	// it with what it did consume without opening the file again.
	Consumed *Envelope
}

// Collection is the outcome of scanning an inbox.
type Collection struct {
	// Envelopes are the verified envelopes of the expected round addressed
	// to this party, at most one per (sender, recipient), sorted by sender
	// then recipient (broadcasts first).
	Envelopes []*Envelope
	Skipped   []Skip
	Errors    []*ReceiveError
}

// Collect applies the receiving rules to paths (typically every file of an
// inbox directory, which may be a stick shared by several parties, rounds
// and sessions). It never modifies or removes a file. The rules, in order:
//
//  1. Names starting with "." and names not ending in ".age" are skipped
//     quietly without being opened (editor files, "._*" files that macOS
//     leaves on FAT sticks, temporary files of interrupted writes).
//  2. A file larger than MaxEnvelopeSize is an error.
//  3. A file that is not an age file, or whose age encryption is damaged,
//     is an error.
//  4. An age file this party cannot decrypt is skipped quietly: it is for
//     someone else.
//  5. A decrypted file that is not a coldsig envelope at all (a key share,
//     a backup shard) is skipped, reported with Skip.NotEnvelope; one that
//     claims to be an envelope but does not parse is an error.
//  6. Another session: skipped (reported).
//  7. A sender slot outside the roster, or a signature that does not verify
//     with the roster card of the claimed sender: error.
//  8. Same session but another protocol: error naming the sender.
//  9. Sent by this party, or addressed to another party: skipped (reported).
//  10. An earlier round: skipped as already consumed; a later round:
//     skipped and kept for later.
//  11. The same signed content seen twice (copies of a file, or the same
//     record re-encrypted): the later path is skipped as a duplicate.
//  12. Two different envelopes from one sender with the same recipient, or
//     with the same seq, in the expected round: equivocation error naming
//     the sender.
//
// Files are considered in lexical order, so results are deterministic. The
// returned error is nil exactly when Collection.Errors is empty; otherwise
// it joins them. A non-nil Collection is returned whenever expect is valid.
func Collect(paths []string, me *identity.Identity, ex Expect) (*Collection, error) {
	if err := ex.validate(me); err != nil {
		return nil, err
	}
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	c := &Collection{}
	type key struct{ from, to int }
	byRecipient := map[key]*Envelope{}
	type seqKey struct {
		from int
		seq  uint64
	}
	bySeq := map[seqKey]*Envelope{}
	for _, path := range sorted {
		e, skip, rerr := receive(path, me, &ex)
		if rerr != nil {
			c.Errors = append(c.Errors, rerr)
			continue
		}
		if skip != nil {
			c.Skipped = append(c.Skipped, *skip)
			continue
		}
		if prev := byRecipient[key{e.From, e.To}]; prev != nil {
			if bytes.Equal(prev.Signed(), e.Signed()) {
				c.Skipped = append(c.Skipped, Skip{File: path, Reason: "duplicate of " + termsafe.Path(prev.Path)})
				continue
			}
			c.Errors = append(c.Errors, equivocation(e, prev, fmt.Sprintf("to %s", partyOrAll(e.To))))
			continue
		}
		if prev := bySeq[seqKey{e.From, e.Seq}]; prev != nil {
			c.Errors = append(c.Errors, equivocation(e, prev, fmt.Sprintf("with seq %d", e.Seq)))
			continue
		}
		byRecipient[key{e.From, e.To}] = e
		bySeq[seqKey{e.From, e.Seq}] = e
		c.Envelopes = append(c.Envelopes, e)
	}
	sort.Slice(c.Envelopes, func(i, j int) bool {
		a, b := c.Envelopes[i], c.Envelopes[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	if len(c.Errors) > 0 {
		errs := make([]error, len(c.Errors))
		for i, e := range c.Errors {
			errs[i] = e
		}
		return c, errors.Join(errs...)
	}
	return c, nil
}

func equivocation(e, prev *Envelope, what string) *ReceiveError {
	return &ReceiveError{
		File:   e.Path,
		Reason: fmt.Sprintf("party %d sent two different round %d envelopes %s (the other is %s)", e.From, e.Round, what, termsafe.Path(prev.Path)),
		Sender: e.From,
		Err:    ErrEquivocation,
	}
}

func partyOrAll(to int) string {
	if to == ToAll {
		return "all"
	}
	return fmt.Sprintf("party %d", to)
}

func (ex *Expect) validate(me *identity.Identity) error {
	if me == nil || me.X25519 == nil {
		return errors.New("collect: no identity")
	}
	if ex.Me < 1 || ex.Me > len(ex.Roster) {
		return fmt.Errorf("collect: my slot %d is outside the roster of %d", ex.Me, len(ex.Roster))
	}
	for i, c := range ex.Roster {
		if c == nil || c.Validate() != nil {
			return fmt.Errorf("collect: roster slot %d has no valid card", i+1)
		}
	}
	if !ex.Roster[ex.Me-1].Equal(me.Card()) {
		return fmt.Errorf("collect: identity %q does not match roster slot %d (%s)", me.Name, ex.Me, ex.Roster[ex.Me-1].Name)
	}
	if !knownProtocol(ex.Protocol) || ex.Round < 1 || ex.Round > MaxRound {
		return fmt.Errorf("collect: invalid expectation (protocol %q, round %d)", ex.Protocol, ex.Round)
	}
	return nil
}

// receive applies rules 1-10 to one file.
func receive(path string, me *identity.Identity, ex *Expect) (*Envelope, *Skip, *ReceiveError) {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") || !strings.HasSuffix(base, ".age") {
		return nil, &Skip{File: path, Reason: "not an .age file", Quiet: true}, nil
	}
	fail := func(sender int, err error, format string, args ...any) (*Envelope, *Skip, *ReceiveError) {
		return nil, nil, &ReceiveError{File: path, Reason: fmt.Sprintf(format, args...), Sender: sender, Err: err}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fail(0, err, "%v", unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, &Skip{File: path, Reason: "not a regular file", Quiet: true}, nil
	}
	if fi.Size() > MaxEnvelopeSize {
		return fail(0, ErrTooLarge, "%v: %d bytes, limit %d", ErrTooLarge, fi.Size(), MaxEnvelopeSize)
	}
	data, err := boundedio.ReadFile(path, MaxEnvelopeSize)
	if err != nil {
		return fail(0, err, "%v", unwrapPath(err))
	}
	e, err := Open(data, me)
	switch {
	case errors.Is(err, ErrNotForMe):
		return nil, &Skip{File: path, Reason: "encrypted to other parties", Quiet: true}, nil
	case errors.Is(err, ErrOtherAgeFile):
		return nil, &Skip{File: path, Reason: "encrypted to you but not an envelope (a key share or backup shard?); move it off the stick", NotEnvelope: true}, nil
	case err != nil:
		return fail(0, err, "%v", err)
	}
	e.Path = path
	if e.Session != ex.Session {
		return nil, &Skip{File: path, Reason: "other session " + hex.EncodeToString(e.Session[:4])}, nil
	}
	if e.From > len(ex.Roster) {
		return fail(0, ErrBadSignature, "unknown sender: slot %d, but the roster has %d parties", e.From, len(ex.Roster))
	}
	if err := e.Verify(ex.Roster[e.From-1]); err != nil {
		return fail(0, err, "bad signature: claims to be from party %d (%s) but is not signed by its key", e.From, ex.Roster[e.From-1].Name)
	}
	if e.Protocol != ex.Protocol {
		return fail(e.From, ErrBadHeader, "party %d sent protocol %s in session %x, expected %s", e.From, e.Protocol, e.Session[:4], ex.Protocol)
	}
	if e.To != ToAll && e.To > len(ex.Roster) {
		return fail(e.From, ErrBadHeader, "party %d addressed slot %d, but the roster has %d parties", e.From, e.To, len(ex.Roster))
	}
	if e.From == ex.Me {
		return nil, &Skip{File: path, Reason: "sent by this party"}, nil
	}
	if e.To != ToAll && e.To != ex.Me {
		return nil, &Skip{File: path, Reason: fmt.Sprintf("addressed to party %d", e.To)}, nil
	}
	if e.Round < ex.Round {
		return nil, &Skip{File: path, Reason: fmt.Sprintf("round %d, already consumed", e.Round), Consumed: e}, nil
	}
	if e.Round > ex.Round {
		return nil, &Skip{File: path, Reason: fmt.Sprintf("round %d, kept for later", e.Round)}, nil
	}
	return e, nil, nil
}

// unwrapPath strips os.PathError's path, since ReceiveError names the file.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
