package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// ErrNoIdentity means none of the given identities (or passphrases) can
// decrypt a shard: it belongs to another custodian.
var ErrNoIdentity = errors.New("none of the given identities can decrypt this shard")

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

// OpenShard decrypts a shard file (either form) with the given identities,
// parses it and verifies it on its own (Shard.Verify).
func OpenShard(data []byte, ids ...age.Identity) (*Shard, error) {
	file, paper, err := Unwrap(data)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(file), ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%w (it is encrypted to: %v)", ErrNoIdentity, nm.StanzaTypes)
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

// File is a shard file offered to Restore, labelled for messages.
type File struct {
	Label string
	Data  []byte
}

// Restore opens every shard file with the identities that can decrypt it,
// rejects and names the ones that cannot be opened or do not verify, and
// combines the rest (see Combine). The result lists every rejected file,
// also when an error is returned.
func Restore(files []File, ids []age.Identity, opt *CombineOptions) (*Result, error) {
	var cands []Candidate
	var rejected []Rejected
	for _, f := range files {
		s, err := OpenShard(f.Data, ids...)
		if err != nil {
			rejected = append(rejected, Rejected{f.Label, err})
			continue
		}
		cands = append(cands, Candidate{f.Label, s})
	}
	res, err := Combine(cands, opt)
	res.Rejected = append(rejected, res.Rejected...)
	return res, err
}
