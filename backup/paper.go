package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/textrec"
)

// PaperMagic is the first line of a shard's printable form, as written
// now; PaperMagicV1 is the first version's, still read.
const (
	PaperMagic   = "coldsig/shard-paper/v2"
	PaperMagicV1 = "coldsig/shard-paper/v1"
)

// Version 2 writes each line in Crockford's base32: digits and capital
// letters without I, L, O and U, read back case-insensitively with I and L
// taken as 1 and O as 0, so the characters people confuse when they
// retype a sheet mean the same; 30 bytes per line in twelve groups of four.
// Version 1 wrote 48 bytes per line in base64.
const (
	paperChunk   = 30
	paperChunkV1 = 48
	paperGroup   = 4
)

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

const (
	paperLineDomain   = "coldsig/shard-paper/v2 line\x00"
	paperLineDomainV1 = "coldsig/shard-paper/v1 line\x00"
)

// Paper is the printable form of a shard file: the age file in numbered
// lines, each with a short checksum so a person retyping it is told which
// line is wrong, and a digest of the whole file. The header fields are
// unauthenticated labels for the person holding the sheet; OpenShard
// compares them with the decrypted content.
type Paper struct {
	BackupID  [16]byte
	Index     int
	Shards    int
	Custodian string
	File      []byte // the age-encrypted shard
}

// lineCheck is the per-line checksum of version 2: 20 bits of a
// domain-separated hash of the line number and the line's bytes, as four
// base32 characters, so a swapped or repeated line fails too.
func lineCheck(n int, chunk []byte) string {
	h := sha256.Sum256(append([]byte(paperLineDomain+strconv.Itoa(n)+" "), chunk...))
	return crockford.EncodeToString(h[:3])[:4]
}

// lineCheckV1 is version 1's: 2 bytes, hex, over the base64 text.
func lineCheckV1(n int, text string) string {
	h := sha256.Sum256([]byte(paperLineDomainV1 + strconv.Itoa(n) + " " + text))
	return hex.EncodeToString(h[:2])
}

// groups writes s in groups of four separated by spaces.
func groups(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += paperGroup {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+paperGroup, len(s))])
	}
	return b.String()
}

// normalizeBase32 reads retyped Crockford base32: case, spaces and hyphens
// do not matter, I and L are 1, O is 0.
func normalizeBase32(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-':
			return -1
		case 'i', 'I', 'l', 'L':
			return '1'
		case 'o', 'O':
			return '0'
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// decodeBase32 decodes normalized text, accepting only the canonical
// encoding of exactly n bytes.
func decodeBase32(s string, n int) ([]byte, bool) {
	b, err := crockford.DecodeString(s)
	if err != nil || len(b) != n || crockford.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// paperHeader starts a paper form of either version: what identifies the
// shard and the file's size and digest, before its lines.
func paperHeader(magic string, s *Shard, file []byte) *textrec.Writer {
	d := sha256.Sum256(file)
	w := textrec.NewWriter(magic)
	w.Hex("backup-id", s.BackupID[:])
	w.String("shard", fmt.Sprintf("%d of %d", s.Index, s.Shards()))
	w.String("custodian", s.Custodian())
	w.Uint("size", uint64(len(file)))
	w.Hex("sha256", d[:])
	w.String("words", identity.DigestWords(d))
	return w
}

// RenderPaper returns the printable form of the sealed shard file of s.
func RenderPaper(s *Shard, file []byte) ([]byte, error) {
	if len(file) == 0 {
		return nil, errors.New("empty shard file")
	}
	w := paperHeader(PaperMagic, s, file)
	for i, n := 0, 1; i < len(file); i, n = i+paperChunk, n+1 {
		chunk := file[i:min(i+paperChunk, len(file))]
		w.String("line", fmt.Sprintf("%d %s %s", n, groups(crockford.EncodeToString(chunk)), lineCheck(n, chunk)))
	}
	return w.Bytes()
}

// ParsePaper decodes a printable shard and checks every line's checksum
// and the digest of the whole file.
func ParsePaper(data []byte) (*Paper, error) {
	magic, chunkLen := PaperMagic, paperChunk
	if bytes.HasPrefix(data, []byte(PaperMagicV1+"\n")) {
		magic, chunkLen = PaperMagicV1, paperChunkV1
	}
	rec, err := textrec.Parse(data, magic)
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
	want := (size + chunkLen - 1) / chunkLen
	for n := 1; n <= want && r.Err() == nil; n++ {
		f := r.Field("line")
		if r.Err() != nil {
			break
		}
		wantLen := min(chunkLen, size-(n-1)*chunkLen)
		var chunk []byte
		var msg string
		if magic == PaperMagicV1 {
			chunk, msg = paperLineV1(f.Value, n, wantLen)
		} else {
			chunk, msg = paperLine(f.Value, n, wantLen)
		}
		if msg != "" {
			r.Fail(f, "%s", msg)
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

// paperLine reads line n of version 2: "<n> <base32 in groups> <check>",
// as printed or retyped.
func paperLine(v string, n, wantLen int) ([]byte, string) {
	fields := strings.Fields(v)
	if len(fields) < 3 || fields[0] != strconv.Itoa(n) {
		return nil, fmt.Sprintf("line %d: want \"%d <text> <check>\"", n, n)
	}
	text := normalizeBase32(strings.Join(fields[1:len(fields)-1], ""))
	check := normalizeBase32(fields[len(fields)-1])
	chunk, ok := decodeBase32(text, wantLen)
	if !ok {
		if bad := strings.Trim(text, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"); bad != "" {
			return nil, fmt.Sprintf("printed line %d: %q is not a character of the sheet; compare this line with the paper", n, bad[:1])
		}
		return nil, fmt.Sprintf("printed line %d: %d characters, want %d; compare this line with the paper", n, len(text), len(crockford.EncodeToString(make([]byte, wantLen))))
	}
	if lineCheck(n, chunk) != check {
		return nil, fmt.Sprintf("printed line %d: checksum mismatch; compare this line with the paper", n)
	}
	return chunk, ""
}

// paperLineV1 reads line n of version 1: "<n> <base64> <check>".
func paperLineV1(v string, n, wantLen int) ([]byte, string) {
	parts := strings.Split(v, " ")
	if len(parts) != 3 || parts[0] != strconv.Itoa(n) {
		return nil, fmt.Sprintf("line %d: want \"%d <text> <check>\"", n, n)
	}
	if lineCheckV1(n, parts[1]) != parts[2] {
		return nil, fmt.Sprintf("printed line %d: checksum mismatch; compare this line with the paper", n)
	}
	chunk, err := base64.StdEncoding.Strict().DecodeString(parts[1])
	if err != nil || len(chunk) != wantLen {
		return nil, fmt.Sprintf("printed line %d: malformed text", n)
	}
	return chunk, ""
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
