package backup

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/hashicorp/vault/shamir"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/keyshare"
)

// Options are the choices of a split.
type Options struct {
	// Threshold is K, the number of shards a restore needs (at least 2).
	Threshold int
	// Custodians names who holds each shard, in shard index order; M is
	// its length.
	Custodians []string
	// Created is recorded in the manifest; zero means now.
	Created time.Time
}

// Check refuses options no backup can have: fewer than 2 or more than
// MaxShards custodians, a custodian name that is not a valid name or is
// given twice, a threshold outside 2..M. A caller checks them before it
// asks custodians for passphrases.
func (opt Options) Check() error {
	var seen []string
	for _, name := range opt.Custodians {
		if err := identity.ValidName(name); err != nil {
			return fmt.Errorf("custodian %q: %w", name, err)
		}
		if slices.Contains(seen, name) {
			return fmt.Errorf("custodian %s is given twice; every shard needs its own custodian", name)
		}
		seen = append(seen, name)
	}
	m, k := len(opt.Custodians), opt.Threshold
	if m < 2 || m > MaxShards {
		return fmt.Errorf("%d custodians; a backup needs 2..%d", m, MaxShards)
	}
	if k < 2 || k > m {
		return fmt.Errorf("threshold %d is outside 2..%d (the number of custodians)", k, m)
	}
	return nil
}

// ErrOpenShare is wrapped by SplitSealed's error when the share does not
// decrypt with the owner's identity.
var ErrOpenShare = errors.New("cannot open the key share")

type openShareErr struct{ err error }

func (e *openShareErr) Error() string        { return e.err.Error() }
func (e *openShareErr) Unwrap() error        { return e.err }
func (e *openShareErr) Is(target error) bool { return target == ErrOpenShare }

// SplitSealed is Split of a share.age file's content (keyshare.ReadShareFile),
// which must be encrypted to owner; the decrypted share is wiped after the
// split.
func SplitSealed(sealed []byte, owner *identity.Identity, opt Options) ([]*Shard, error) {
	inner, err := keyshare.OpenInner(sealed, owner.X25519)
	if err != nil {
		return nil, &openShareErr{err}
	}
	defer clear(inner)
	return Split(inner, owner, opt)
}

// aad binds the encrypted share to its backup id.
func aad(backupID [16]byte) []byte { return append([]byte(aeadDomain), backupID[:]...) }

// Split makes an M-shard, K-threshold backup of a key share's inner record
// (keyshare.ShareMagic), signed by owner, whose card must be the one the
// share names. The returned shards are verified and a restore from them
// has been tried before they are returned; seal each one to its custodian
// with SealShard.
func Split(inner []byte, owner *identity.Identity, opt Options) ([]*Shard, error) {
	share, err := keyshare.ParseShare(inner)
	if err != nil {
		return nil, err
	}
	card := owner.Card()
	if fp := card.FingerprintHex(); fp != share.Card {
		return nil, fmt.Errorf("the share belongs to party %d %s (card %s), not to identity %s (card %s)",
			share.Index, share.Name, share.Card, card.Name, fp)
	}
	if err := opt.Check(); err != nil {
		return nil, err
	}
	m, k := len(opt.Custodians), opt.Threshold
	created := opt.Created
	if created.IsZero() {
		created = time.Now()
	}
	s := Shard{
		Created:   created.UTC().Truncate(time.Second),
		KeyID:     share.KeyID,
		Curve:     share.Curve,
		Party:     share.Index,
		Owner:     card,
		Threshold: k,
	}
	if _, err := rand.Read(s.BackupID[:]); err != nil {
		return nil, err
	}
	dataKey := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(dataKey)
	if err != nil {
		return nil, err
	}
	// The data key is fresh and encrypts exactly one message, so a fixed
	// nonce is safe.
	nonce := make([]byte, aead.NonceSize())
	s.Ciphertext = aead.Seal(nil, nonce, inner, aad(s.BackupID))
	s.CiphertextHash = sha256.Sum256(s.Ciphertext)
	parts, err := shamir.Split(dataKey, m, k)
	clear(dataKey)
	if err != nil {
		return nil, err
	}
	for i, name := range opt.Custodians {
		s.Custodians = append(s.Custodians, Custodian{Index: i + 1, Name: name, Commitment: commitment(s.BackupID, i+1, parts[i])})
	}
	s.Index, s.Part, s.Signature = 1, parts[0], make([]byte, ed25519.SignatureSize)
	if err := s.validate(); err != nil {
		return nil, err
	}
	manifest, err := s.Manifest()
	if err != nil {
		return nil, err
	}
	s.Signature = ed25519.Sign(owner.Signing, signedMessage(manifest))
	out := make([]*Shard, m)
	for i := range out {
		c := s
		c.Index, c.Part = i+1, parts[i]
		if err := c.Verify(); err != nil {
			return nil, fmt.Errorf("internal error: fresh shard %d does not verify: %w", i+1, err)
		}
		out[i] = &c
	}
	// Never hand out a backup that does not restore: try the first and the
	// last K shards.
	for _, set := range [][]*Shard{out[:k], out[m-k:]} {
		var cands []Candidate
		for _, sh := range set {
			cands = append(cands, Candidate{Label: fmt.Sprintf("shard %d", sh.Index), Shard: sh})
		}
		res, err := Combine(cands, nil)
		if err != nil {
			return nil, fmt.Errorf("internal error: trial restore failed: %w", err)
		}
		if !bytes.Equal(res.Inner, inner) {
			return nil, errors.New("internal error: trial restore returned a different share")
		}
	}
	return out, nil
}

