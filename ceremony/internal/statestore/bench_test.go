package statestore

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
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

// A signing step of the ceremony engine, as written durably: the step
// file (a 2-party ECDSA signing state is 6 to 43 KB, with the engine's
// record around it), the retirement of the previous step, one envelope
// (0.7 to 10 KB), and the engine's log.txt (about 6 KB at the end of a
// signing) and progress.txt. Every step advances a fresh store (the record's
// history grows by one envelope a step, as in a ten-step signing).
const (
	benchStepSnapshot = 40 << 10
	benchStepEnvelope = 1 << 10
	benchStepLog      = 6 << 10
	benchStepProgress = 40
	benchStepsPerSign = 10
)

// BenchmarkSigningStep measures the durable writes of one signing step
// (everything after the round's compute: seal, commit, retire, outbox, log,
// progress) and reports the median and the spread over b.N steps; run it
// with -benchtime=Nx. Compare with compute-us/step of
// tssparty's BenchmarkFlows/ecdsa-sign-2 and eddsa-sign-2.
func BenchmarkSigningStep(b *testing.B) {
	k := testKeys(b)
	snap := make([]byte, benchStepSnapshot)
	rand.Read(snap)
	env := make([]byte, benchStepEnvelope)
	rand.Read(env)
	log := make([]byte, benchStepLog)
	rand.Read(log)
	progress := make([]byte, benchStepProgress)
	var s *Store
	var dir string
	times := make([]time.Duration, 0, b.N)
	// The three stages of a commit, split at its hook points: seal the
	// record, stage every file and fsync them (up to before-commit); link
	// the step file and fsync state/ (to committed); retire, publish and
	// fsync the directories (the rest).
	var stage, commit, publish []time.Duration
	var t0, tStage, tCommit time.Time
	testHook = func(point string) {
		switch point {
		case "before-commit":
			tStage = time.Now()
		case "committed":
			tCommit = time.Now()
		}
	}
	defer func() { testHook = nil }()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%benchStepsPerSign == 0 {
			b.StopTimer()
			dir = filepath.Join(b.TempDir(), "w")
			var err error
			if s, err = Create(dir, testBinding("bench"), k, snap, digest("plan"), []File{{"r01.env", env}}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		out := []File{{fmt.Sprintf("r%02d.env", s.Step()+1), env}}
		t0 = time.Now()
		if err := benchWriteStep(s, dir, digest(fmt.Sprint(i)), snap, out, log, progress); err != nil {
			b.Fatal(err)
		}
		end := time.Now()
		times = append(times, end.Sub(t0))
		stage = append(stage, tStage.Sub(t0))
		commit = append(commit, tCommit.Sub(tStage))
		publish = append(publish, end.Sub(tCommit))
	}
	b.StopTimer()
	q := func(d []time.Duration, p int) float64 {
		slices.Sort(d)
		return float64(d[(len(d)-1)*p/100].Microseconds())
	}
	b.ReportMetric(q(times, 10), "p10-us/step")
	b.ReportMetric(q(times, 50), "median-us/step")
	b.ReportMetric(q(times, 90), "p90-us/step")
	b.ReportMetric(q(stage, 50), "stage-median-us")
	b.ReportMetric(q(commit, 50), "commit-median-us")
	b.ReportMetric(q(publish, 50), "publish-median-us")
}

// benchWriteStep is what ceremony.Step writes after the round: Advance
// with the log and progress record as meta files.
func benchWriteStep(s *Store, dir string, in [32]byte, snap []byte, out []File, log, progress []byte) error {
	return s.Advance(s.Step(), in, snap, out, File{"log.txt", log}, File{"progress.txt", progress})
}
