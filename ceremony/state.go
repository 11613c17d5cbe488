package ceremony

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/coldsig/coldsig/internal/textrec"
)

// partyStateMagic starts the engine's secret per-step record. It only ever
// exists inside a state store step file (encrypted and authenticated).
const partyStateMagic = "coldsig/party-state/v1"

// partyState is what the engine keeps between invocations, besides the
// tss-lib snapshot itself.
type partyState struct {
	// Plan is the fingerprint of the plan this party joined.
	Plan [32]byte
	// Phase indexes the flow's phase table; len(phases) means the protocol
	// finished and the party awaits everyone's confirmation.
	Phase int
	// Seq is the sequence number of the last envelope this party sent.
	Seq uint64
	// View is every broadcast sent or accepted so far.
	View View
	// Snapshot is the tss-lib party (nil once the protocol finished).
	Snapshot []byte
	// Result is the pending result (key save data or signature) between the
	// protocol's end and everyone's confirmation; it is released only then.
	Result []byte
	// ResultDigest is the digest of the public part of the result that all
	// parties must agree on (public key, or signature).
	ResultDigest [32]byte
	// Consumed records every envelope fed to tss-lib, so that a second,
	// different envelope for the same (round, sender, recipient) is caught
	// as equivocation instead of being mistaken for a re-run.
	Consumed []consumed
	// PaillierN (ECDSA signing) and TrackerN (ECDSA keygen) are what the
	// admission checks need from earlier rounds, by tss-lib index.
	PaillierN []*big.Int
	TrackerN  []*big.Int
	// LogHead is the head of log.txt once this step's lines are appended,
	// and LogLines are those lines (the last is "committed step N"). They
	// bind the log and the state to each other: a state older than the
	// log (rolled back) or a log that is not the one the state wrote
	// (truncated, replaced, deleted) is refused before anything runs, and
	// a log a crash left one step behind is completed from LogLines.
	LogHead  [32]byte
	LogLines []string
}

type consumed struct {
	Round, From, To int
	Digest          [32]byte
}

func (s *partyState) marshal() ([]byte, error) {
	w := textrec.NewWriter(partyStateMagic)
	w.Hex("plan", s.Plan[:])
	w.Uint("phase", uint64(s.Phase))
	w.Uint("seq", s.Seq)
	if len(s.View) > 0 {
		w.String("view", encodeView(s.View))
	}
	if s.Snapshot != nil {
		w.Base64("snapshot", s.Snapshot)
	}
	if len(s.Result) > 0 {
		w.Base64("result", s.Result)
	}
	if s.ResultDigest != ([32]byte{}) {
		w.Hex("result-digest", s.ResultDigest[:])
	}
	for _, c := range s.Consumed {
		w.String("consumed", fmt.Sprintf("%d %d %d %x", c.Round, c.From, c.To, c.Digest))
	}
	for _, n := range s.PaillierN {
		w.String("paillier-n", bigHex(n))
	}
	for _, n := range s.TrackerN {
		w.String("tracker-n", bigHex(n))
	}
	if s.LogHead != ([32]byte{}) {
		w.Hex("log-head", s.LogHead[:])
		for _, l := range s.LogLines {
			w.String("log-line", l)
		}
	}
	return w.Bytes()
}

func parsePartyState(data []byte) (*partyState, error) {
	rec, err := textrec.Parse(data, partyStateMagic)
	if err != nil {
		return nil, err
	}
	r := rec.Reader()
	s := &partyState{}
	copy(s.Plan[:], r.Hex("plan", 32))
	s.Phase = int(r.Uint("phase"))
	s.Seq = r.Uint("seq")
	if r.Peek() == "view" {
		f := r.Field("view")
		v, err := parseView(f.Value)
		if err != nil {
			r.Fail(f, "view: %v", err)
		}
		s.View = v
	}
	if r.Peek() == "snapshot" {
		s.Snapshot = r.Base64("snapshot")
	}
	if r.Peek() == "result" {
		s.Result = r.Base64("result")
	}
	if r.Peek() == "result-digest" {
		copy(s.ResultDigest[:], r.Hex("result-digest", 32))
	}
	for r.Peek() == "consumed" {
		f := r.Field("consumed")
		var c consumed
		var d string
		_, err := fmt.Sscanf(f.Value, "%d %d %d %64s", &c.Round, &c.From, &c.To, &d)
		raw, herr := hex.DecodeString(d)
		if err != nil || herr != nil || len(raw) != 32 || fmt.Sprintf("%d %d %d %x", c.Round, c.From, c.To, raw) != f.Value {
			r.Fail(f, "consumed: malformed entry")
			break
		}
		copy(c.Digest[:], raw)
		s.Consumed = append(s.Consumed, c)
	}
	s.PaillierN = readBigs(r, "paillier-n")
	s.TrackerN = readBigs(r, "tracker-n")
	if r.Peek() == "log-head" {
		copy(s.LogHead[:], r.Hex("log-head", 32))
		for r.Err() == nil && r.Peek() == "log-line" {
			s.LogLines = append(s.LogLines, r.String("log-line"))
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return s, nil
}

// bigHex encodes a possibly-nil big integer ("-" for nil: the admission
// tracker has gaps until every party's round-1 message arrived).
func bigHex(n *big.Int) string {
	if n == nil {
		return "-"
	}
	return n.Text(16)
}

func readBigs(r *textrec.Reader, key string) []*big.Int {
	var out []*big.Int
	for r.Peek() == key {
		f := r.Field(key)
		if f.Value == "-" {
			out = append(out, nil)
			continue
		}
		n, ok := new(big.Int).SetString(f.Value, 16)
		if !ok || n.Sign() <= 0 || strings.ToLower(f.Value) != f.Value || n.Text(16) != f.Value {
			r.Fail(f, "%s: not a positive lowercase hex number", key)
			return nil
		}
		out = append(out, n)
	}
	return out
}