// Candidate is a shard offered to Combine, with the label (normally the
// file name) used to name it in errors.
type Candidate struct {
	Label string
	Shard *Shard
}

// Rejected is a shard Combine set aside, and why.
type Rejected struct {
	Label string
	Err   error
}

// Result is the outcome of Combine.
type Result struct {
	// Inner is the restored share's inner record, byte-identical to what
	// was split; Share is its parsed form.
	Inner []byte
	Share *keyshare.Share
	// Backup is one of the shards used (for the manifest's metadata).
	Backup *Shard
	// Used lists the labels of the shards that were combined.
	Used []string
	// Rejected lists the shards that were set aside, each with its reason;
	// Combine fills it even when it returns an error.
	Rejected []Rejected
}

// Wipe clears the restored share's inner record.
func (r *Result) Wipe() { clear(r.Inner) }

// Seal encrypts the restored share, its exact inner record, to rcpt as a
// share.age file, and wipes Inner: a restored share is written only
// encrypted.
func (r *Result) Seal(rcpt age.Recipient) ([]byte, error) {
	defer r.Wipe()
	return keyshare.SealInner(r.Inner, rcpt)
}

// NotEnoughError means fewer valid shards of one backup than its threshold
// were given.
type NotEnoughError struct {
	BackupID  string // empty if no valid shard at all was given
	Have      int
	Threshold int
}

func (e *NotEnoughError) Error() string {
	if e.BackupID == "" {
		return "no valid shard: nothing to restore from"
	}
	return fmt.Sprintf("%s of backup %s, but it needs %d: %d more needed",
		plural.Count(e.Have, "valid shard"), e.BackupID, e.Threshold, e.Threshold-e.Have)
}

// ErrMixed means shards of more than one complete backup were given, so
// the choice between them is the officer's, not ours.
var ErrMixed = errors.New("shards of different backups given")

// ErrInconsistent means correctly signed shards do not decrypt the share:
// the owner's key signed a broken backup.
var ErrInconsistent = errors.New("the backup is inconsistent")

// CombineOptions constrain which shards Combine accepts.
type CombineOptions struct {
	// Owner, if set, is the only owner card accepted.
	Owner *identity.Card
}

