package main

// BenchmarkBatchSigning runs a 2-of-3 secp256k1 signing of N = 1, 5 and 20
// digests (every other one by a child key) through the real binary, on the
// committed TEST-ONLY HD key, and reports what a batch costs against one
// signature: step rounds (must be equal), envelope bytes per party per
// round, CPU (user+sys of every join and step process) per signature
// relative to N = 1, and the largest state file.
//
// Run with: go test ./cmd/coldsig -run '^$' -bench BenchmarkBatchSigning -benchtime=1x

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

type batchCost struct {
	rounds       int   // steps that advanced alice
	envelopes    int   // envelopes alice sent
	bytesPerRnd  []int // alice's envelope bytes per round
	cpu          time.Duration
	maxStateFile int64
}

var roundInName = regexp.MustCompile(`-r([0-9]+)-`)

func BenchmarkBatchSigning(b *testing.B) {
	coldsigBinary(b)
	var base time.Duration
	baseRounds := 0
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var cost batchCost
			for i := 0; i < b.N; i++ {
				cost = benchBatch(b, n)
			}
			if n == 1 {
				base, baseRounds = cost.cpu, cost.rounds
			} else if cost.rounds != baseRounds {
				b.Fatalf("a batch of %d took %d rounds, one signature %d", n, cost.rounds, baseRounds)
			}
			perSig := cost.cpu / time.Duration(n)
			mean, maxB := 0, 0
			for _, x := range cost.bytesPerRnd {
				mean += x
				maxB = max(maxB, x)
			}
			mean /= max(1, len(cost.bytesPerRnd))
			b.ReportMetric(float64(cost.rounds), "rounds")
			b.ReportMetric(float64(cost.envelopes), "envelopes/party")
			b.ReportMetric(float64(mean), "env-B/party/round")
			b.ReportMetric(float64(maxB), "max-env-B/party/round")
			b.ReportMetric(perSig.Seconds(), "cpu-s/sig")
			if base > 0 {
				b.ReportMetric(perSig.Seconds()/base.Seconds(), "cpu/sig-vs-N1")
			}
			b.ReportMetric(float64(cost.maxStateFile), "max-state-file-B")
			b.Logf("N=%d: %d rounds, %d envelopes per party, envelope bytes per round (alice) %v, CPU %s (%s per signature), largest state file %d B",
				n, cost.rounds, cost.envelopes, cost.bytesPerRnd, rnd(cost.cpu), rnd(perSig), cost.maxStateFile)
		})
	}
}

func benchBatch(b *testing.B, n int) batchCost {
	b.StopTimer()
	c := fixtureCLI(b, map[string]string{"key": keysharetest.HDDir()})
	var lines []string
	for i := 0; i < n; i++ {
		d := sha256.Sum256([]byte(fmt.Sprintf("bench item %d", i)))
		line := "digest " + hex.EncodeToString(d[:])
		if i%2 == 1 {
			line = fmt.Sprintf("m/0/%d ", i) + line
		}
		lines = append(lines, line)
	}
	if err := os.WriteFile(c.path("b.batch"), []byte("coldsig/batch/v1\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	c.ok("plan", "sign", "--key", "key/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card", "--batch", "b.batch", "-o", "b.plan")
	parties := signers("b", "alice", "carol")
	m := &cliMeter{}
	var cost batchCost
	stateSize := func(p party) {
		ents, _ := filepath.Glob(c.path(p.workdir, "state", "step-*.age"))
		for _, e := range ents {
			if fi, err := os.Stat(e); err == nil && fi.Size() > cost.maxStateFile {
				cost.maxStateFile = fi.Size()
			}
		}
	}
	b.StartTimer()
	for _, p := range parties {
		m.exec(c, "sign", p.name, []int{0}, append([]string{"join", "--yes", "b.plan", "--identity", "ids/" + p.name + ".key", "--workdir", p.workdir}, p.join...)...)
		stateSize(p)
		c.move(p.workdir, "stick")
	}
	for iter := 0; ; iter++ {
		if iter > 30 {
			b.Fatal("batch did not finish")
		}
		done := 0
		for _, p := range parties {
			if _, err := os.Stat(c.path(p.workdir, "result", "transcript.txt")); err == nil {
				done++
				continue
			}
			code := m.exec(c, "sign", p.name, []int{0, exitWaiting}, "step", "--workdir", p.workdir, "--identity", "ids/"+p.name+".key", "--inbox", "stick")
			if code == 0 && p.name == "alice" {
				cost.rounds++
			}
			stateSize(p)
			c.move(p.workdir, "stick")
		}
		if done == len(parties) {
			break
		}
	}
	b.StopTimer()
	for _, r := range m.procs {
		cost.cpu += r.cpu
	}
	ents, _ := os.ReadDir(c.path("alice-b", "outbox"))
	perRound := map[int]int{}
	maxRound := 0
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		mm := roundInName.FindStringSubmatch(e.Name())
		if mm == nil {
			b.Fatalf("envelope name %s", e.Name())
		}
		r, err := strconv.Atoi(mm[1]) // "08": not octal
		if err != nil {
			b.Fatal(err)
		}
		perRound[r] += int(fi.Size())
		maxRound = max(maxRound, r)
		cost.envelopes++
	}
	for r := 1; r <= maxRound; r++ {
		cost.bytesPerRnd = append(cost.bytesPerRnd, perRound[r])
	}
	for i := 0; i < n; i++ {
		name := "signature.json"
		if n > 1 {
			name = fmt.Sprintf("signature-%02d.json", i+1)
		}
		c.ok("verify", "--key", "key/public.json", "--signature", filepath.Join("alice-b", "result", name))
	}
	b.StartTimer()
	return cost
}
