package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/keyshare"
)

// ErrNoIdentity means none of the given identities (or passphrases) can
// decrypt a shard: it belongs to another custodian, or a passphrase was
// mistyped.
var ErrNoIdentity = errors.New("none of the given identities can decrypt this shard")

// ErrIdentityMissing means a shard was given without any identity or
// passphrase to decrypt it with: nothing is known about its content yet.
var ErrIdentityMissing = errors.New("no identity given to decrypt this shard")

// Locked reports whether err means a shard could not be unlocked (no
// identity or passphrase given, or none that fits), as opposed to a shard
// that was opened and found damaged or altered.
func Locked(err error) bool {
	return errors.Is(err, ErrNoIdentity) || errors.Is(err, ErrIdentityMissing)
}

// ageMagic starts every binary age file.
const ageMagic = "age-encryption.org/v1\n"

// Unwrap returns the age file inside a shard file in either form: the
// binary age file itself, or its paper form (which is parsed and checked).
func Unwrap(data []byte) ([]byte, *Paper, error) {
	if bytes.HasPrefix(data, []byte("coldsig/shard-paper/")) {
		p, err := ParsePaper(data)
		if err != nil {
			return nil, nil, err
		}
		return p.File, p, nil
	}
	if !bytes.HasPrefix(data, []byte(ageMagic)) {
		if bytes.HasPrefix(data, []byte(ShardMagic+"\n")) {
			return nil, nil, shardErr("this is a decrypted shard; shards are only ever stored age-encrypted")
		}
		return nil, nil, shardErr("not a backup shard (neither an age file nor %s)", PaperMagic)
	}
	return data, nil, nil
}

// StanzaTypes lists the recipient types an age file is encrypted to (e.g.
// "X25519", "scrypt"), read from its header without decrypting.
func StanzaTypes(file []byte) []string {
	var out []string
	for _, line := range bytes.Split(file, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("---")) {
			break
		}
		if f := bytes.Fields(line); len(f) >= 2 && string(f[0]) == "->" {
			out = append(out, string(f[1]))
		}
	}
	return out
}

// describeNoMatch says what a shard that no given identity opened is
// encrypted to, in the words of the flags that would open it.
func describeNoMatch(types []string) string {
	switch {
	case slices.Contains(types, "scrypt"):
		return "it is encrypted to a passphrase, and no passphrase given fits"
	case len(types) == 1 && types[0] == "X25519":
		return "it is encrypted to another identity: its custodian's"
	}
	return "it is encrypted to " + describeStanzas(types)
}

func describeStanzas(types []string) string {
	switch {
	case slices.Contains(types, "scrypt"):
		return "a passphrase"
	case len(types) == 1 && types[0] == "X25519":
		return "a custodian's identity"
	}
	return fmt.Sprintf("recipients of type %s", strings.Join(types, ", "))
}

// OpenShard decrypts a shard file (either form) with the given identities,
// parses it and verifies it on its own (Shard.Verify).
func OpenShard(data []byte, ids ...age.Identity) (*Shard, error) {
	file, paper, err := Unwrap(data)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w (it is encrypted to %s)", ErrIdentityMissing, describeStanzas(StanzaTypes(file)))
	}
	r, err := age.Decrypt(bytes.NewReader(file), ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%w (%s)", ErrNoIdentity, describeNoMatch(nm.StanzaTypes))
		}
		return nil, shardErr("cannot decrypt: %v (the file is damaged or truncated)", err)
	}
	inner, err := io.ReadAll(io.LimitReader(r, maxShardFile+1))
	if err != nil {
		return nil, shardErr("cannot decrypt: %v (the file is damaged or truncated)", err)
	}
	if len(inner) > maxShardFile {
		return nil, shardErr("decrypted content larger than %d bytes", maxShardFile)
	}
	s, err := ParseShard(inner)
	if err != nil {
		return nil, err
	}
	if err := s.Verify(); err != nil {
		return nil, err
	}
	if paper != nil {
		if paper.BackupID != s.BackupID || paper.Index != s.Index || paper.Custodian != s.Custodian() {
			return nil, shardErr("the paper form's header (backup %x shard %d %s) differs from its content (backup %s shard %d %s)",
				paper.BackupID, paper.Index, paper.Custodian, s.BackupIDHex(), s.Index, s.Custodian())
		}
	}
	return s, nil
}

