package tssparty

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/decred/dcrd/dcrec/edwards/v2"
)

// wireMsg is a message as it travels between parties: routing plus the
// tss-lib wire bytes, nothing that points into a party.
type wireMsg struct {
	From []byte   `json:"from"`
	To   [][]byte `json:"to"` // nil: broadcast to everyone else
	Wire []byte   `json:"wire"`
	Bc   bool     `json:"bc"`
	// Item is the batch item the message belongs to (batch benchmarks).
	Item int `json:"item,omitempty"`
}

func toWire(tb testing.TB, msgs []tss.Message) []wireMsg {
	tb.Helper()
	var out []wireMsg
	for _, m := range msgs {
		b, r, err := m.WireBytes()
		if err != nil {
			tb.Fatal(err)
		}
		w := wireMsg{From: r.From.Key, Wire: b, Bc: m.IsBroadcast()}
		if m.GetTo() != nil {
			w.To = [][]byte{}
			for _, id := range m.GetTo() {
				w.To = append(w.To, id.Key)
			}
		}
		out = append(out, w)
	}
	return out
}

func toInbound(msgs []wireMsg) []Inbound {
	var in []Inbound
	for _, m := range msgs {
		in = append(in, Inbound{From: tss.NewPartyID("", "", new(big.Int).SetBytes(m.From)), Wire: m.Wire, IsBroadcast: m.Bc})
	}
	return in
}

// stepper runs one party's protocol steps, in this process or another.
type stepper interface {
	key() []byte
	start(tb testing.TB) []wireMsg
	feed(tb testing.TB, in []wireMsg) ([]wireMsg, any)
}

// stat is one step of one party, for the benchmarks.
type stat struct {
	step, party       int
	snapBytes         int
	snap, restore, cu time.Duration
}

// localParty snapshots and restores its party from bytes before every
// step and continues with the restored copy; the live one is dropped. With
// check set it also compares live and restored (values and sharing) and
// requires the re-snapshot of the restored party to be byte-identical.
type localParty struct {
	p     *Party
	check bool
	stats *[]stat
	idx   int
	steps int
}

func (l *localParty) key() []byte { return l.p.params.PartyID().Key }

func (l *localParty) cycle(tb testing.TB) stat {
	tb.Helper()
	t0 := time.Now()
	data, err := l.p.Snapshot()
	if err != nil {
		tb.Fatalf("party %d step %d: snapshot: %v", l.idx, l.steps, err)
	}
	t1 := time.Now()
	r, err := Restore(data)
	if err != nil {
		tb.Fatalf("party %d step %d: restore: %v", l.idx, l.steps, err)
	}
	st := stat{step: l.steps, party: l.idx, snapBytes: len(data), snap: t1.Sub(t0), restore: time.Since(t1)}
	if l.check {
		if err := Compare(l.p, r); err != nil {
			tb.Fatalf("party %d step %d: restored party differs: %v", l.idx, l.steps, err)
		}
		again, err := r.Snapshot()
		if err != nil {
			tb.Fatalf("party %d step %d: re-snapshot: %v", l.idx, l.steps, err)
		}
		if !bytes.Equal(data, again) {
			tb.Fatalf("party %d step %d: re-snapshot of the restored party differs", l.idx, l.steps)
		}
	}
	l.p = r
	return st
}

func (l *localParty) record(st stat) {
	if l.stats != nil {
		*l.stats = append(*l.stats, st)
	}
	l.steps++
}

func (l *localParty) start(tb testing.TB) []wireMsg {
	tb.Helper()
	st := l.cycle(tb)
	t0 := time.Now()
	out, err := l.p.Start()
	if err != nil {
		tb.Fatalf("party %d: start: %v", l.idx, err)
	}
	st.cu = time.Since(t0)
	l.record(st)
	return toWire(tb, out)
}

func (l *localParty) feed(tb testing.TB, in []wireMsg) ([]wireMsg, any) {
	tb.Helper()
	st := l.cycle(tb)
	t0 := time.Now()
	out, res, err := l.p.Feed(toInbound(in))
	if err != nil {
		tb.Fatalf("party %d step %d: feed: %v", l.idx, l.steps, err)
	}
	st.cu = time.Since(t0)
	l.record(st)
	return toWire(tb, out), res
}

