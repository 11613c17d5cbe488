package tssparty

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
)

// benchFlow runs one flow with a snapshot and a restore of every party
// before every step (as a ceremony does) and reports, per step, the
// snapshot size and the persistence cost next to the step's compute time.
// The goal is persistence <= 5% of compute over a flow.
func benchFlow(b *testing.B, mk func() []*Party) []any {
	var res []any
	for i := 0; i < b.N; i++ {
		var stats []stat
		res = run(b, locals(mk(), false, &stats))
		report(b, stats)
	}
	return res
}

// storeCost times what a ceremony writes durably after a step with a
// snapshot of n bytes: the state store's encrypt, MAC and commit (the
// engine wraps the snapshot in its own record first; the base64 there is
// included by storing the base64 form), the retirement of the previous
// step, one outbound envelope and the engine's log.txt and progress.txt,
// as ceremony.Step writes them.
func storeCost(b *testing.B, st *statestore.Store, n int) time.Duration {
	b.Helper()
	data := make([]byte, n)
	rand.Read(data)
	rec := []byte(base64.StdEncoding.EncodeToString(data))
	var d [32]byte
	rand.Read(d[:])
	env, log := make([]byte, 1<<10), make([]byte, 6<<10)
	rand.Read(env)
	rand.Read(log)
	out := []statestore.File{{Name: fmt.Sprintf("step-%d.env", st.Step()), Data: env}}
	t := time.Now()
	if err := st.Advance(st.Step(), d, rec, out,
		statestore.File{Name: "log.txt", Data: log}, statestore.File{Name: "progress.txt", Data: []byte("coldsig/progress/v1\nslot: 1\nphase: 1\n")}); err != nil {
		b.Fatal(err)
	}
	return time.Since(t)
}

func newBenchStore(b *testing.B) *statestore.Store {
	b.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	keys, err := statestore.NewKeys(id)
	if err != nil {
		b.Fatal(err)
	}
	var session [32]byte
	rand.Read(session[:])
	st, err := statestore.Create(filepath.Join(b.TempDir(), "w"), statestore.Binding{Session: session, Party: 1, Protocol: "ecdsa-keygen"}, keys, []byte("x"), [32]byte{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func report(b *testing.B, stats []stat) {
	b.Helper()
	sort.SliceStable(stats, func(i, j int) bool { return stats[i].step < stats[j].step })
	store := newBenchStore(b)
	var snap, restore, cu, write time.Duration
	maxBytes, total := 0, 0
	b.Logf("%4s %5s %10s %10s %10s %12s %12s", "step", "party", "bytes", "snapshot", "restore", "encrypt+write", "compute")
	for _, s := range stats {
		w := storeCost(b, store, s.snapBytes)
		write += w
		b.Logf("%4d %5d %10d %10s %10s %12s %12s", s.step, s.party, s.snapBytes,
			s.snap.Round(time.Microsecond), s.restore.Round(time.Microsecond), w.Round(time.Microsecond), s.cu.Round(time.Microsecond))
		snap += s.snap
		restore += s.restore
		cu += s.cu
		total += s.snapBytes
		maxBytes = max(maxBytes, s.snapBytes)
	}
	n := float64(len(stats))
	b.ReportMetric(float64(maxBytes), "max-snapshot-B")
	b.ReportMetric(float64(total)/n, "mean-snapshot-B")
	b.ReportMetric(float64(snap.Microseconds())/n, "snapshot-us/step")
	b.ReportMetric(float64(restore.Microseconds())/n, "restore-us/step")
	b.ReportMetric(float64(cu.Microseconds())/n, "compute-us/step")
	b.ReportMetric(float64(write.Microseconds())/n, "encrypt+write-us/step")
	// snapshot + restore + encrypt/MAC/write/fsync, against tss-lib compute.
	b.ReportMetric(100*float64(snap+restore+write)/float64(cu), "persist-%-of-compute")
}

func BenchmarkFlows(b *testing.B) {
	var ks *keyset
	b.Run("ecdsa-keygen-2of3", func(b *testing.B) {
		ids := newIDs(b, 3)
		res := benchFlow(b, func() []*Party { return keygenParties(b, true, ids, 1, []int{0, 1, 2}) })
		verifyECDSAKeys(b, res)
		ks = &keyset{ids: ids, keys: res}
	})
	if ks == nil {
		b.Fatal("ECDSA keygen failed")
	}
	digest := sha256.Sum256([]byte("benchmark"))
	b.Run("ecdsa-sign-2", func(b *testing.B) {
		pub := verifyECDSAKeys(b, ks.keys)
		verifyECDSASig(b, pub, digest[:], benchFlow(b, func() []*Party {
			return signParties(b, true, ks.ids, ks.keys, []int{0, 1}, 1, digest[:])
		}))
	})
	b.Run("ecdsa-reshare-2of3-to-2of3", func(b *testing.B) {
		benchFlow(b, func() []*Party {
			old, nw := reshareParties(b, true, ks.ids, ks.keys, []int{0, 2}, 1, newIDs(b, 3), 1, []int{3, 4, 5})
			return append(old, nw...)
		})
	})
	ids := newIDs(b, 3)
	var edKeys []any
	b.Run("eddsa-keygen-2of3", func(b *testing.B) {
		edKeys = benchFlow(b, func() []*Party { return keygenParties(b, false, ids, 1, nil) })
	})
	if edKeys == nil {
		b.Fatal("EdDSA keygen failed")
	}
	b.Run("eddsa-sign-2", func(b *testing.B) {
		pub := verifyEdDSAKeys(b, edKeys)
		verifyEdDSASig(b, pub, digest[:], benchFlow(b, func() []*Party {
			return signParties(b, false, ids, edKeys, []int{0, 2}, 1, digest[:])
		}))
	})
	b.Run("eddsa-reshare-2of3-to-3of4", func(b *testing.B) {
		benchFlow(b, func() []*Party {
			old, nw := reshareParties(b, false, ids, edKeys, []int{0, 1}, 1, newIDs(b, 4), 2, nil)
			return append(old, nw...)
		})
	})
}
