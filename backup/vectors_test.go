package backup

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// -update-vectors rewrites testdata/vectors/{share,shard}. The valid files
// come from the TEST-ONLY EdDSA fixture; each invalid one is a valid one with
// one defect and a .expect file holding a substring of the error.
var updateVectors = flag.Bool("update-vectors", false, "regenerate testdata/vectors/{share,shard}")

func vectorsDir(kind string) string {
	return filepath.Join(keysharetest.Root(), "vectors", kind)
}

type vector struct {
	name   string
	data   []byte
	expect string
}

// edit replaces the first match of re in data.
func edit(t *testing.T, data []byte, re, repl string) []byte {
	t.Helper()
	rx := regexp.MustCompile("(?m)" + re)
	loc := rx.FindIndex(data)
	if loc == nil {
		t.Fatalf("vector edit: %q not found", re)
	}
	return append(append(bytes.Clone(data[:loc[0]]), repl...), data[loc[1]:]...)
}

func fieldValue(t *testing.T, data []byte, key string) string {
	m := regexp.MustCompile("(?m)^" + key + ": (.*)$").FindSubmatch(data)
	if m == nil {
		t.Fatalf("no %s field", key)
	}
	return string(m[1])
}

func TestUpdateVectors(t *testing.T) {
	if !*updateVectors {
		t.Skip("run with -update-vectors to regenerate testdata/vectors/{share,shard}")
	}
	fx := keysharetest.Load(t, keyshare.CurveEd25519)
	share := fx.Inner[0]
	sd := fieldValue(t, share, "save-data")
	raw, _ := base64.StdEncoding.DecodeString(sd)
	var indented bytes.Buffer
	if err := jsonIndent(&indented, raw); err != nil {
		t.Fatal(err)
	}
	shareVecs := []vector{
		{"valid-ed25519.share", share, ""},
		{"bad-magic.share", edit(t, share, `^coldsig/share/v1$`, "coldsig/shares/v1"), "not a coldsig key share"},
		{"newer-version.share", edit(t, share, `^coldsig/share/v1$`, "coldsig/share/v3"), "unsupported format version"},
		{"key-id-mismatch.share", edit(t, share, `^key-id: .`, "key-id: f"), "does not match the public key"},
		{"uppercase-card.share", edit(t, share, `^card: .`, "card: A"), "card: not lowercase hex"},
		{"threshold-too-big.share", edit(t, share, `^threshold: 2$`, "threshold: 4"), "threshold 4 is outside 2..3"},
		{"party-out-of-range.share", edit(t, share, `^party: 1$`, "party: 4"), "party 4 is outside 1..3"},
		{"party-mismatch.share", edit(t, share, `^party: 1$`, "party: 2"), "ShareID is not the key of party 2"},
		{"wrong-curve.share", edit(t, share, `^curve: ed25519$`, "curve: secp256k1"), "save-data"},
		{"unknown-curve.share", edit(t, share, `^curve: ed25519$`, "curve: p256"), `unknown curve "p256"`},
		{"missing-save-data.share", edit(t, share, `(?s)^save-data: .*`, ""), `missing "save-data"`},
		{"noncanonical-json.share", edit(t, share, `^save-data: .*$`, "save-data: "+base64.StdEncoding.EncodeToString(indented.Bytes())), "canonical JSON"},
		{"extra-field.share", append(bytes.Clone(share), "note: hi\n"...), `unexpected field "note"`},
		{"no-final-newline.share", share[:len(share)-1], "missing final newline"},
	}
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	shard, err := tb.shards[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ct := fieldValue(t, shard, "ciphertext")
	ctb, _ := base64.StdEncoding.DecodeString(ct)
	ctb[10] ^= 1
	part := fieldValue(t, shard, "part")
	pb, _ := hex.DecodeString(part)
	pb[0] ^= 1
	zeroX := bytes.Clone(pb)
	zeroX[len(zeroX)-1] = 0
	sig := fieldValue(t, shard, "signature")
	shardVecs := []vector{
		{"valid.shard", shard, ""},
		{"bad-magic.shard", edit(t, shard, `^coldsig/shard/v1$`, "coldsig/shards/v1"), "not a coldsig backup shard"},
		{"newer-version.shard", edit(t, shard, `^coldsig/shard/v1$`, "coldsig/shard/v2"), "unsupported format version"},
		{"altered-manifest.shard", edit(t, shard, `^party: 1$`, "party: 2"), "manifest signature does not verify"},
		{"altered-signature.shard", edit(t, shard, `^signature: .*$`, "signature: "+flipHex(sig)), "manifest signature does not verify"},
		{"altered-part.shard", edit(t, shard, `^part: .*$`, "part: "+hex.EncodeToString(pb)), "does not match its commitment"},
		{"zero-x-part.shard", edit(t, shard, `^part: .*$`, "part: "+hex.EncodeToString(zeroX)), "non-zero last byte"},
		{"altered-ciphertext.shard", edit(t, shard, `^ciphertext: .*$`, "ciphertext: "+base64.StdEncoding.EncodeToString(ctb)), "does not match its hash"},
		{"truncated.shard", shard[:len(shard)/2], "missing final newline"},
		{"missing-ciphertext.shard", edit(t, shard, `^ciphertext: .*\n`, ""), `missing "ciphertext"`},
		{"index-out-of-range.shard", edit(t, shard, `^index: 1$`, "index: 4"), "index: 4 is out of range 1..3"},
		{"threshold-above-shards.shard", edit(t, shard, `^threshold: 2$`, "threshold: 4"), "threshold 4 is outside 2..3"},
		{"custodian-order.shard", edit(t, shard, `^custodian: 2 `, "custodian: 3 "), "entry 2 has index"},
		{"custodian-bad-name.shard", edit(t, shard, `custodian2$`, "custodian 2"), "invalid party name"},
		{"bad-created.shard", edit(t, shard, `^created: .*$`, "created: 2025-01-02 03:04:05"), "created: want a UTC time"},
		{"missing-custodian.shard", edit(t, shard, `^custodian: 3 .*\n`, ""), `expected "custodian", found "signature"`},
	}
	id, _ := age.GenerateX25519Identity()
	sealed, err := SealShard(tb.shards[0], id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	paper, err := RenderPaper(tb.shards[0], sealed)
	if err != nil {
		t.Fatal(err)
	}
	paperV1 := renderPaperV1(t, tb.shards[0], sealed)
	paperVecs := []vector{
		{"valid.paper", paper, ""},
		{"retyped.paper", retype(t, paper), ""},
		{"valid-v1.paper", paperV1, ""},
		{"line-typo.paper", typo(t, paper, 3), "printed line 3: checksum mismatch"},
		{"bad-char.paper", lineEdit(paper, 4, func(f []string) { f[1] = "U" + f[1][1:] }), `printed line 4: "U" is not a character of the sheet`},
		{"short-line.paper", lineEdit(paper, 5, func(f []string) { f[1] = "" }), "printed line 5: 44 characters, want 48"},
		{"line-missing.paper", edit(t, paper, `^line: 2 .*\n`, ""), "line 2: want"},
		{"lines-swapped.paper", swapLines(t, paper, "line: 2 ", "line: 3 "), "line 2: want"},
		{"words-mismatch.paper", edit(t, paper, `^words: [a-z]+`, "words: able"), "words: do not match"},
		{"digest-mismatch.paper", relined(t, paper, 2), "do not add up to the sha256 line"},
		{"size-mismatch.paper", edit(t, paper, `^size: .*$`, fmt.Sprintf("size: %d", len(sealed)+paperChunk)), "printed line"},
		{"bad-shard-label.paper", edit(t, paper, `^shard: 1 of 3$`, "shard: 4 of 3"), `want "<index> of <shards>"`},
		{"newer-version.paper", edit(t, paper, `^coldsig/shard-paper/v2$`, "coldsig/shard-paper/v3"), "unsupported format version"},
		{"line-typo-v1.paper", edit(t, paperV1, `^line: 3 .`, "line: 3 +"), "printed line 3: checksum mismatch"},
	}
	write := func(kind string, vs []vector) {
		dir := vectorsDir(kind)
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if err := os.WriteFile(filepath.Join(dir, v.name), v.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if v.expect != "" {
				if err := os.WriteFile(filepath.Join(dir, v.name+".expect"), []byte(v.expect+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	write("share", shareVecs)
	write("shard", append(shardVecs, paperVecs...))
	readme := "# TEST ONLY vectors\n\nGenerated by `make vectors` (`TestUpdateVectors` in package `backup`) from the\nTEST-ONLY fixtures of testdata/keys (the shares in them are public). Each\n`X.expect` holds a substring of the error that parsing `X` must return; a\nfile without one must parse, verify and re-encode to the same bytes.\n"
	for _, k := range []string{"share", "shard"} {
		os.WriteFile(filepath.Join(vectorsDir(k), "README.md"), []byte(readme), 0o644)
	}
}

// renderPaperV1 is version 1's writer (base64 lines), kept to make the
// version 1 vectors that show old sheets are still read.
func renderPaperV1(t *testing.T, s *Shard, file []byte) []byte {
	w := paperHeader(PaperMagicV1, s, file)
	for i, n := 0, 1; i < len(file); i, n = i+paperChunkV1, n+1 {
		chunk := base64.StdEncoding.EncodeToString(file[i:min(i+paperChunkV1, len(file))])
		w.String("line", fmt.Sprintf("%d %s %s", n, chunk, lineCheckV1(n, chunk)))
	}
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// paperLines calls f on the value of every "line:" field.
func paperLines(paper []byte, f func(n int, v string) string) []byte {
	lines := strings.Split(string(paper), "\n")
	n := 0
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "line: "); ok {
			n++
			lines[i] = "line: " + f(n, v)
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// retype writes every line as a person might type it back: lower case,
// O for 0, l and I for 1, groups run together or split by hyphens.
func retype(t *testing.T, paper []byte) []byte {
	return paperLines(paper, func(n int, v string) string {
		num, v, _ := strings.Cut(v, " ")
		v = strings.ToLower(v)
		v = strings.ReplaceAll(v, "0", "O")
		if n%2 == 0 {
			v = strings.ReplaceAll(v, "1", "l")
		} else {
			v = strings.ReplaceAll(v, "1", "I")
		}
		f := append([]string{num}, strings.Fields(v)...)
		if n%3 == 0 {
			return f[0] + " " + strings.Join(f[1:len(f)-1], "-") + " " + f[len(f)-1]
		}
		return f[0] + " " + strings.Join(f[1:len(f)-1], "") + " " + f[len(f)-1]
	})
}

// lineEdit changes the fields of line n.
func lineEdit(paper []byte, n int, edit func(f []string)) []byte {
	return paperLines(paper, func(k int, v string) string {
		if k != n {
			return v
		}
		f := strings.Fields(v)
		edit(f)
		return strings.Join(strings.Fields(strings.Join(f, " ")), " ")
	})
}

// typo changes one character of line n into another character of the
// alphabet.
func typo(t *testing.T, paper []byte, n int) []byte {
	return paperLines(paper, func(k int, v string) string {
		if k != n {
			return v
		}
		b := []byte(v)
		i := strings.IndexByte(v, ' ') + 2
		if b[i] == 'X' {
			b[i] = 'Y'
		} else {
			b[i] = 'X'
		}
		return string(b)
	})
}

// relined alters printed line n and gives it a matching line checksum, so
// only the whole-file digest can catch it.
func relined(t *testing.T, paper []byte, n int) []byte {
	return paperLines(paper, func(k int, v string) string {
		if k != n {
			return v
		}
		f := strings.Fields(v)
		b, err := crockford.DecodeString(strings.Join(f[1:len(f)-1], ""))
		if err != nil {
			t.Fatal(err)
		}
		b[0] ^= 1
		return fmt.Sprintf("%d %s %s", n, groups(crockford.EncodeToString(b)), lineCheck(n, b))
	})
}

func flipHex(s string) string {
	b, _ := hex.DecodeString(s)
	b[0] ^= 1
	return hex.EncodeToString(b)
}

func swapLines(t *testing.T, data []byte, a, b string) []byte {
	lines := strings.Split(string(data), "\n")
	ia, ib := -1, -1
	for i, l := range lines {
		if strings.HasPrefix(l, a) {
			ia = i
		}
		if strings.HasPrefix(l, b) {
			ib = i
		}
	}
	if ia < 0 || ib < 0 {
		t.Fatal("swapLines: lines not found")
	}
	lines[ia], lines[ib] = lines[ib], lines[ia]
	return []byte(strings.Join(lines, "\n"))
}

// parseVector parses one vector file by its extension.
func parseVector(name string, data []byte) error {
	switch filepath.Ext(name) {
	case ".share":
		s, err := keyshare.ParseShare(data)
		if err != nil {
			return err
		}
		again, err := keyshare.MarshalShare(s)
		if err != nil || !bytes.Equal(again, data) {
			return errRoundTrip
		}
	case ".shard":
		s, err := ParseShard(data)
		if err != nil {
			return err
		}
		if err := s.Verify(); err != nil {
			return err
		}
		again, err := s.Marshal()
		if err != nil || !bytes.Equal(again, data) {
			return errRoundTrip
		}
	case ".paper":
		_, err := ParsePaper(data)
		return err
	}
	return nil
}

// TestVectors runs every vector of the share, shard and paper formats.
func TestVectors(t *testing.T) {
	n := 0
	for _, kind := range []string{"share", "shard"} {
		files, err := filepath.Glob(filepath.Join(vectorsDir(kind), "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			name := filepath.Base(path)
			if strings.HasSuffix(name, ".expect") || strings.HasSuffix(name, ".md") {
				continue
			}
			n++
			t.Run(kind+"/"+name, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(path + ".expect")
				expect := strings.TrimSpace(string(want))
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				got := parseVector(name, data)
				switch {
				case expect == "" && got != nil:
					t.Fatalf("valid vector rejected: %v", got)
				case expect != "" && got == nil:
					t.Fatalf("invalid vector accepted (want error containing %q)", expect)
				case expect != "" && !strings.Contains(got.Error(), expect):
					t.Fatalf("error %q does not contain %q", got, expect)
				}
			})
		}
	}
	if n < 20 {
		t.Fatalf("only %d vectors found", n)
	}
}