// Keys are what opens shards: the custodians' identities and, for shards
// encrypted to a passphrase, passphrases.
type Keys struct {
	Identities []age.Identity
	// Passphrases are tried on every shard encrypted to a passphrase.
	Passphrases [][]byte
	// Passphrase, if set and Passphrases is empty, is asked for the
	// passphrase of each shard encrypted to one (label names it). Its
	// error stops the opening.
	Passphrase func(label string) ([]byte, error)
	// ScryptWorkFactor, if set, bounds the scrypt work accepted (tests).
	ScryptWorkFactor int
}

// Open opens and verifies every file on its own. A file that cannot be
// unlocked or does not verify is returned as rejected, named by its label,
// so that a restore can go on without it; only a failing Passphrase stops
// the opening.
func (k *Keys) Open(files []File) ([]Candidate, []Rejected, error) {
	var shardIDs []age.Identity
	for _, p := range k.Passphrases {
		id, err := k.scrypt(p)
		if err != nil {
			return nil, nil, err
		}
		shardIDs = append(shardIDs, id)
	}
	var cands []Candidate
	var rejected []Rejected
	for _, f := range files {
		ids := k.Identities
		if file, _, err := Unwrap(f.Data); err == nil && slices.Contains(StanzaTypes(file), "scrypt") {
			ids = shardIDs
			if len(ids) == 0 && k.Passphrase != nil {
				pass, err := k.Passphrase(f.Label)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: encrypted to a passphrase: %w", f.Label, err)
				}
				id, err := k.scrypt(pass)
				if err != nil {
					return nil, nil, err
				}
				ids = []age.Identity{id}
			}
		}
		s, err := OpenShard(f.Data, ids...)
		if err != nil {
			rejected = append(rejected, Rejected{f.Label, err})
			continue
		}
		cands = append(cands, Candidate{f.Label, s})
	}
	return cands, rejected, nil
}

func (k *Keys) scrypt(pass []byte) (age.Identity, error) {
	id, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, err
	}
	if k.ScryptWorkFactor > 0 {
		id.SetMaxWorkFactor(k.ScryptWorkFactor)
	}
	return id, nil
}

// File is a shard file offered to Restore, labelled for messages.
type File struct {
	Label string
	Data  []byte
}

// Restore opens every shard file with the identities that can decrypt it,
// rejects and names the ones that cannot be opened or do not verify, and
// combines the rest (see Combine). The result lists every rejected file,
// also when an error is returned.
func Restore(files []File, keys *Keys, opt *CombineOptions) (*Result, error) {
	cands, rejected, err := keys.Open(files)
	if err != nil {
		return &Result{Rejected: rejected}, err
	}
	res, err := Combine(cands, opt)
	res.Rejected = append(rejected, res.Rejected...)
	return res, err
}

// MaxShardFileSize bounds what is read from a shard file: a shard of an
// ECDSA share, or its paper form, is well under it.
const MaxShardFileSize = 8 << 20

// ReadShardFile reads a shard file (age, armored, or its paper form) with
// its size limit; errors name the file.
func ReadShardFile(path string) ([]byte, error) {
	return boundedio.ReadFile(path, MaxShardFileSize)
}

// Verify opens every shard file on its own (Open) and, when pub is given,
// sets aside the shards that are not of that key (Shard.CheckPublic):
// what 'backup verify' reports, shard by shard.
func (k *Keys) Verify(files []File, pub *keyshare.Public) ([]Candidate, []Rejected, error) {
	cands, rejected, err := k.Open(files)
	if err != nil || pub == nil {
		return cands, rejected, err
	}
	var ok []Candidate
	for _, c := range cands {
		if err := c.Shard.CheckPublic(pub); err != nil {
			rejected = append(rejected, Rejected{Label: c.Label, Err: err})
			continue
		}
		ok = append(ok, c)
	}
	return ok, rejected, nil
}
