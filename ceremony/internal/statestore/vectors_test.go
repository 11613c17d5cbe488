package statestore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
)

var updateVectors = flag.Bool("update-vectors", false, "regenerate testdata/vectors/state (age output is randomised, so this rewrites every .age file)")

const vectorDir = "../../../testdata/vectors/state"

// vectorBinding is what every vector is expected to belong to (see the
// README in the vector directory).
var vectorBinding = Binding{Session: sha256.Sum256([]byte("coldsig state test vector")), Party: 2, Protocol: "ecdsa-signing"}

func vectorKeys(t testing.TB) Keys {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorDir, "TEST-ONLY-identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "AGE-SECRET-KEY-1") {
			id, err := age.ParseX25519Identity(l)
			if err != nil {
				t.Fatal(err)
			}
			k, err := NewKeys(id)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	t.Fatal("no identity in TEST-ONLY-identity.txt")
	return Keys{}
}

type expectation map[string]string

func readExpect(t *testing.T, path string) expectation {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e := expectation{}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			t.Fatalf("%s: bad line %q", path, l)
		}
		e[k] = v
	}
	return e
}

// TestVectors runs every vector of the state formats: step files (.age)
// loaded through Open from a work directory, step file plaintexts (.inner)
// through the record decoder, and session records (.session).
func TestVectors(t *testing.T) {
	k := vectorKeys(t)
	entries, err := os.ReadDir(vectorDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if ext != ".age" && ext != ".inner" && ext != ".session" {
			if ext != ".expect" && name != "README.md" && name != "TEST-ONLY-identity.txt" {
				t.Errorf("unknown file %s in %s", name, vectorDir)
			}
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(vectorDir, name))
			if err != nil {
				t.Fatal(err)
			}
			exp := readExpect(t, filepath.Join(vectorDir, name+".expect"))
			var rec *record
			switch ext {
			case ".age":
				step, err := strconv.ParseUint(exp["step"], 10, 64)
				if err != nil {
					t.Fatalf("expect: step: %v", err)
				}
				dir := t.TempDir()
				sess, err := (&Status{Binding: vectorBinding, Status: StatusJoined}).encode()
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, sessionFile), sess, 0o600)
				os.Mkdir(filepath.Join(dir, stateDir), 0o700)
				if err := os.WriteFile(filepath.Join(dir, stateDir, StepFileName(step)), data, 0o600); err != nil {
					t.Fatal(err)
				}
				var s *Store
				s, err = Open(dir, vectorBinding, k)
				if s != nil {
					rec = s.rec
				}
				check(t, exp, err)
			case ".inner":
				rec, err = decodeRecord(data, k.mac)
				check(t, exp, err)
			case ".session":
				st, err := parseStatus(data)
				check(t, exp, err)
				if err == nil {
					if st.Status != exp["status"] {
						t.Errorf("status %q, want %q", st.Status, exp["status"])
					}
					re, err := st.encode()
					if err != nil || !bytes.Equal(re, data) {
						t.Errorf("re-encoding differs: %v", err)
					}
				}
			}
			if rec != nil {
				if got := strconv.FormatUint(rec.step, 10); got != exp["step"] {
					t.Errorf("step %s, want %s", got, exp["step"])
				}
				sum := sha256.Sum256(rec.snapshot)
				if got := hex.EncodeToString(sum[:]); got != exp["snapshot-sha256"] {
					t.Errorf("snapshot sha256 %s, want %s", got, exp["snapshot-sha256"])
				}
				outs := 0
				for _, tr := range rec.history {
					outs += len(tr.out)
				}
				if got := strconv.Itoa(outs); got != exp["outs"] {
					t.Errorf("%s outbound envelopes, want %s", got, exp["outs"])
				}
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d vectors found", n)
	}
}

func check(t *testing.T, exp expectation, err error) {
	t.Helper()
	want, wantErr := exp["error"]
	switch {
	case wantErr && err == nil:
		t.Fatalf("accepted, want error containing %q", want)
	case wantErr && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one containing %q", err, want)
	case !wantErr && err != nil:
		t.Fatalf("unexpected error: %v", err)
	}
}

