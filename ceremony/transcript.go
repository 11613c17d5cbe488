package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/coldsig/coldsig/internal/textrec"
)

// Broadcast is one broadcast message as a party saw it: its message key
// (round*10 + sub-message number, see messageKey), its sender's slot and
// the SHA-256 of its tss-lib payload.
type Broadcast struct {
	Round  int // message key
	From   int
	Digest [32]byte
}

// View is the set of broadcasts a party sent or accepted, sorted by round
// then sender. tss-lib assumes a broadcast channel where everyone sees the
// same message; on a USB stick nothing enforces that, so parties exchange
// views and compare before any result is released.
type View []Broadcast

func (v View) sorted() View {
	out := append(View(nil), v...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Round != out[j].Round {
			return out[i].Round < out[j].Round
		}
		return out[i].From < out[j].From
	})
	return out
}

// add records b, refusing a different digest for the same round and sender.
func (v *View) add(b Broadcast) error {
	for _, x := range *v {
		if x.Round == b.Round && x.From == b.From {
			if x.Digest != b.Digest {
				return &EquivocationError{Sender: b.From, Round: b.Round}
			}
			return nil
		}
	}
	*v = append(*v, b)
	*v = v.sorted()
	return nil
}

// RoundDigest is the digest of the broadcasts of one protocol round in the
// view;
// envelopes of the next round carry it as their echo so that in symmetric
// flows an equivocating sender is caught one round later, not only at the
// end.
func (v View) RoundDigest(round int) [32]byte {
	h := sha256.New()
	h.Write([]byte("coldsig/echo/v1\x00"))
	for _, b := range v.sorted() {
		if b.Round/10 == round {
			writeBroadcast(h, b)
		}
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

func writeBroadcast(h interface{ Write([]byte) (int, error) }, b Broadcast) {
	var buf [8]byte
	binary.BigEndian.PutUint32(buf[:4], uint32(b.Round))
	binary.BigEndian.PutUint32(buf[4:], uint32(b.From))
	h.Write(buf[:])
	h.Write(b.Digest[:])
}

// EquivocationError means a party sent different contents as the same
// broadcast to different parties (or twice to us).
type EquivocationError struct {
	Sender int
	Round  int
	// Witness is the slot of the party whose view disagreed, if the
	// conflict was found by comparing views.
	Witness int
}

func (e *EquivocationError) Error() string {
	if e.Witness != 0 {
		return fmt.Sprintf("party %d sent different round-%d broadcasts to different parties (party %d saw another one)", e.Sender, e.Round/10, e.Witness)
	}
	return fmt.Sprintf("party %d sent two different round-%d broadcasts", e.Sender, e.Round/10)
}

// MergeViews combines every party's view, keyed by slot. Any two views that
// disagree on the same (round, sender) name that sender as equivocating.
func MergeViews(views map[int]View) (View, error) {
	slots := make([]int, 0, len(views))
	for s := range views {
		slots = append(slots, s)
	}
	sort.Ints(slots)
	var union View
	seenBy := map[[2]int]int{}
	for _, s := range slots {
		for _, b := range views[s] {
			key := [2]int{b.Round, b.From}
			if err := union.add(b); err != nil {
				return nil, &EquivocationError{Sender: b.From, Round: b.Round, Witness: s}
			}
			if _, ok := seenBy[key]; !ok {
				seenBy[key] = s
			}
		}
	}
	return union, nil
}

// TranscriptDigest binds the session, the plan and every broadcast of the
// ceremony. Every honest party computes the same value from the merged
// views; it is printed as words so officers can compare it aloud.
func TranscriptDigest(session [32]byte, planFingerprint [32]byte, union View) [32]byte {
	h := sha256.New()
	h.Write([]byte("coldsig/transcript/v1\x00"))
	h.Write(session[:])
	h.Write(planFingerprint[:])
	for _, b := range union.sorted() {
		writeBroadcast(h, b)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// encodeView and parseView carry a view inside a confirmation envelope as
// text lines "round from digest".
func encodeView(v View) string {
	var parts []string
	for _, b := range v.sorted() {
		parts = append(parts, fmt.Sprintf("%d:%d:%x", b.Round, b.From, b.Digest))
	}
	return strings.Join(parts, ",")
}

func parseView(s string) (View, error) {
	var v View
	if s == "" {
		return v, nil
	}
	for _, p := range strings.Split(s, ",") {
		var b Broadcast
		var d string
		if _, err := fmt.Sscanf(strings.ReplaceAll(p, ":", " "), "%d %d %s", &b.Round, &b.From, &d); err != nil {
			return nil, fmt.Errorf("malformed view entry %q", p)
		}
		raw, err := hex.DecodeString(d)
		if err != nil || len(raw) != 32 || fmt.Sprintf("%d:%d:%x", b.Round, b.From, raw) != p {
			return nil, fmt.Errorf("malformed view entry %q", p)
		}
		copy(b.Digest[:], raw)
		if err := v.add(b); err != nil {
			return nil, err
		}
	}
	if encodeView(v) != s {
		return nil, fmt.Errorf("view is not in canonical order")
	}
	return v, nil
}

// Log is the party's local, hash-chained record of everything it sent and
// accepted. Each entry's chain value is SHA-256(previous chain || entry
// text), so a later edit of any entry changes the head; the head digest is
// part of the party's result. The log holds envelope digests and headers,
// never payloads or secrets.
type Log struct {
	Entries []LogEntry
}

// LogEntry is one line of the log.
type LogEntry struct {
	Chain [32]byte
	Text  string
}

const logMagic = "coldsig/log/v1"

// MaxLogSize bounds what any reader (the engine, status, report) reads of
// a work dir's log.txt: a few KB per ceremony in practice, so one limit
// for all keeps a log that one of them accepts readable by the others.
const MaxLogSize = 4 << 20

// Append adds an entry and returns the new head.
func (l *Log) Append(text string) [32]byte {
	prev := l.Head()
	h := sha256.New()
	h.Write(prev[:])
	h.Write([]byte(text))
	var c [32]byte
	copy(c[:], h.Sum(nil))
	l.Entries = append(l.Entries, LogEntry{c, text})
	return c
}

// Head is the chain value of the last entry (zero for an empty log).
func (l *Log) Head() [32]byte {
	if len(l.Entries) == 0 {
		return [32]byte{}
	}
	return l.Entries[len(l.Entries)-1].Chain
}

// Marshal encodes the log as a text record, one "entry" field per entry.
func (l *Log) Marshal() ([]byte, error) {
	w := textrec.NewWriter(logMagic)
	for _, e := range l.Entries {
		w.String("entry", hex.EncodeToString(e.Chain[:])+" "+e.Text)
	}
	return w.Bytes()
}

// ParseLog decodes a log and verifies its chain.
func ParseLog(data []byte) (*Log, error) {
	rec, err := textrec.Parse(data, logMagic)
	if err != nil {
		return nil, err
	}
	r := rec.Reader()
	var l Log
	for r.Peek() == "entry" {
		f := r.Field("entry")
		c, text, ok := strings.Cut(f.Value, " ")
		chain, err := hex.DecodeString(c)
		if !ok || err != nil || len(chain) != 32 || hex.EncodeToString(chain) != c {
			r.Fail(f, "entry: malformed chain value")
			break
		}
		got := l.Append(text)
		if !bytes.Equal(got[:], chain) {
			r.Fail(f, "entry: hash chain broken (the log was edited)")
			break
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return &l, nil
}
