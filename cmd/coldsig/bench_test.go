package main

// BenchmarkCeremony puts a price on running a ceremony as one coldsig
// process per party per round. It runs the same 2-of-3 secp256k1 keygen and
// 2-party signing twice: through the real binary, with the e2e harness's
// identities, pre-parameters and stick, and in memory with plain tss-lib
// LocalParty objects routed over channels, the way tss-lib's own tests run
// them. Both use the same test-only pre-parameters and full proofs.
//
// CPU time, not wall time, is compared: the CLI's is the user+sys time of
// every coldsig process of the ceremony (plan, join, step), the in-memory
// one the benchmark process's own rusage across the run, with nothing else
// running in the process. Identity creation and the sealing of the test
// pre-parameters are setup and not counted; the identities are created
// with --no-passphrase, so no passphrase KDF runs in any counted process.
//
// Run with: go test ./cmd/coldsig -run '^$' -bench BenchmarkCeremony -benchtime=1x

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

const benchMessage = "benchmark: pay 1 ETH to the cold wallet"

func BenchmarkCeremony(b *testing.B) {
	coldsigBinary(b) // the build is not part of any measurement
	var cliTotal, memTotal phaseCPU
	var procs int
	var detail *cliMeter
	for i := 0; i < b.N; i++ {
		// In memory first, while this process has run nothing else.
		mem := inMemoryCeremony(b)
		m := &cliMeter{}
		benchCLICeremony(b, m)
		cli := m.phases()
		cliTotal.keygen += cli.keygen
		cliTotal.sign += cli.sign
		memTotal.keygen += mem.keygen
		memTotal.sign += mem.sign
		procs += len(m.procs)
		if i == 0 {
			detail = m
		}
	}
	n := time.Duration(b.N)
	cliS := (cliTotal.total() / n).Seconds()
	memS := (memTotal.total() / n).Seconds()
	b.ReportMetric(cliS, "cli-cpu-s")
	b.ReportMetric(memS, "inmem-cpu-s")
	b.ReportMetric(cliS/memS, "ratio")
	b.Logf("CPU per ceremony   %12s %12s %8s", "CLI", "in-memory", "ratio")
	b.Logf("  keygen 2-of-3    %12s %12s %8.3f", rnd(cliTotal.keygen/n), rnd(memTotal.keygen/n), cliTotal.keygen.Seconds()/memTotal.keygen.Seconds())
	b.Logf("  sign 2 parties   %12s %12s %8.3f", rnd(cliTotal.sign/n), rnd(memTotal.sign/n), cliTotal.sign.Seconds()/memTotal.sign.Seconds())
	b.Logf("  total            %12s %12s %8.3f", rnd(cliTotal.total()/n), rnd(memTotal.total()/n), cliS/memS)
	b.Logf("coldsig processes per ceremony: %d (identities are --no-passphrase: no passphrase KDF in any of them)", procs/b.N)
	// The benchmark output keeps only the first lines unless -v is given.
	detail.log(b)
}