// Combine restores a share from shards. Every candidate is verified on its
// own first; a bad one is rejected and named, and the restore goes on if K
// good shards of one backup remain. Shards of another backup than the one
// being restored are set aside, never mixed in.
func Combine(cands []Candidate, opt *CombineOptions) (*Result, error) {
	res := &Result{}
	var groups []*group
	for _, c := range cands {
		if err := c.Shard.Verify(); err != nil {
			res.Rejected = append(res.Rejected, Rejected{c.Label, err})
			continue
		}
		if opt != nil && opt.Owner != nil {
			if err := c.Shard.VerifyOwner(opt.Owner); err != nil {
				res.Rejected = append(res.Rejected, Rejected{c.Label, err})
				continue
			}
		}
		d, err := c.Shard.ManifestDigest()
		if err != nil {
			res.Rejected = append(res.Rejected, Rejected{c.Label, err})
			continue
		}
		var g *group
		for _, x := range groups {
			if x.digest == d {
				g = x
			}
		}
		if g == nil {
			g = &group{digest: d, byIdx: map[int]string{}}
			groups = append(groups, g)
		}
		if prev, dup := g.byIdx[c.Shard.Index]; dup {
			res.Rejected = append(res.Rejected, Rejected{c.Label, fmt.Errorf("a second copy of shard %d (already have %s)", c.Shard.Index, prev)})
			continue
		}
		g.byIdx[c.Shard.Index] = c.Label
		g.shards = append(g.shards, c)
	}
	var complete []*group
	for _, g := range groups {
		if len(g.shards) >= g.shards[0].Shard.Threshold {
			complete = append(complete, g)
		}
	}
	describe := func(g *group) string {
		var labels []string
		for _, c := range g.shards {
			labels = append(labels, c.Label)
		}
		return fmt.Sprintf("backup %s (%s)", g.shards[0].Shard.BackupIDHex(), strings.Join(labels, ", "))
	}
	switch {
	case len(complete) > 1:
		var ds []string
		for _, g := range complete {
			ds = append(ds, describe(g))
		}
		return res, fmt.Errorf("%w, each enough to restore: %s; give the shards of one backup only", ErrMixed, strings.Join(ds, "; "))
	case len(complete) == 0:
		if len(groups) == 0 {
			return res, &NotEnoughError{}
		}
		best := groups[0]
		for _, g := range groups[1:] {
			if len(g.shards) > len(best.shards) {
				best = g
			}
		}
		setAside(res, groups, best)
		return res, &NotEnoughError{BackupID: best.shards[0].Shard.BackupIDHex(), Have: len(best.shards), Threshold: best.shards[0].Shard.Threshold}
	}
	g := complete[0]
	setAside(res, groups, g)
	sort.Slice(g.shards, func(i, j int) bool { return g.shards[i].Shard.Index < g.shards[j].Shard.Index })
	k := g.shards[0].Shard.Threshold
	var parts [][]byte
	for _, c := range g.shards[:k] {
		parts = append(parts, c.Shard.Part)
		res.Used = append(res.Used, c.Label)
	}
	for _, c := range g.shards[k:] {
		res.Rejected = append(res.Rejected, Rejected{c.Label, errors.New("not needed (threshold already met)")})
	}
	man := g.shards[0].Shard
	res.Backup = man
	dataKey, err := shamir.Combine(parts)
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrInconsistent, err)
	}
	aead, err := chacha20poly1305.New(dataKey)
	clear(dataKey)
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrInconsistent, err)
	}
	inner, err := aead.Open(nil, make([]byte, aead.NonceSize()), man.Ciphertext, aad(man.BackupID))
	if err != nil {
		return res, fmt.Errorf("%w: the signed shards do not decrypt the share", ErrInconsistent)
	}
	share, err := keyshare.ParseShare(inner)
	if err != nil {
		return res, fmt.Errorf("%w: restored share: %w", ErrInconsistent, err)
	}
	if share.KeyID != man.KeyID || share.Curve != man.Curve || share.Index != man.Party || share.Card != man.Owner.FingerprintHex() {
		return res, fmt.Errorf("%w: the restored share (key %s party %d) does not match the manifest (key %s party %d)",
			ErrInconsistent, share.KeyID, share.Index, man.KeyID, man.Party)
	}
	res.Inner, res.Share = inner, share
	return res, nil
}

// group is the shards of one backup (one manifest) offered to Combine.
type group struct {
	digest [32]byte
	shards []Candidate
	byIdx  map[int]string
}

// setAside rejects every shard outside the chosen group, saying why.
func setAside(res *Result, groups []*group, chosen *group) {
	want := chosen.shards[0].Shard
	for _, g := range groups {
		if g == chosen {
			continue
		}
		for _, c := range g.shards {
			var err error
			if c.Shard.BackupID == want.BackupID {
				// Same id, other signed manifest: someone signed a second
				// manifest for this backup id.
				err = fmt.Errorf("claims backup %s but its signed manifest differs from the other shards' (owner key %x)",
					c.Shard.BackupIDHex(), c.Shard.Owner.SigningKey)
			} else {
				err = fmt.Errorf("belongs to another backup (%s, key %s party %d, made %s), not %s",
					c.Shard.BackupIDHex(), c.Shard.KeyID, c.Shard.Party, c.Shard.Created.Format(timeLayout), want.BackupIDHex())
			}
			res.Rejected = append(res.Rejected, Rejected{c.Label, err})
		}
	}
}
