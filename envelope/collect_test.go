package envelope

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/coldsig/coldsig/identity"
)

type world struct {
	t       *testing.T
	dir     string
	ids     []*identity.Identity // slot i+1
	roster  []*identity.Card
	session [32]byte
}

func newWorld(t *testing.T, n int) *world {
	w := &world{t: t, dir: t.TempDir()}
	for i := 0; i < n; i++ {
		id := mustIdentity(t, string(rune('a'+i)))
		w.ids = append(w.ids, id)
		w.roster = append(w.roster, id.Card())
	}
	copy(w.session[:], bytes.Repeat([]byte{0x5e}, 32))
	return w
}

// put seals an envelope from slot `from` and writes it under name (or the
// conventional name). Broadcasts go to every party, p2p to the recipient.
func (w *world) put(name string, h Header, payload string, signer *identity.Identity) string {
	w.t.Helper()
	if h.Session == ([32]byte{}) {
		h.Session = w.session
	}
	if h.Protocol == "" {
		h.Protocol = "eddsa-keygen"
	}
	var rcpts []age.Recipient
	if h.To == ToAll {
		for _, c := range w.roster {
			rcpts = append(rcpts, c.Recipient)
		}
	} else {
		rcpts = []age.Recipient{w.roster[h.To-1].Recipient}
	}
	if signer == nil {
		signer = w.ids[h.From-1]
	}
	data, err := Seal(h, []byte(payload), signer, rcpts)
	if err != nil {
		w.t.Fatal(err)
	}
	if name == "" {
		name = FileName(h)
	}
	return w.write(name, data)
}

