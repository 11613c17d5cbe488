package qr

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/bytewords"
)

// Test vectors live in testdata/vectors/qr: NAME.frames holds frames, one
// per line (lines starting with '#' are comments). A valid vector has
// NAME.payload, the expected payload in hex; an invalid one has
// NAME.expect, a substring of the first error the frames produce (from
// Add, or from Result when every frame was accepted).

const vectorDir = "../testdata/vectors/qr"

var updateVectors = flag.Bool("update-vectors", false, "rewrite the generated vectors in "+vectorDir)

func readFrames(t testing.TB, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// decodeFrames feeds frames and returns the payload or the first error.
func decodeFrames(frames []string) ([]byte, error) {
	var d Decoder
	for _, f := range frames {
		if _, err := d.Add(f); err != nil {
			return nil, err
		}
	}
	return d.Result()
}

func TestVectors(t *testing.T) {
	if *updateVectors {
		writeGeneratedVectors(t)
	}
	names, err := filepath.Glob(filepath.Join(vectorDir, "*.frames"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no vectors in %s: %v", vectorDir, err)
	}
	for _, name := range names {
		base := strings.TrimSuffix(name, ".frames")
		t.Run(filepath.Base(base), func(t *testing.T) {
			frames := readFrames(t, name)
			got, err := decodeFrames(frames)
			if want, rerr := os.ReadFile(base + ".payload"); rerr == nil {
				wantBytes, herr := hex.DecodeString(strings.TrimSpace(string(want)))
				if herr != nil {
					t.Fatal(herr)
				}
				if err != nil {
					t.Fatalf("valid vector rejected: %v", err)
				}
				if !bytes.Equal(got, wantBytes) {
					t.Fatalf("payload %x, want %x", got, wantBytes)
				}
				return
			}
			expect, rerr := os.ReadFile(base + ".expect")
			if rerr != nil {
				t.Fatalf("%s has neither .payload nor .expect", name)
			}
			if err == nil {
				t.Fatalf("invalid vector accepted, payload %x", got)
			}
			if !strings.Contains(err.Error(), strings.TrimSpace(string(expect))) {
				t.Fatalf("error %q does not contain %q", err, strings.TrimSpace(string(expect)))
			}
		})
	}
}

// frameOf builds a multipart frame from raw fields, with a valid bytewords
// checksum, so that hostile headers reach the checks behind it.
func frameOf(seq string, cbor []byte) string {
	return "ur:bytes/" + seq + "/" + bytewords.EncodeMinimal(cbor)
}

// writeGeneratedVectors writes the vectors that are made by code rather
// than copied from the reference; run `go test ./qr -run TestVectors
// -update-vectors` after changing it, and review the diff.
func writeGeneratedVectors(t *testing.T) {
	ref := makeMessage(256, "Wolf")
	msg := wrapBytes(ref)
	enc := newFountainEncoder(msg, 30, MinFragmentLen)
	var parts []part
	for i := 0; i < 12; i++ {
		parts = append(parts, enc.next())
	}
	p1 := parts[0]
	write := func(name, comment string, frames []string, expect string, payload []byte) {
		var b strings.Builder
		fmt.Fprintf(&b, "# %s\n", comment)
		for _, f := range frames {
			b.WriteString(f + "\n")
		}
		must(t, os.WriteFile(filepath.Join(vectorDir, name+".frames"), []byte(b.String()), 0o644))
		if payload != nil {
			must(t, os.WriteFile(filepath.Join(vectorDir, name+".payload"), []byte(hex.EncodeToString(payload)+"\n"), 0o644))
		} else {
			must(t, os.WriteFile(filepath.Join(vectorDir, name+".expect"), []byte(expect+"\n"), 0o644))
		}
	}
	withFields := func(p part, mod func(*part)) string {
		q := p
		q.data = append([]byte(nil), p.data...)
		mod(&q)
		return frameOf(fmt.Sprintf("%d-%d", q.seqNum, q.seqLen), q.cbor())
	}

	// Valid: the published reference strings (see ur_test.go), and a
	// single-fragment frame recorded from the Rust ur crate, which writes
	// it as part 1-1 where the C++ reference writes a single-part UR.
	write("ref-single-part", "reference test_single_part_ur: makeMessage(50, \"Wolf\")", []string{refSinglePart}, "", makeMessage(50, "Wolf"))
	write("ref-multipart", "reference test_ur_encoder: makeMessage(256, \"Wolf\"), 20 parts of at most 30 bytes", refMultipart, "", ref)
	write("ref-mixed-parts-first", "the same, fountain parts 10-20 first, then the pure ones", append(append([]string{}, refMultipart[9:]...), refMultipart[:9]...), "", ref)
	ur120 := make([]byte, 120)
	for i := range ur120 {
		ur120[i] = byte(i * 37 % 251)
	}
	write("ur-crate-1-1", "Rust ur crate, 120 bytes (i*37 mod 251) in one fragment, written as part 1-1",
		[]string{"ur:bytes/1-1/lpadadcskncyjyrthdzthdknhdksaedagejlmwrhueaydpgmktnssevabeechtlboxsowycsfsidltpsttyncxfeimmyqztaaxdegtjpmsrfvybddygoknnesswlbwethllfossfwncwfzihlepetyytcnfdjnmorluoamdngdkpnyrsvebaeohdkioestwpcmfrhnlppktkwkckfxislgprtsaddsgrjomdrdurasdmguksntsavdbyenhplaonsgwscffmialolschsann"}, "", ur120)

	// Valid: our own encoder, upper case, shuffled with duplicates and
	// surrounding space, then fountain parts only.
	payload := []byte("coldsig QR test vector: the quick brown fox jumps over the lazy dog, 0123456789 times over and over again.")
	fr, err := Encode(payload, &Options{MaxFragmentLen: 20, Redundancy: 2})
	must(t, err)
	mixed := []string{fr[3], fr[0], "  " + fr[3] + "  ", fr[5], fr[1], fr[4], fr[2], fr[0]}
	write("coldsig-upper-shuffled", "coldsig's own upper-case frames, out of order, with duplicates and blanks", mixed, "", payload)
	write("coldsig-fountain-only", "only fountain-mixed frames, none of the first seqLen", fr[len(fr)/3:], "", payload)

	// Invalid.
	write("not-ur", "a QR code that is not a UR", []string{"https://example.com/"}, "not a UR frame", nil)
	write("wrong-type", "a UR of another type (ur-rs crypto-psbt vector)",
		[]string{"ur:crypto-psbt/1-7/lpadatcskncyjyrthdztgmhdksaedagejlmwrhueaydpgmktnssevabeecfrfwesgw"}, "unsupported UR type", nil)
	good := frameOf("1-9", p1.cbor())
	// Swap one two-letter word for another valid one.
	w := good[len(good)-20 : len(good)-18]
	repl := "ae"
	if w == "ae" {
		repl = "ad"
	}
	bad := good[:len(good)-20] + repl + good[len(good)-18:]
	write("bad-checksum", "one word of a reference frame changed", []string{bad}, "damaged frame", nil)
	write("truncated-word", "a reference frame cut by one letter", []string{good[:len(good)-1]}, "malformed UR frame", nil)
	write("truncated-byte", "a reference frame cut by one byte (two letters)", []string{good[:len(good)-2]}, "damaged frame", nil)
	write("seq-disagrees", "the sequence in the path differs from the body", []string{frameOf("2-9", p1.cbor())}, "disagrees", nil)
	write("seq-zero", "sequence number 0", []string{frameOf("0-9", p1.cbor())}, "bad sequence", nil)
	write("seq-garbage", "non-numeric sequence", []string{frameOf("1-9x", p1.cbor())}, "bad sequence", nil)
	write("extra-component", "four path components", []string{"ur:bytes/1-9/x/" + bytewords.EncodeMinimal(p1.cbor())}, "path components", nil)
	write("huge-length", "a frame declaring a 2 GiB payload",
		[]string{withFields(p1, func(q *part) { q.messageLen = 1 << 31; q.seqLen = (1<<31 + 29) / 29 })}, "declared payload too large", nil)
	write("too-many-fragments", "a frame declaring 100000 fragments of 1 byte",
		[]string{withFields(p1, func(q *part) { q.messageLen = 100000; q.seqLen = 100000; q.data = q.data[:1] })}, "declared payload too large", nil)
	write("inconsistent-lengths", "seqLen does not match messageLen and fragment size",
		[]string{withFields(p1, func(q *part) { q.seqLen = 20; q.seqNum = 1 })}, "cannot hold", nil)
	nonCanon := append([]byte{0x85, 0x18, 0x01}, p1.cbor()[2:]...)
	write("non-canonical-cbor", "sequence number 1 written as 0x18 0x01", []string{frameOf("1-9", nonCanon)}, "shortest CBOR form", nil)
	trailing := append(p1.cbor(), 0)
	write("trailing-bytes", "a byte after the fragment", []string{frameOf("1-9", trailing)}, "after the fragment", nil)
	notArray := append([]byte{0x84}, p1.cbor()[1:]...)
	write("not-five-elements", "a 4-element array", []string{frameOf("1-9", notArray)}, "5-element CBOR array", nil)
	other := newFountainEncoder(wrapBytes(makeMessage(256, "Other")), 30, MinFragmentLen).next()
	write("mixed-payloads", "a frame of another payload after the first",
		[]string{frameOf("1-9", p1.cbor()), frameOf("1-9", other.cbor())}, "frame belongs to another payload", nil)
	var five []string
	for _, p := range parts[:5] {
		five = append(five, frameOf(fmt.Sprintf("%d-9", p.seqNum), p.cbor()))
	}
	write("incomplete", "five of nine fragments", five, "payload not complete", nil)
	var tampered []string
	for i, p := range parts[:9] {
		if i == 4 {
			p.data = append([]byte(nil), p.data...)
			p.data[0] ^= 1
		}
		tampered = append(tampered, frameOf(fmt.Sprintf("%d-9", p.seqNum), p.cbor()))
	}
	write("payload-checksum", "fragment 5 altered, its frame checksum recomputed", tampered, "reassembled payload does not match its checksum", nil)
	write("not-byte-string", "single-part ur:bytes whose content is not a CBOR byte string (ur-rs vector)",
		[]string{"ur:bytes/iehsjyhspmwfwfia"}, "ur:bytes content has CBOR major type", nil)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzDecoder feeds arbitrary lines to a decoder: it must never panic, and
// whatever it completes must carry a matching checksum (Result checks it).
func FuzzDecoder(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(vectorDir, "*.frames"))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err == nil {
			f.Add(string(data))
		}
	}
	f.Add(refSinglePart)
	f.Fuzz(func(t *testing.T, s string) {
		var d Decoder
		for _, line := range strings.Split(s, "\n") {
			d.Add(line)
		}
		if d.Complete() {
			if _, err := d.Result(); err != nil {
				t.Fatalf("complete but Result fails: %v", err)
			}
		}
	})
}

// FuzzParsePart checks that the CBOR part parser accepts exactly the
// canonical form: whatever it accepts re-encodes to the same bytes.
func FuzzParsePart(f *testing.F) {
	enc := newFountainEncoder(wrapBytes(makeMessage(256, "Wolf")), 30, MinFragmentLen)
	for i := 0; i < 12; i++ {
		f.Add(enc.next().cbor())
	}
	f.Add([]byte{0x85, 0x01, 0x01, 0x01, 0x00, 0x41, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePart(b)
		if err != nil {
			return
		}
		if got := p.cbor(); !bytes.Equal(got, b) {
			t.Fatalf("parsePart(%x) re-encodes as %x", b, got)
		}
	})
}
