package statestore

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The largest snapshots (ECDSA keygen and resharing) are about 300 KB; the
// outbox is shaped like ECDSA keygen round 2 for n=3 (two p2p messages and
// one broadcast). Compare the per-op time with the round's compute time
// (seconds for ECDSA keygen rounds, about 0.1 s per ECDSA signing round).
const benchSnapshot = 300 << 10

func benchOutbox(step int) []File {
	mk := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	return []File{
		{fmt.Sprintf("s%d-bc.env", step), mk(42031)},
		{fmt.Sprintf("s%d-to-p2.env", step), mk(3720)},
		{fmt.Sprintf("s%d-to-p3.env", step), mk(3720)},
	}
}

// BenchmarkAdvance measures one Advance: encode, MAC, age-encrypt, atomic
// create with fsyncs, retire the old step, write the outbox. The 1 KB case
// shows the fixed cost (mostly fsync), the 300 KB case the largest state.
func BenchmarkAdvance(b *testing.B) {
	for _, n := range []int{1 << 10, 30 << 10, benchSnapshot} {
		b.Run(fmt.Sprintf("snapshot=%dKB", n>>10), func(b *testing.B) { benchAdvance(b, n) })
	}
}

func benchAdvance(b *testing.B, n int) {
	k := testKeys(b)
	snap := make([]byte, n)
	rand.Read(snap)
	var size int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "w")
		s, err := Create(dir, testBinding("bench"), k, snap, digest("plan"), benchOutbox(1))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.Advance(1, digest("in"), snap, benchOutbox(2)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		fi, err := os.Stat(filepath.Join(dir, stateDir, StepFileName(2)))
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
		b.StartTimer()
	}
	b.ReportMetric(float64(size), "file-bytes")
}

// BenchmarkOpen300KB measures Open: decrypt, verify the MAC, parse.
func BenchmarkOpen300KB(b *testing.B) {
	k := testKeys(b)
	snap := make([]byte, benchSnapshot)
	rand.Read(snap)
	dir := filepath.Join(b.TempDir(), "w")
	bind := testBinding("bench")
	s, err := Create(dir, bind, k, snap, digest("plan"), benchOutbox(1))
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Advance(1, digest("in"), snap, benchOutbox(2)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Open(dir, bind, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeal300KB measures the CPU part of a commit without any I/O:
// encode the record, MAC it, age-encrypt it.
func BenchmarkSeal300KB(b *testing.B) {
	k := testKeys(b)
	snap := make([]byte, benchSnapshot)
	rand.Read(snap)
	rec := &record{binding: testBinding("bench"), step: 2, snapshot: snap, history: []transition{
		{in: digest("plan"), out: benchOutbox(1)}, {in: digest("in"), out: benchOutbox(2)},
	}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plain, err := rec.encode(k.mac)
		if err != nil {
			b.Fatal(err)
		}
		encryptForTest(b, plain, k.recipient)
	}
}