func (w *world) write(name string, data []byte) string {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) collect(me, round int) (*Collection, error) {
	w.t.Helper()
	ents, err := os.ReadDir(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	var paths []string
	for _, e := range ents {
		paths = append(paths, filepath.Join(w.dir, e.Name()))
	}
	return Collect(paths, w.ids[me-1], Expect{Session: w.session, Protocol: "eddsa-keygen", Round: round, Me: me, Roster: w.roster})
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// ageTo encrypts text to the cards, as a file that is not an envelope.
func ageTo(t *testing.T, text string, to ...*identity.Card) []byte {
	t.Helper()
	var rcpts []age.Recipient
	for _, c := range to {
		rcpts = append(rcpts, c.Recipient)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func skipReasons(c *Collection) map[string]string {
	m := map[string]string{}
	for _, s := range c.Skipped {
		m[filepath.Base(s.File)] = s.Reason
	}
	return m
}

func TestCollectSharedStick(t *testing.T) {
	w := newWorld(t, 4)
	bc1 := w.put("", Header{Round: 2, From: 1, To: ToAll, Seq: 2}, "bc from 1", nil)
	p2p3 := w.put("", Header{Round: 2, From: 3, To: 2, Seq: 3}, "p2p 3->2", nil)
	w.put("", Header{Round: 2, From: 3, To: 4, Seq: 4}, "p2p 3->4", nil)
	data, _ := os.ReadFile(bc1)
	// Sorts before bc1, so bc1 itself is the one reported as the duplicate.
	cp := w.write("copy-of-bc1.age", data)
	w.put("", Header{Round: 1, From: 1, To: ToAll, Seq: 1}, "old", nil)
	w.put("", Header{Round: 3, From: 1, To: ToAll, Seq: 3}, "future", nil)
	other := w.session
	other[0] ^= 1
	w.put("other.age", Header{Session: other, Round: 2, From: 1, To: ToAll, Seq: 2}, "other session", nil)
	w.put("mine.age", Header{Round: 2, From: 2, To: ToAll, Seq: 2}, "mine", nil)
	w.write("README.txt", []byte("not an envelope"))
	w.write("._cs-foo.age", []byte("macOS resource fork"))
	// A share or backup shard of this party's on the stick: age, for me,
	// not an envelope. Skipped (named), never an error that stops a step.
	w.write("share.age", ageTo(t, "coldsig/share/v1\nkey: value\n", w.roster[1]))
	before := snapshot(t, w.dir)

	c, err := w.collect(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Envelopes {
		got = append(got, string(e.Payload))
		if err := e.Verify(w.roster[e.From-1]); err != nil {
			t.Error(err)
		}
	}
	if strings.Join(got, "|") != "bc from 1|p2p 3->2" {
		t.Errorf("envelopes = %q", got)
	}
	if c.Envelopes[1].Path != p2p3 {
		t.Errorf("path = %q, want %q", c.Envelopes[1].Path, p2p3)
	}
	reasons := skipReasons(c)
	want := map[string]string{
		"README.txt":       "not an .age file",
		"._cs-foo.age":     "not an .age file",
		filepath.Base(bc1): "duplicate of " + cp,
		"cs-5e5e5e5e-eddsa-keygen-r02-p3-to-p4.age":  "encrypted to other parties",
		"cs-5e5e5e5e-eddsa-keygen-r01-p1-to-all.age": "round 1, already consumed",
		"cs-5e5e5e5e-eddsa-keygen-r03-p1-to-all.age": "round 3, kept for later",
		"other.age": "other session 5f5e5e5e",
		"mine.age":  "sent by this party",
		"share.age": "encrypted to you but not an envelope (a key share or backup shard?); move it off the stick",
	}
	for f, r := range want {
		if reasons[f] != r {
			t.Errorf("%s: skip reason %q, want %q", f, reasons[f], r)
		}
	}
	for _, sk := range c.Skipped {
		if sk.NotEnvelope != (filepath.Base(sk.File) == "share.age") || sk.Quiet && sk.NotEnvelope {
			t.Errorf("%s: NotEnvelope %v, Quiet %v", sk.File, sk.NotEnvelope, sk.Quiet)
		}
	}
	if len(c.Skipped) != len(want) {
		t.Errorf("skipped %d files, want %d: %v", len(c.Skipped), len(want), reasons)
	}
	if after := snapshot(t, w.dir); len(after) != len(before) {
		t.Error("Collect changed the directory")
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("Collect changed %s", k)
			}
		}
	}
}

func TestCollectErrors(t *testing.T) {
	mallory := mustIdentity(t, "mallory")
	for _, tc := range []struct {
		name   string
		setup  func(w *world)
		reason string
		sender int
		is     error
	}{
		{"equivocation to all", func(w *world) {
			w.put("x1.age", Header{Round: 2, From: 4, To: ToAll, Seq: 5}, "one", nil)
			w.put("x2.age", Header{Round: 2, From: 4, To: ToAll, Seq: 5}, "two", nil)
		}, "party 4 sent two different round 2 envelopes to all (the other is ", 4, ErrEquivocation},
		{"equivocation by seq", func(w *world) {
			w.put("x1.age", Header{Round: 2, From: 4, To: ToAll, Seq: 5}, "one", nil)
			w.put("x2.age", Header{Round: 2, From: 4, To: 2, Seq: 5}, "two", nil)
		}, "party 4 sent two different round 2 envelopes with seq 5", 4, ErrEquivocation},
		{"bad signature", func(w *world) {
			w.put("x.age", Header{Round: 2, From: 3, To: ToAll}, "forged", mallory)
		}, "bad signature: claims to be from party 3 (c)", 0, ErrBadSignature},
		{"unknown sender", func(w *world) {
			w.put("x.age", Header{Round: 2, From: 9, To: ToAll}, "who", mallory)
		}, "unknown sender: slot 9, but the roster has 4 parties", 0, ErrBadSignature},
		{"other protocol", func(w *world) {
			w.put("x.age", Header{Protocol: "eddsa-sign", Round: 2, From: 1, To: ToAll}, "p", nil)
		}, "party 1 sent protocol eddsa-sign", 1, ErrBadHeader},
		{"not age", func(w *world) {
			w.write("x.age", []byte("hello\n"))
		}, "not a coldsig envelope: not an age file", 0, ErrNotEnvelope},
		{"too large", func(w *world) {
			w.write("x.age", make([]byte, MaxEnvelopeSize+1))
		}, "file too large", 0, ErrTooLarge},
		{"tampered", func(w *world) {
			p := w.put("x.age", Header{Round: 2, From: 1, To: ToAll}, "p", nil)
			b, _ := os.ReadFile(p)
			b[len(b)-3] ^= 0x40
			w.write("x.age", b)
		}, "damaged or tampered age file", 0, ErrDamaged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 4)
			tc.setup(w)
			c, err := w.collect(2, 2)
			if err == nil {
				t.Fatalf("no error; collection %+v", c)
			}
			if len(c.Errors) != 1 {
				t.Fatalf("errors = %v", c.Errors)
			}
			re := c.Errors[0]
			if !strings.Contains(re.Error(), tc.reason) || !strings.HasPrefix(re.Error(), filepath.Join(w.dir, "x")) {
				t.Errorf("error %q, want file name and %q", re.Error(), tc.reason)
			}
			if re.Sender != tc.sender {
				t.Errorf("sender = %d, want %d", re.Sender, tc.sender)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
			var target *ReceiveError
			if !errors.As(err, &target) {
				t.Error("joined error is not a *ReceiveError")
			}
		})
	}
}

func TestCollectExpectValidation(t *testing.T) {
	w := newWorld(t, 3)
	ex := Expect{Session: w.session, Protocol: "eddsa-keygen", Round: 1, Me: 1, Roster: w.roster}
	if _, err := Collect(nil, w.ids[1], ex); err == nil || !strings.Contains(err.Error(), "does not match roster slot 1") {
		t.Errorf("wrong identity for slot: %v", err)
	}
	ex.Me = 4
	if _, err := Collect(nil, w.ids[0], ex); err == nil {
		t.Error("slot outside roster accepted")
	}
	ex.Me = 1
	c, err := Collect(nil, w.ids[0], ex)
	if err != nil || len(c.Envelopes) != 0 {
		t.Errorf("empty inbox: %v %v", c, err)
	}
}

func TestCollectOrder(t *testing.T) {
	w := newWorld(t, 4)
	w.put("z.age", Header{Round: 1, From: 1, To: 3, Seq: 1}, "1->3", nil)
	w.put("a.age", Header{Round: 1, From: 4, To: ToAll, Seq: 1}, "4 bc", nil)
	w.put("m.age", Header{Round: 1, From: 1, To: ToAll, Seq: 2}, "1 bc", nil)
	c, err := w.collect(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Envelopes {
		got = append(got, string(e.Payload))
	}
	if strings.Join(got, ",") != "1 bc,1->3,4 bc" {
		t.Errorf("order = %v", got)
	}
}

// TestCollectMisaddressed: a message for party 3 that was (wrongly)
// encrypted to party 2 as well is not consumed by party 2.
func TestCollectMisaddressed(t *testing.T) {
	w := newWorld(t, 3)
	h := Header{Session: w.session, Protocol: "eddsa-keygen", Round: 1, From: 1, To: 3, Seq: 1}
	data, err := Seal(h, []byte("for 3"), w.ids[0], []age.Recipient{w.roster[1].Recipient, w.roster[2].Recipient})
	if err != nil {
		t.Fatal(err)
	}
	w.write("x.age", data)
	c, err := w.collect(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Envelopes) != 0 || skipReasons(c)["x.age"] != "addressed to party 3" {
		t.Errorf("envelopes %d, skipped %v", len(c.Envelopes), skipReasons(c))
	}
}

func BenchmarkCollect(b *testing.B) {
	dir := b.TempDir()
	var ids []*identity.Identity
	var roster []*identity.Card
	for i := 0; i < 3; i++ {
		ids = append(ids, mustIdentity(b, "p"))
		roster = append(roster, ids[i].Card())
	}
	var session [32]byte
	session[0] = 1
	payload := make([]byte, 133755) // ECDSA keygen round 1 broadcast
	var paths []string
	for r := 1; r <= 3; r++ {
		for from := 1; from <= 3; from++ {
			h := Header{Session: session, Protocol: "ecdsa-keygen", Round: r, From: from, To: ToAll, Seq: uint64(r)}
			data, err := Seal(h, payload, ids[from-1], []age.Recipient{roster[0].Recipient, roster[1].Recipient, roster[2].Recipient})
			if err != nil {
				b.Fatal(err)
			}
			p := filepath.Join(dir, FileName(h))
			if err := os.WriteFile(p, data, 0o600); err != nil {
				b.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	ex := Expect{Session: session, Protocol: "ecdsa-keygen", Round: 2, Me: 1, Roster: roster}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := Collect(paths, ids[0], ex)
		if err != nil || len(c.Envelopes) != 2 {
			b.Fatal(err)
		}
	}
}
