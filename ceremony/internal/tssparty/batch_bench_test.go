package tssparty

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/bnb-chain/tss-lib/v2/common"
)

// batchParty is one signer of a batch: N parties (one per item) kept as
// one snapshot (SnapshotBatch), restored before every step as the engine
// does, and fed their own items' messages.
type batchParty struct {
	ps      []*Party
	stats   *[]stat
	idx     int
	steps   int
	results []any
}

func (b *batchParty) key() []byte { return b.ps[0].params.PartyID().Key }

func (b *batchParty) cycle(tb testing.TB) stat {
	tb.Helper()
	t0 := time.Now()
	data, err := SnapshotBatch(b.ps)
	if err != nil {
		tb.Fatal(err)
	}
	t1 := time.Now()
	if b.ps, err = RestoreBatch(data); err != nil {
		tb.Fatal(err)
	}
	return stat{step: b.steps, party: b.idx, snapBytes: len(data), snap: t1.Sub(t0), restore: time.Since(t1)}
}

func (b *batchParty) done(tb testing.TB, st stat) {
	if b.stats != nil {
		*b.stats = append(*b.stats, st)
	}
	b.steps++
}

func (b *batchParty) start(tb testing.TB) []wireMsg {
	tb.Helper()
	st := b.cycle(tb)
	t0 := time.Now()
	var all []wireMsg
	for i, p := range b.ps {
		out, err := p.Start()
		if err != nil {
			tb.Fatal(err)
		}
		for _, w := range toWire(tb, out) {
			w.Item = i
			all = append(all, w)
		}
	}
	st.cu = time.Since(t0)
	b.done(tb, st)
	return all
}

func (b *batchParty) feed(tb testing.TB, in []wireMsg) ([]wireMsg, any) {
	tb.Helper()
	st := b.cycle(tb)
	byItem := make([][]wireMsg, len(b.ps))
	for _, m := range in {
		byItem[m.Item] = append(byItem[m.Item], m)
	}
	t0 := time.Now()
	var all []wireMsg
	finished := 0
	for i, p := range b.ps {
		out, res, err := p.Feed(toInbound(byItem[i]))
		if err != nil {
			tb.Fatalf("item %d: %v", i+1, err)
		}
		for _, w := range toWire(tb, out) {
			w.Item = i
			all = append(all, w)
		}
		if res != nil {
			b.results[i] = res
		}
		if b.results[i] != nil {
			finished++
		}
	}
	st.cu = time.Since(t0)
	b.done(tb, st)
	if finished == len(b.ps) {
		return all, b.results
	}
	return all, nil
}

// BenchmarkBatchSign measures a 2-party ECDSA signing batch of N items
// (N = 1, 5, 20) with every signer's N parties snapshotted and restored as
// one state before every step: the snapshot size and the persistence cost
// (snapshot + restore + the state store's encrypt, MAC, write and fsync)
// against tss-lib's compute, as BenchmarkFlows does for one signature.
func BenchmarkBatchSign(b *testing.B) {
	ks := sharedECDSAKeygen(b)
	pub := verifyECDSAKeys(b, ks.keys)
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("ecdsa-sign-batch-%d", n), func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				digests := make([][]byte, n)
				signers := make([]*batchParty, 2)
				for i := range signers {
					signers[i] = &batchParty{idx: i, results: make([]any, n)}
				}
				for item := 0; item < n; item++ {
					d := sha256.Sum256([]byte(fmt.Sprintf("batch item %d", item)))
					digests[item] = d[:]
					ps := signParties(b, true, ks.ids, ks.keys, []int{0, 2}, 1, d[:])
					for s, p := range ps {
						signers[s].ps = append(signers[s].ps, p)
					}
				}
				var stats []stat
				var steppers []stepper
				for _, s := range signers {
					s.stats = &stats
					steppers = append(steppers, s)
				}
				res := run(b, steppers)
				for s := range res {
					items := res[s].([]any)
					for item, r := range items {
						verifyECDSASig(b, pub, digests[item], []any{r.(*common.SignatureData)})
					}
				}
				report(b, stats)
			}
		})
	}
}