// run drives the parties in lock step: every step, each party gets all
// messages addressed to it by the previous step. It returns each party's
// result, in party order.
func run(tb testing.TB, parties []stepper) []any {
	tb.Helper()
	byKey := map[string]int{}
	for i, p := range parties {
		byKey[string(p.key())] = i
	}
	pending := make([][]wireMsg, len(parties))
	route := func(msgs []wireMsg) {
		for _, m := range msgs {
			if m.To == nil {
				for i, p := range parties {
					if !bytes.Equal(p.key(), m.From) {
						pending[i] = append(pending[i], m)
					}
				}
				continue
			}
			for _, k := range m.To {
				if i, ok := byKey[string(k)]; ok {
					pending[i] = append(pending[i], m)
				}
			}
		}
	}
	for _, p := range parties {
		route(p.start(tb))
	}
	results := make([]any, len(parties))
	done := 0
	for step := 0; done < len(parties); step++ {
		if step > 40 {
			tb.Fatalf("protocol did not finish; %d of %d parties done", done, len(parties))
		}
		cur := pending
		pending = make([][]wireMsg, len(parties))
		any := false
		for i, p := range parties {
			if len(cur[i]) == 0 {
				continue
			}
			any = true
			out, res := p.feed(tb, cur[i])
			route(out)
			if res != nil {
				if results[i] != nil {
					tb.Fatalf("party %d produced two results", i)
				}
				results[i] = res
				done++
			}
		}
		if !any && done < len(parties) {
			tb.Fatalf("deadlock: no messages in flight, %d of %d parties done", done, len(parties))
		}
	}
	return results
}

func locals(ps []*Party, check bool, stats *[]stat) []stepper {
	var out []stepper
	for i, p := range ps {
		out = append(out, &localParty{p: p, check: check, stats: stats, idx: i})
	}
	return out
}

// newIDs makes n parties with fresh random keys, as coldsig does.
func newIDs(tb testing.TB, n int) tss.SortedPartyIDs {
	tb.Helper()
	var u tss.UnSortedPartyIDs
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256))
		if err != nil {
			tb.Fatal(err)
		}
		u = append(u, tss.NewPartyID(hex.EncodeToString(k.Bytes()), fmt.Sprintf("P%d", i+1), k))
	}
	return tss.SortPartyIDs(u)
}

func preParams(tb testing.TB, i int) ecdsakeygen.LocalPreParams {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "preparams", fmt.Sprintf("test-only-%d.json", i)))
	if err != nil {
		tb.Fatal(err)
	}
	var p ecdsakeygen.LocalPreParams
	if err := json.Unmarshal(b, &p); err != nil {
		tb.Fatal(err)
	}
	if !p.ValidateWithProof() {
		tb.Fatalf("test pre-params %d are incomplete", i)
	}
	return p
}

func curveOf(ecdsa bool) tss.CurveName {
	if ecdsa {
		return tss.Secp256k1
	}
	return tss.Ed25519
}

func curve(ecdsa bool) elliptic.Curve {
	c, _ := tss.GetCurveByName(curveOf(ecdsa))
	return c
}

