package backup

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/textrec"
)

// PaperMagic is the first line of a shard's printable form.
const PaperMagic = "coldsig/shard-paper/v1"

// paperChunk is the number of file bytes per printed line (64 base64
// characters).
const paperChunk = 48

const paperLineDomain = "coldsig/shard-paper/v1 line\x00"

// Paper is the printable form of a shard file: the age file in numbered
// base64 lines, each with a short checksum so a person retyping it is told
// which line is wrong, and a digest of the whole file. The header fields
// are unauthenticated labels for the person holding the sheet; OpenShard
// compares them with the decrypted content.
type Paper struct {
	BackupID  [16]byte
	Index     int
	Shards    int
	Custodian string
	File      []byte // the age-encrypted shard
}

// lineCheck is the per-line checksum: 2 bytes of a domain-separated hash
// of the line number and the text, so a swapped or repeated line fails too.
func lineCheck(n int, chunk string) string {
	h := sha256.Sum256([]byte(paperLineDomain + strconv.Itoa(n) + " " + chunk))
	return hex.EncodeToString(h[:2])
}

// RenderPaper returns the printable form of the sealed shard file of s.
func RenderPaper(s *Shard, file []byte) ([]byte, error) {
	if len(file) == 0 {
		return nil, errors.New("empty shard file")
	}
	d := sha256.Sum256(file)
	w := textrec.NewWriter(PaperMagic)
	w.Hex("backup-id", s.BackupID[:])
	w.String("shard", fmt.Sprintf("%d of %d", s.Index, s.Shards()))
	w.String("custodian", s.Custodian())
	w.Uint("size", uint64(len(file)))
	w.Hex("sha256", d[:])
	w.String("words", identity.DigestWords(d))
	for i, n := 0, 1; i < len(file); i, n = i+paperChunk, n+1 {
		chunk := base64.StdEncoding.EncodeToString(file[i:min(i+paperChunk, len(file))])
		w.String("line", fmt.Sprintf("%d %s %s", n, chunk, lineCheck(n, chunk)))
	}
	return w.Bytes()
}

// ParsePaper decodes a printable shard and checks every line's checksum
// and the digest of the whole file.
func ParsePaper(data []byte) (*Paper, error) {
	rec, err := textrec.Parse(data, PaperMagic)
	if err != nil {
		if errors.Is(err, textrec.ErrNotRecord) {
			return nil, shardErr("not a printed backup shard (expected first line %q)", PaperMagic)
		}
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	r := rec.Reader()
	p := &Paper{}
	copy(p.BackupID[:], r.Hex("backup-id", 16))
	sf := r.Field("shard")
	if r.Err() == nil {
		a, b, ok := strings.Cut(sf.Value, " of ")
		i, err1 := strconv.Atoi(a)
		m, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || strconv.Itoa(i) != a || strconv.Itoa(m) != b || m < 2 || m > MaxShards || i < 1 || i > m {
			r.Fail(sf, `shard: want "<index> of <shards>"`)
		}
		p.Index, p.Shards = i, m
	}
	cf := r.Field("custodian")
	if r.Err() == nil {
		if err := identity.ValidName(cf.Value); err != nil {
			r.Fail(cf, "custodian: %v", err)
		}
		p.Custodian = cf.Value
	}
	size := boundedSize(r)
	digest := r.Hex("sha256", 32)
	wf := r.Field("words")
	if r.Err() == nil && digest != nil {
		var d [32]byte
		copy(d[:], digest)
		if wf.Value != identity.DigestWords(d) {
			r.Fail(wf, "words: do not match the sha256 line")
		}
	}
	want := (size + paperChunk - 1) / paperChunk
	for n := 1; n <= want && r.Err() == nil; n++ {
		f := r.Field("line")
		if r.Err() != nil {
			break
		}
		parts := strings.Split(f.Value, " ")
		if len(parts) != 3 || parts[0] != strconv.Itoa(n) {
			r.Fail(f, "line %d: want \"%d <text> <check>\"", n, n)
			break
		}
		if lineCheck(n, parts[1]) != parts[2] {
			r.Fail(f, "printed line %d: checksum mismatch; compare this line with the paper", n)
			break
		}
		chunk, err := base64.StdEncoding.Strict().DecodeString(parts[1])
		wantLen := min(paperChunk, size-(n-1)*paperChunk)
		if err != nil || len(chunk) != wantLen {
			r.Fail(f, "printed line %d: malformed text", n)
			break
		}
		p.File = append(p.File, chunk...)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	if d := sha256.Sum256(p.File); hex.EncodeToString(d[:]) != hex.EncodeToString(digest) {
		return nil, shardErr("printed shard: the lines do not add up to the sha256 line")
	}
	return p, nil
}

func boundedSize(r *textrec.Reader) int {
	f := r.Field("size")
	if r.Err() != nil {
		return 0
	}
	n, err := strconv.Atoi(f.Value)
	if err != nil || strconv.Itoa(n) != f.Value || n < 1 || n > 2*maxShardFile {
		r.Fail(f, "size: want a decimal number in 1..%d", 2*maxShardFile)
		return 0
	}
	return n
}