// TestGenerateVectors rewrites the vectors; it runs only with -update-vectors.
func TestGenerateVectors(t *testing.T) {
	if !*updateVectors {
		t.Skip("run with -update-vectors to regenerate the vectors")
	}
	idPath := filepath.Join(vectorDir, "TEST-ONLY-identity.txt")
	if _, err := os.Stat(idPath); err != nil {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		text := "# TEST ONLY. This age identity is published on purpose: it decrypts the\n" +
			"# test vectors in this directory and must never protect anything real.\n" +
			"# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
		if err := os.MkdirAll(vectorDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(idPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	k := vectorKeys(t)
	other := testKeys(t)

	valid := &record{
		binding:  vectorBinding,
		step:     2,
		snapshot: fill("vector snapshot", 200),
		history: []transition{
			{in: digest("vector join"), out: []File{{"r1-bc.env", []byte("round 1 broadcast")}, {"r1-to-p3.env", []byte("round 1 to party 3")}}},
			{in: digest("vector round 2"), out: []File{{"r2-to-p3.env", []byte("round 2 to party 3")}}},
		},
	}
	enc := func(r *record, key []byte) []byte {
		b, err := r.encode(key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	validPlain := enc(valid, k.mac)
	body := string(validPlain[:bytes.LastIndex(validPlain, []byte("mac: "))])
	withMAC := func(body string) []byte {
		return []byte(body + "mac: " + hex.EncodeToString(computeMAC(k.mac, []byte(body))) + "\n")
	}
	sum := sha256.Sum256(valid.snapshot)
	okExpect := "step: 2\nsnapshot-sha256: " + hex.EncodeToString(sum[:]) + "\nouts: 3\n"

	files := map[string]string{}
	add := func(name string, data []byte, expect string) {
		files[name] = string(data)
		files[name+".expect"] = expect
	}
	replace := func(old, new string) string {
		if !strings.Contains(body, old) {
			t.Fatalf("vector mutation: %q not in body", old)
		}
		return strings.Replace(body, old, new, 1)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

	add("inner-valid.inner", validPlain, okExpect)
	add("inner-bad-magic.inner", withMAC(replace(StateMagic, "coldsig/statx/v1")), "error: not a coldsig file\n")
	add("inner-version-2.inner", withMAC(replace(StateMagic, "coldsig/state/v2")), "error: unsupported format version\n")
	flipped := []byte(string(validPlain))
	flipped[len(StateMagic)+20] ^= 1
	add("inner-mac-mismatch.inner", flipped, "error: not written by this party\n")
	add("inner-other-key.inner", enc(valid, other.mac), "error: not written by this party\n")
	add("inner-missing-mac.inner", []byte(body), "error: missing \"mac\" as the last field\n")
	add("inner-mac-not-hex.inner", []byte(body+"mac: "+strings.Repeat("Z", 64)+"\n"), "error: mac: not 32 bytes of lowercase hex\n")
	add("inner-field-after-mac.inner", append(bytes.Clone(validPlain), "note: x\n"...), "error: missing \"mac\" as the last field\n")
	add("inner-field-order.inner", withMAC(join(append([]string{lines[0], lines[2], lines[1]}, lines[3:]...)...)), "error: line 2: expected \"session\", found \"party\"\n")
	add("inner-unknown-field.inner", withMAC(body+"note: hello\n"), "error: unexpected field \"note\"\n")
	add("inner-step-zero.inner", withMAC(replace("\nstep: 2\n", "\nstep: 0\n")), "error: step: must be at least 1\n")
	add("inner-step-leading-zero.inner", withMAC(replace("\nstep: 2\n", "\nstep: 02\n")), "error: step: not a canonical decimal number\n")
	add("inner-party-range.inner", withMAC(replace("\nparty: 2\n", "\nparty: 70000\n")), "error: party: 70000 is out of range 0..65535\n")
	add("inner-protocol-upper.inner", withMAC(replace("protocol: ecdsa-signing", "protocol: ECDSA-signing")), "error: only a-z, 0-9 and - allowed\n")
	add("inner-session-short.inner", withMAC(replace("session: ", "session: 00")), "error: session: 33 bytes, want 32\n")
	add("inner-snapshot-base64.inner", withMAC(replace("snapshot: ", "snapshot: A")), "error: snapshot: invalid base64\n")
	add("inner-in-missing.inner", withMAC(replace("in: 2 ", "xx: 2 ")), "error: step: 2, but 1 \"in\" lines\n")
	add("inner-in-gap.inner", withMAC(replace("in: 2 ", "in: 3 ")), "error: in: step \"3\", want 2\n")
	add("inner-in-extra.inner", withMAC(replace("in: 2 ", "in: 2 "+hex.EncodeToString(make([]byte, 32))+"\nin: 3 ")), "error: in: more lines than steps\n")
	add("inner-in-upper-hex.inner", withMAC(strings.Replace(body, "in: 1 "+hex.EncodeToString(valid.history[0].in[:]), "in: 1 "+strings.ToUpper(hex.EncodeToString(valid.history[0].in[:])), 1)), "error: in: digest is not 32 bytes of lowercase hex\n")
	add("inner-out-step-range.inner", withMAC(replace("out: 2 r2-to-p3.env", "out: 3 r2-to-p3.env")), "error: out: step \"3\" not in 1..2\n")
	add("inner-out-dup-name.inner", withMAC(replace("out: 2 r2-to-p3.env", "out: 2 r1-to-p3.env")), "error: out: name \"r1-to-p3.env\" used twice\n")
	add("inner-out-unsorted.inner", withMAC(replace("out: 1 r1-to-p3.env", "out: 1 r0-to-p3.env")), "error: out: lines not sorted\n")
	add("inner-out-bad-name.inner", withMAC(replace("out: 2 r2-to-p3.env", "out: 2 ../r2")), "error: out: file name\n")
	add("inner-out-fields.inner", withMAC(replace("out: 2 r2-to-p3.env ", "out: 2 r2-to-p3.env x ")), "error: out: expected \"<step> <name> <base64>\"\n")
	add("inner-crlf.inner", []byte(StateMagic+"\n"+strings.ReplaceAll(string(validPlain[len(StateMagic)+1:]), "\n", "\r\n")), "error: line 2: session: control character\n")

	ageTo := func(plain []byte, r age.Recipient) []byte { return encryptForTest(t, plain, r) }
	validAge := ageTo(validPlain, k.recipient)
	add("step-valid.age", validAge, okExpect)
	add("step-renamed.age", validAge, "step: 3\nerror: bound to another step (2, but its file name says 3)\n")
	add("step-other-recipient.age", ageTo(validPlain, other.recipient), "step: 2\nerror: cannot decrypt: not encrypted to this party's identity\n")
	add("step-forged.age", ageTo(enc(valid, other.mac), k.recipient), "step: 2\nerror: not written by this party\n")
	for _, m := range []struct {
		name string
		mut  func(*Binding)
		want string
	}{
		{"session", func(b *Binding) { b.Session[31] ^= 1 }, "bound to another session"},
		{"party", func(b *Binding) { b.Party = 3 }, "bound to another party (3, expected 2)"},
		{"protocol", func(b *Binding) { b.Protocol = "eddsa-signing" }, "bound to another protocol"},
	} {
		r := *valid
		m.mut(&r.binding)
		add("step-other-"+m.name+".age", ageTo(enc(&r, k.mac), k.recipient), "step: 2\nerror: "+m.want+"\n")
	}
	add("step-truncated.age", validAge[:len(validAge)-10], "step: 2\nerror: cannot decrypt\n")
	fl := bytes.Clone(validAge)
	fl[len(fl)-1] ^= 1
	add("step-flipped.age", fl, "step: 2\nerror: cannot decrypt\n")
	add("step-plaintext.age", validPlain, "step: 2\nerror: cannot decrypt\n")
	add("step-inner-invalid.age", ageTo(withMAC(replace("in: 2 ", "in: 3 ")), k.recipient), "step: 2\nerror: in: step \"3\", want 2\n")

	sessEnc := func(s *Status) []byte {
		b, err := s.encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	joined := sessEnc(&Status{Binding: vectorBinding, Status: StatusJoined})
	add("session-joined.session", joined, "status: joined\n")
	add("session-finished.session", sessEnc(&Status{Binding: vectorBinding, Status: StatusFinished, Step: 4, Results: []string{"public.json", "share.age"}}), "status: finished\n")
	aborted := sessEnc(&Status{Binding: vectorBinding, Status: StatusAborted, Step: 2, Reason: "party 3 sent two different round 2 broadcasts", Culprit: "party 3"})
	add("session-aborted.session", aborted, "status: aborted\n")
	add("session-aborted-no-culprit.session", sessEnc(&Status{Binding: vectorBinding, Status: StatusAborted, Reason: "officer abort"}), "status: aborted\n")
	add("session-version-2.session", bytes.Replace(joined, []byte("/v1"), []byte("/v2"), 1), "error: unsupported format version\n")
	add("session-joined-step.session", append(bytes.Clone(joined), "step: 1\n"...), "error: unexpected field \"step\"\n")
	add("session-status-unknown.session", bytes.Replace(joined, []byte("status: joined"), []byte("status: paused"), 1), "error: status: \"paused\" is not joined, finished or aborted\n")
	add("session-aborted-no-reason.session", bytes.Replace(aborted, []byte("reason: party 3 sent two different round 2 broadcasts\n"), nil, 1), "error: expected \"reason\", found \"culprit\"\n")
	add("session-results-unsorted.session", []byte(string(joined[:bytes.Index(joined, []byte("status"))])+"status: finished\nstep: 4\nresult: share.age\nresult: public.json\n"), "error: result: names not strictly ascending\n")
	add("session-result-path.session", []byte(string(joined[:bytes.Index(joined, []byte("status"))])+"status: finished\nstep: 4\nresult: ../share.age\n"), "error: result: file name\n")

	old, _ := filepath.Glob(filepath.Join(vectorDir, "*.*"))
	for _, p := range old {
		if b := filepath.Base(p); b != "README.md" && b != "TEST-ONLY-identity.txt" {
			os.Remove(p)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(vectorDir, n), []byte(files[n]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