// keygenParties builds n keygen parties with tss-lib threshold t.
func keygenParties(tb testing.TB, ecdsa bool, ids tss.SortedPartyIDs, t int, pre []int) []*Party {
	tb.Helper()
	ctx := tss.NewPeerContext(ids)
	var ps []*Party
	for i, id := range ids {
		params := tss.NewParameters(curve(ecdsa), ctx, id, len(ids), t)
		var p *Party
		var err error
		if ecdsa {
			p, err = NewECDSAKeygen(params, preParams(tb, pre[i]))
		} else {
			p, err = NewEdDSAKeygen(params)
		}
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// signParties builds signing parties for the signers (indexes into ids
// and keys).
func signParties(tb testing.TB, ecdsa bool, ids tss.SortedPartyIDs, keys []any, signers []int, t int, msg []byte) []*Party {
	tb.Helper()
	var sel tss.UnSortedPartyIDs
	for _, i := range signers {
		id := ids[i]
		sel = append(sel, tss.NewPartyID(id.Id, id.Moniker, id.KeyInt()))
	}
	sorted := tss.SortPartyIDs(sel)
	ctx := tss.NewPeerContext(sorted)
	var ps []*Party
	for _, id := range sorted {
		var key any
		for j := range ids {
			if bytes.Equal(ids[j].Key, id.Key) {
				key = keys[j]
			}
		}
		params := tss.NewParameters(curve(ecdsa), ctx, id, len(sorted), t)
		m := new(big.Int).SetBytes(msg)
		var p *Party
		var err error
		if ecdsa {
			p, err = NewECDSASign(m, params, *key.(*ecdsakeygen.LocalPartySaveData), len(msg))
		} else {
			p, err = NewEdDSASign(m, params, *key.(*eddsakeygen.LocalPartySaveData), len(msg))
		}
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// reshareParties builds the old committee (the signers among ids, with
// their keys) and a new committee of fresh party keys.
func reshareParties(tb testing.TB, ecdsa bool, ids tss.SortedPartyIDs, keys []any, signers []int, t int, newIDs tss.SortedPartyIDs, newT int, pre []int) (old, nw []*Party) {
	tb.Helper()
	var sel tss.UnSortedPartyIDs
	for _, i := range signers {
		sel = append(sel, tss.NewPartyID(ids[i].Id, ids[i].Moniker, ids[i].KeyInt()))
	}
	oldIDs := tss.SortPartyIDs(sel)
	oldCtx, newCtx := tss.NewPeerContext(oldIDs), tss.NewPeerContext(newIDs)
	for _, id := range oldIDs {
		var key any
		for j := range ids {
			if bytes.Equal(ids[j].Key, id.Key) {
				key = keys[j]
			}
		}
		params := tss.NewReSharingParameters(curve(ecdsa), oldCtx, newCtx, id, len(oldIDs), t, len(newIDs), newT)
		var p *Party
		var err error
		if ecdsa {
			p, err = NewECDSAReshare(params, *key.(*ecdsakeygen.LocalPartySaveData))
		} else {
			p, err = NewEdDSAReshare(params, *key.(*eddsakeygen.LocalPartySaveData))
		}
		if err != nil {
			tb.Fatal(err)
		}
		old = append(old, p)
	}
	for i, id := range newIDs {
		params := tss.NewReSharingParameters(curve(ecdsa), oldCtx, newCtx, id, len(oldIDs), t, len(newIDs), newT)
		var p *Party
		var err error
		if ecdsa {
			save := ecdsakeygen.NewLocalPartySaveData(len(newIDs))
			save.LocalPreParams = preParams(tb, pre[i])
			p, err = NewECDSAReshare(params, save)
		} else {
			p, err = NewEdDSAReshare(params, eddsakeygen.NewLocalPartySaveData(len(newIDs)))
		}
		if err != nil {
			tb.Fatal(err)
		}
		nw = append(nw, p)
	}
	return old, nw
}

// verifyECDSAKeys checks every share against the group key: BigXj = xj*G
// and one public key for all.
func verifyECDSAKeys(tb testing.TB, keys []any) *ecdsa.PublicKey {
	tb.Helper()
	var pub *ecdsa.PublicKey
	for i, k := range keys {
		s := k.(*ecdsakeygen.LocalPartySaveData)
		if s.Xi == nil {
			tb.Fatalf("key %d has no share", i)
		}
		idx, err := s.OriginalIndex()
		if err != nil {
			tb.Fatal(err)
		}
		x, y := tss.S256().ScalarBaseMult(s.Xi.Bytes())
		if s.BigXj[idx].X().Cmp(x) != 0 || s.BigXj[idx].Y().Cmp(y) != 0 {
			tb.Fatalf("key %d: BigXj != xi*G", i)
		}
		p := s.ECDSAPub.ToECDSAPubKey()
		if pub != nil && (pub.X.Cmp(p.X) != 0 || pub.Y.Cmp(p.Y) != 0) {
			tb.Fatalf("key %d has another group key", i)
		}
		pub = p
	}
	return pub
}

func verifyEdDSAKeys(tb testing.TB, keys []any) ed25519.PublicKey {
	tb.Helper()
	var pub ed25519.PublicKey
	for i, k := range keys {
		s := k.(*eddsakeygen.LocalPartySaveData)
		if s.Xi == nil {
			tb.Fatalf("key %d has no share", i)
		}
		p := ed25519.PublicKey((&edwards.PublicKey{Curve: tss.Edwards(), X: s.EDDSAPub.X(), Y: s.EDDSAPub.Y()}).Serialize())
		if pub != nil && !bytes.Equal(pub, p) {
			tb.Fatalf("key %d has another group key", i)
		}
		pub = p
	}
	return pub
}

func verifyECDSASig(tb testing.TB, pub *ecdsa.PublicKey, digest []byte, results []any) {
	tb.Helper()
	for i, r := range results {
		sig := r.(*common.SignatureData)
		if !ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig.R), new(big.Int).SetBytes(sig.S)) {
			tb.Fatalf("signer %d: ECDSA signature does not verify", i)
		}
	}
}

func verifyEdDSASig(tb testing.TB, pub ed25519.PublicKey, msg []byte, results []any) {
	tb.Helper()
	for i, r := range results {
		sig := r.(*common.SignatureData)
		if !ed25519.Verify(pub, msg, sig.Signature) {
			tb.Fatalf("signer %d: Ed25519 signature does not verify", i)
		}
	}
}

// newKeys keeps the new committee's results of a reshare and checks that
// the old committee got nothing.
func newKeys(tb testing.TB, results []any, oldCount int) []any {
	tb.Helper()
	for i, r := range results[:oldCount] {
		switch s := r.(type) {
		case *ecdsakeygen.LocalPartySaveData:
			if s.Xi != nil {
				tb.Fatalf("old member %d received a share", i)
			}
		case *eddsakeygen.LocalPartySaveData:
			if s.Xi != nil {
				tb.Fatalf("old member %d received a share", i)
			}
		}
	}
	return results[oldCount:]
}

type eddsaSave = eddsakeygen.LocalPartySaveData