func rnd(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

type phaseCPU struct{ keygen, sign time.Duration }

func (p phaseCPU) total() time.Duration { return p.keygen + p.sign }

// procCPU is one coldsig process of the measured ceremony.
type procCPU struct {
	phase string // keygen or sign
	cmd   string // plan, join, step
	who   string
	code  int
	user  time.Duration
	sys   time.Duration
	cpu   time.Duration
	wall  time.Duration
}

type cliMeter struct {
	procs    []procCPU
	children time.Duration // RUSAGE_CHILDREN delta, a cross-check
}

func (m *cliMeter) phases() phaseCPU {
	var p phaseCPU
	for _, r := range m.procs {
		if r.phase == "keygen" {
			p.keygen += r.cpu
		} else {
			p.sign += r.cpu
		}
	}
	return p
}

func (m *cliMeter) log(b *testing.B) {
	b.Helper()
	type key struct{ phase, cmd string }
	type agg struct {
		n                    int
		waiting              int
		user, sys, cpu, wall time.Duration
	}
	sums := map[key]*agg{}
	var order []key
	var sum time.Duration
	for _, r := range m.procs {
		k := key{r.phase, r.cmd}
		a := sums[k]
		if a == nil {
			a = &agg{}
			sums[k] = a
			order = append(order, k)
		}
		a.n++
		if r.code == exitWaiting {
			a.waiting++
		}
		a.user += r.user
		a.sys += r.sys
		a.cpu += r.cpu
		a.wall += r.wall
		sum += r.cpu
	}
	b.Logf("CLI processes by phase and command:")
	b.Logf("  %-7s %-5s %6s %8s %10s %10s %10s %10s", "phase", "cmd", "procs", "waiting", "user", "sys", "cpu", "wall")
	for _, k := range order {
		a := sums[k]
		b.Logf("  %-7s %-5s %6d %8d %10s %10s %10s %10s", k.phase, k.cmd, a.n, a.waiting, rnd(a.user), rnd(a.sys), rnd(a.cpu), rnd(a.wall))
	}
	b.Logf("CLI processes one by one (cpu = user+sys):")
	for i, r := range m.procs {
		b.Logf("  %2d %-6s %-4s %-6s exit %d  user %8s  sys %8s  wall %8s", i+1, r.phase, r.cmd, r.who, r.code, rnd(r.user), rnd(r.sys), rnd(r.wall))
	}
	b.Logf("cross-check: sum over processes %s, RUSAGE_CHILDREN delta %s", rnd(sum), rnd(m.children))
}

// exec runs one coldsig process and records its CPU time. Only codes in
// ok are accepted.
func (m *cliMeter) exec(c *cli, phase, who string, ok []int, args ...string) int {
	c.t.Helper()
	cmd, o, e := c.command(args...)
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			c.t.Fatalf("coldsig %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	ps := cmd.ProcessState
	m.procs = append(m.procs, procCPU{phase: phase, cmd: args[0], who: who, code: code,
		user: ps.UserTime(), sys: ps.SystemTime(), cpu: ps.UserTime() + ps.SystemTime(), wall: wall})
	for _, k := range ok {
		if code == k {
			return code
		}
	}
	c.t.Fatalf("coldsig %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, o.String(), e.String())
	return code
}

func childrenCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchCLICeremony is TestE2EECDSA2of3's ceremony with every coldsig
// process measured. Unlike the e2e harness it tells a finished party by its
// result file rather than by running 'coldsig status', so that no process
// outside the ceremony itself is counted.
func benchCLICeremony(b *testing.B, m *cliMeter) {
	b.StopTimer()
	who := []string{"alice", "bob", "carol"}
	c := newCLI(b, who...)
	var kg []party
	for i, n := range who {
		kg = append(kg, party{name: n, workdir: n + "-kg", join: []string{"--preparams", c.preparams(n, i)}})
	}
	b.StartTimer()
	before := childrenCPU(b)

	args := []string{"plan", "keygen", "--curve", "secp256k1", "--threshold", "2"}
	for _, n := range who {
		args = append(args, "--party", "ids/"+n+".card")
	}
	m.exec(c, "keygen", "-", []int{0}, append(args, "-o", "keygen.plan")...)
	m.ceremony(c, "keygen", "keygen.plan", "stick-kg", "public.json", kg)

	m.exec(c, "sign", "-", []int{0}, "plan", "sign", "--key", "alice-kg/result/public.json",
		"--signer", "ids/alice.card", "--signer", "ids/carol.card", "--message", benchMessage, "-o", "sign.plan")
	sg := []party{
		{name: "alice", workdir: "alice-sg", join: []string{"--share", "alice-kg/result/share.age"}},
		{name: "carol", workdir: "carol-sg", join: []string{"--share", "carol-kg/result/share.age"}},
	}
	m.ceremony(c, "sign", "sign.plan", "stick-sg", "signature.json", sg)
	m.children += childrenCPU(b) - before

	// The measured ceremony must have produced a valid signature.
	b.StopTimer()
	var pub publicJSON
	readJSON(b, c.path("alice-kg", "result", "public.json"), &pub)
	var sig signatureJSON
	readJSON(b, c.path("alice-sg", "result", "signature.json"), &sig)
	verifyECDSA(b, pub, sig, eip191(benchMessage))
	b.StartTimer()
}

// ceremony is cli.ceremonyRun with measured processes.
func (m *cliMeter) ceremony(c *cli, phase, planPath, stick, resultFile string, parties []party) {
	c.t.Helper()
	if err := os.MkdirAll(c.path(stick), 0o700); err != nil {
		c.t.Fatal(err)
	}
	for _, p := range parties {
		args := append([]string{"join", "--yes", planPath, "--identity", "ids/" + p.name + ".key", "--workdir", p.workdir}, p.join...)
		m.exec(c, phase, p.name, []int{0}, args...)
		c.move(p.workdir, stick)
	}
	for iter := 0; ; iter++ {
		if iter > 20 {
			c.t.Fatalf("ceremony did not finish after %d passes", iter)
		}
		done := 0
		for _, p := range parties {
			if _, err := os.Stat(c.path(p.workdir, "result", resultFile)); err == nil {
				done++
				continue
			}
			m.exec(c, phase, p.name, []int{0, exitWaiting}, "step", "--workdir", p.workdir, "--identity", "ids/"+p.name+".key", "--inbox", stick)
			c.move(p.workdir, stick)
		}
		if done == len(parties) {
			return
		}
	}
}

// inMemoryCeremony runs the same ceremony with tss-lib alone and returns
// this process's CPU time for each phase.
func inMemoryCeremony(b *testing.B) phaseCPU {
	b.Helper()
	b.StopTimer()
	names := []string{"alice", "bob", "carol"}
	pre := make([]ecdsakeygen.LocalPreParams, len(names))
	for i := range names {
		raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "preparams", fmt.Sprintf("test-only-%d.json", i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(raw, &pre[i]); err != nil {
			b.Fatal(err)
		}
	}
	var unsorted tss.UnSortedPartyIDs
	for i, n := range names {
		k := sha256.Sum256([]byte("bench party " + n))
		unsorted = append(unsorted, tss.NewPartyID(fmt.Sprint(i+1), n, new(big.Int).SetBytes(k[:])))
	}
	ids := tss.SortPartyIDs(unsorted)
	digest := eip191(benchMessage)
	runtime.GC()
	b.StartTimer()

	var cpu phaseCPU
	t0 := selfCPU(b)
	saves := memKeygen(b, ids, pre)
	t1 := selfCPU(b)
	sig := memSign(b, ids, saves, []string{"alice", "carol"}, digest)
	t2 := selfCPU(b)
	cpu.keygen, cpu.sign = t1-t0, t2-t1

	b.StopTimer()
	pub := saves[0].ECDSAPub
	r, s := new(big.Int).SetBytes(sig.R), new(big.Int).SetBytes(sig.S)
	if !ecdsa.Verify(&ecdsa.PublicKey{Curve: tss.S256(), X: pub.X(), Y: pub.Y()}, digest, r, s) {
		b.Fatal("in-memory signature does not verify")
	}
	b.StartTimer()
	return cpu
}

// benchRoute delivers every message the parties send to its receivers, over
// the wire encoding, until want results have arrived on end.
func benchRoute[R any](b *testing.B, parties []tss.Party, out <-chan tss.Message, end <-chan R, errs <-chan *tss.Error, want int) []R {
	b.Helper()
	byID := map[string]tss.Party{}
	for _, p := range parties {
		byID[p.PartyID().Id] = p
	}
	deliver := func(p tss.Party, wire []byte, msg tss.Message) {
		if _, err := p.UpdateFromBytes(wire, msg.GetFrom(), msg.IsBroadcast()); err != nil {
			b.Fatalf("%s: %v", p.PartyID(), err)
		}
	}
	var res []R
	for len(res) < want {
		select {
		case err := <-errs:
			b.Fatal(err)
		case r := <-end:
			res = append(res, r)
		case msg := <-out:
			wire, _, err := msg.WireBytes()
			if err != nil {
				b.Fatal(err)
			}
			if msg.IsBroadcast() || msg.GetTo() == nil {
				for _, p := range parties {
					if p.PartyID().Id != msg.GetFrom().Id {
						deliver(p, wire, msg)
					}
				}
				continue
			}
			for _, to := range msg.GetTo() {
				deliver(byID[to.Id], wire, msg)
			}
		}
	}
	return res
}

func benchStart(parties []tss.Party, errs chan<- *tss.Error) {
	for _, p := range parties {
		if err := p.Start(); err != nil {
			errs <- err
		}
	}
}

func memKeygen(b *testing.B, ids tss.SortedPartyIDs, pre []ecdsakeygen.LocalPreParams) []*ecdsakeygen.LocalPartySaveData {
	b.Helper()
	ctx := tss.NewPeerContext(ids)
	// Rounds send synchronously: the buffers hold every message of a round.
	out := make(chan tss.Message, 64)
	end := make(chan *ecdsakeygen.LocalPartySaveData, len(ids))
	errs := make(chan *tss.Error, len(ids))
	var parties []tss.Party
	for _, id := range ids {
		params := tss.NewParameters(tss.S256(), ctx, id, len(ids), 1)
		parties = append(parties, ecdsakeygen.NewLocalParty(params, out, end, pre[id.Index]))
	}
	benchStart(parties, errs)
	saves := benchRoute(b, parties, out, end, errs, len(ids))
	// end delivers in completion order; put them back in party order.
	sorted := make([]*ecdsakeygen.LocalPartySaveData, len(ids))
	for _, s := range saves {
		idx, err := s.OriginalIndex()
		if err != nil {
			b.Fatal(err)
		}
		sorted[idx] = s
	}
	return sorted
}

func memSign(b *testing.B, ids tss.SortedPartyIDs, saves []*ecdsakeygen.LocalPartySaveData, signers []string, digest []byte) *common.SignatureData {
	b.Helper()
	var unsorted tss.UnSortedPartyIDs
	keyOf := map[string]*ecdsakeygen.LocalPartySaveData{}
	for _, id := range ids {
		for _, n := range signers {
			if id.Moniker == n {
				sid := tss.NewPartyID(id.Id, id.Moniker, id.KeyInt())
				unsorted = append(unsorted, sid)
				keyOf[sid.Id] = saves[id.Index]
			}
		}
	}
	sids := tss.SortPartyIDs(unsorted)
	ctx := tss.NewPeerContext(sids)
	out := make(chan tss.Message, 64)
	end := make(chan *common.SignatureData, len(sids))
	errs := make(chan *tss.Error, len(sids))
	var parties []tss.Party
	m := new(big.Int).SetBytes(digest)
	for _, id := range sids {
		params := tss.NewParameters(tss.S256(), ctx, id, len(sids), 1)
		parties = append(parties, ecdsasigning.NewLocalParty(m, params, *keyOf[id.Id], out, end, len(digest)))
	}
	benchStart(parties, errs)
	sigs := benchRoute(b, parties, out, end, errs, len(sids))
	for _, s := range sigs[1:] {
		if !bytes.Equal(s.Signature, sigs[0].Signature) {
			b.Fatal("in-memory signers disagree on the signature")
		}
	}
	return sigs[0]
}
