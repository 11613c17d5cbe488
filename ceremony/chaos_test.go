package ceremony

// The reliability campaign (issue 15, scripts/chaos): full ceremonies of
// every flow (ECDSA and Ed25519 keygen, signing and resharing), every party
// step a separate process of the real binary, killed with SIGKILL at random
// moments and given faults: a full disk and read-only media (the test-only
// write fault hook, -tags coldsig_faults), a missing or a damaged envelope,
// a duplicated stick, a rolled-back state/ directory, and an equivocating
// party. It checks that every ceremony ends finished, or aborted with the
// culprit named; that no party ever emits two different envelopes for one
// (session, round, sender, recipient); that every signature verifies; and
// that no secret (x_i, Paillier and NTilde primes, every large integer of
// every party's tss-lib state, signing nonces included, taken from the
// decrypted states) appears in any file, in any of its usual encodings.
//
//	go test ./ceremony -run TestChaos -chaos=short   (CI: make test)
//	go test ./ceremony -run TestChaos -chaos=long    (make chaos)
//
// Without -chaos the test is skipped: it builds and runs the binary for
// minutes.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"filippo.io/age"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/ceremony/internal/tssparty"
	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
)

var chaosMode = flag.String("chaos", "", "run the reliability campaign: short (CI, >= 30 kills) or long (make chaos, >= 200 kills)")

func TestChaos(t *testing.T) {
	var minKills, ecdsaPasses int
	switch *chaosMode {
	case "":
		t.Skip("the reliability campaign runs with -chaos=short or -chaos=long (scripts/chaos, make chaos)")
	case "short":
		minKills, ecdsaPasses = 30, 1
	case "long":
		minKills, ecdsaPasses = 200, 2
	default:
		t.Fatalf("-chaos=%q: want short or long", *chaosMode)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("COLDSIG_CHAOS_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (COLDSIG_CHAOS_SEED=%d repeats the random choices)", seed, seed)
	c := newChaos(t, seed)
	start := time.Now()
	pass := 0
	for pass == 0 || c.kills < minKills {
		// Every pass runs the Ed25519 flows; the first ecdsaPasses also the
		// ECDSA ones (tens of seconds each); every pass has one
		// equivocation.
		c.pass(pass, pass < ecdsaPasses)
		pass++
		if pass > 200 {
			t.Fatalf("only %d kills after %d passes", c.kills, pass)
		}
	}
	c.finalChecks()
	t.Logf("%s", c.summary(time.Since(start)))
	fmt.Println(c.summary(time.Since(start)))
	if c.dupEmissions != 0 || c.secretHits != 0 || c.unclean != 0 {
		t.Fatalf("campaign failed: %s", c.summary(time.Since(start)))
	}
}

type chaos struct {
	t    *testing.T
	rng  *rand.Rand
	bin  string
	root string
	ids  map[string]*identity.Identity

	kills, faults, ceremonies, finished, aborted, unclean int
	dupEmissions, secretHits, signatures, captures        int
	runs                                                  int
	faultKinds                                            map[string]int

	// emitted maps an envelope file name (session, protocol, round,
	// sender, recipient) to the SHA-256 of the first bytes seen under it.
	emitted map[string][32]byte
	// secrets are every large integer of every captured state, by hex.
	secrets map[string]*big.Int
	// est is the typical duration of a command kind, to aim kills.
	est map[string]time.Duration
	// recent holds the last commands and outcomes, shown when it fails.
	recent []string
	// hitFiles are the files a secret was found in.
	hitFiles []string
	// errorf and logf report (t.Errorf and t.Logf in the campaign).
	errorf, logf func(format string, args ...any)
}

func (c *chaos) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s\nlast commands:\n%s", fmt.Sprintf(format, args...), strings.Join(c.recent, "\n"))
}

func newChaos(t *testing.T, seed uint64) *chaos {
	c := &chaos{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), root: t.TempDir(),
		ids: map[string]*identity.Identity{}, emitted: map[string][32]byte{}, secrets: map[string]*big.Int{},
		est: map[string]time.Duration{}, faultKinds: map[string]int{}, errorf: t.Errorf, logf: t.Logf}
	c.bin = filepath.Join(t.TempDir(), "coldsig")
	build := exec.Command("go", "build", "-tags", "coldsig_faults", "-trimpath", "-o", c.bin, "../cmd/coldsig")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	os.MkdirAll(filepath.Join(c.root, "ids"), 0o700)
	for _, n := range []string{"alice", "bob", "carol"} {
		for _, ext := range []string{".key", ".card"} {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "test-only-"+n+ext))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(c.root, "ids", n+ext), data, 0o600)
		}
	}
	c.mustRun("identity", "new", "dave", "--dir", "ids", "--no-passphrase")
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		id, err := identity.LoadIdentity(filepath.Join(c.root, "ids", n+".key"), func() ([]byte, error) { return nil, errors.New("encrypted") })
		if err != nil {
			t.Fatal(err)
		}
		c.ids[n] = id
	}
	// The TEST-ONLY pre-parameters' primes are secrets like any other.
	for i := 0; i < 10; i++ {
		var pp ecdsakeygen.LocalPreParams
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "preparams", fmt.Sprintf("test-only-%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(raw, &pp)
		c.addSecrets(&pp)
	}
	return c
}

type outcome struct {
	code   int
	killed bool
	stdout string
	stderr string
}

// run runs coldsig in the campaign root; with kill set, it may SIGKILL it
// at a random moment of its expected duration.
func (c *chaos) run(kind string, kill bool, env []string, args ...string) outcome {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.root
	cmd.Env = append(append(os.Environ(), "HOME="+c.root, "COLDSIG_PASSPHRASE_FILE=", "COLDSIG_FAULTS="), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.runs++
	start := time.Now()
	var timer *time.Timer
	if kill {
		est := c.est[kind]
		if est == 0 {
			est = 150 * time.Millisecond
		}
		d := time.Duration(c.rng.Int64N(int64(est) + 1))
		timer = time.AfterFunc(d, func() { cmd.Process.Signal(syscall.SIGKILL) })
	}
	err := cmd.Wait()
	if timer != nil {
		timer.Stop()
	}
	out := outcome{stdout: o.String(), stderr: e.String()}
	defer func() {
		last := out.stderr
		if i := strings.LastIndex(strings.TrimSpace(last), "\n"); i >= 0 {
			last = strings.TrimSpace(last)[i+1:]
		}
		c.recent = append(c.recent, fmt.Sprintf("  %s %v -> exit %d killed=%v %s", strings.Join(args, " "), env, out.code, out.killed, strings.TrimSpace(last)))
		if len(c.recent) > 40 {
			c.recent = c.recent[1:]
		}
	}()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		out.killed = true
		c.kills++
		return out
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			c.t.Fatal(err)
		}
		out.code = ee.ExitCode()
	}
	if strings.Contains(out.stderr, "panic:") || strings.Contains(out.stderr, "fatal error:") || strings.Contains(out.stderr, "goroutine ") {
		c.t.Fatalf("coldsig %s crashed:\n%s", strings.Join(args, " "), out.stderr)
	}
	if d := time.Since(start); !kill {
		c.est[kind] = (c.est[kind]*3 + d) / 4
	} else if d > c.est[kind] {
		c.est[kind] = d
	}
	return out
}

func (c *chaos) mustRun(args ...string) outcome {
	c.t.Helper()
	out := c.run("setup", false, nil, args...)
	if out.code != 0 {
		c.t.Fatalf("coldsig %s: exit %d\n%s%s", strings.Join(args, " "), out.code, out.stdout, out.stderr)
	}
	return out
}

func (c *chaos) path(p ...string) string { return filepath.Join(append([]string{c.root}, p...)...) }

// member is one party of one ceremony.
type member struct {
	name, workdir string
	join          []string
	done, aborted bool
}

// pass runs one round of every flow.
func (c *chaos) pass(n int, withECDSA bool) {
	curves := []string{"ed25519"}
	if withECDSA {
		curves = append(curves, "secp256k1")
	}
	for _, curve := range curves {
		tag := fmt.Sprintf("%s-%d", curve[:2], n)
		kg := c.keygen(curve, tag)
		c.sign(curve, tag+"-sg", kg, []string{"alice", "carol"})
		rs := c.reshare(curve, tag+"-rs", kg)
		c.sign(curve, tag+"-sg2", rs, []string{"bob", "dave"})
	}
	c.equivocation(fmt.Sprintf("eq-%d", n))
}

func (c *chaos) preparams(name string, i int) string {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "preparams", fmt.Sprintf("test-only-%d.json", i)))
	if err != nil {
		c.t.Fatal(err)
	}
	var pp ecdsakeygen.LocalPreParams
	json.Unmarshal(raw, &pp)
	data, err := SealPreParams(&pp, c.ids[name].X25519.Recipient())
	if err != nil {
		c.t.Fatal(err)
	}
	p := c.path(fmt.Sprintf("pp-%s-%d-%d", name, i, c.rng.Uint32()))
	os.WriteFile(p, data, 0o600)
	return p
}

func (c *chaos) keygen(curve, tag string) map[string]string {
	plan := tag + "-kg.plan"
	c.mustRun("plan", "keygen", "--curve", curve, "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", plan)
	var ms []*member
	for i, n := range []string{"alice", "bob", "carol"} {
		m := &member{name: n, workdir: tag + "-kg-" + n}
		if curve == "secp256k1" {
			m.join = []string{"--preparams", c.preparams(n, i)}
		}
		ms = append(ms, m)
	}
	c.ceremony(curve+" keygen", plan, tag+"-stick", ms, true)
	shares := map[string]string{}
	for _, m := range ms {
		shares[m.name] = filepath.Join(m.workdir, "result", "share.age")
		c.captureShare(m.name, c.path(shares[m.name]))
	}
	shares["public"] = filepath.Join(ms[0].workdir, "result", "public.json")
	return shares
}

func (c *chaos) reshare(curve, tag string, old map[string]string) map[string]string {
	plan := tag + ".plan"
	c.mustRun("plan", "reshare", "--key", old["public"], "--threshold", "2", "--old", "ids/alice.card", "--old", "ids/bob.card",
		"--new", "ids/bob.card", "--new", "ids/carol.card", "--new", "ids/dave.card", "-o", plan)
	var ms []*member
	for _, n := range []string{"alice", "bob"} {
		j := []string{"--share", old[n]}
		if n == "bob" {
			j = append(j, "--committee", "old")
		}
		ms = append(ms, &member{name: n, workdir: tag + "-old-" + n, join: j})
	}
	for i, n := range []string{"bob", "carol", "dave"} {
		var j []string
		if curve == "secp256k1" {
			j = append(j, "--preparams", c.preparams(n, 3+i))
		}
		if n == "bob" {
			j = append(j, "--committee", "new")
		}
		ms = append(ms, &member{name: n, workdir: tag + "-new-" + n, join: j})
	}
	c.ceremony(curve+" reshare", plan, tag+"-stick", ms, true)
	shares := map[string]string{}
	for _, m := range ms[2:] {
		shares[m.name] = filepath.Join(m.workdir, "result", "share.age")
		c.captureShare(m.name, c.path(shares[m.name]))
	}
	shares["public"] = filepath.Join(ms[2].workdir, "result", "public.json")
	return shares
}

func (c *chaos) sign(curve, tag string, key map[string]string, signers []string) {
	plan := tag + ".plan"
	args := []string{"plan", "sign", "--key", key["public"], "--message", "chaos " + tag, "-o", plan}
	for _, n := range signers {
		args = append(args, "--signer", "ids/"+n+".card")
	}
	c.mustRun(args...)
	var ms []*member
	for _, n := range signers {
		ms = append(ms, &member{name: n, workdir: tag + "-" + n, join: []string{"--share", key[n]}})
	}
	c.ceremony(curve+" sign", plan, tag+"-stick", ms, true)
	var first []byte
	for _, m := range ms {
		sigPath := filepath.Join(m.workdir, "result", "signature.json")
		data, err := os.ReadFile(c.path(sigPath))
		if err != nil {
			c.t.Fatal(err)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(first, data) {
			c.t.Fatalf("%s: signature.json differs between signers", tag)
		}
		c.mustRun("verify", "--key", key["public"], "--signature", sigPath)
	}
	c.verifyIndependently(first)
	c.signatures++
}

// verifyIndependently checks a signature with crypto/ed25519 or btcec,
// not with coldsig's code.
func (c *chaos) verifyIndependently(sigJSON []byte) {
	var m map[string]any
	json.Unmarshal(sigJSON, &m)
	get := func(k string) []byte { v, _ := m[k].(string); b, _ := hex.DecodeString(v); return b }
	pk := get("public_key")
	switch m["curve"] {
	case "ed25519":
		if !ed25519.Verify(pk, get("message"), get("signature")) {
			c.t.Fatal("crypto/ed25519: a campaign signature does not verify")
		}
	default:
		key, err := btcec.ParsePubKey(pk)
		if err != nil {
			c.t.Fatal(err)
		}
		var r, sc btcec.ModNScalar
		r.SetByteSlice(get("r"))
		sc.SetByteSlice(get("s"))
		if !btcecdsa.NewSignature(&r, &sc).Verify(get("digest"), key) {
			c.t.Fatal("btcec: a campaign signature does not verify")
		}
	}
}

// ceremony joins every member and steps them until every one finished or
// the ceremony aborted, with kills and faults on the way.
func (c *chaos) ceremony(what, plan, stick string, ms []*member, faults bool) {
	c.ceremonies++
	os.MkdirAll(c.path(stick), 0o700)
	for _, m := range ms {
		args := append([]string{"join", "--yes", plan, "--identity", "ids/" + m.name + ".key", "--workdir", m.workdir}, m.join...)
		for try := 0; ; try++ {
			out := c.run(what+" join", try < 3 && c.rng.IntN(3) == 0, nil, args...)
			c.observe(m.workdir, stick)
			if out.killed {
				continue
			}
			if out.code == 0 || out.code == 5 && try < 5 {
				if out.code == 0 {
					break
				}
				continue
			}
			c.t.Fatalf("%s: join %s: exit %d\n%s", what, m.name, out.code, out.stderr)
		}
	}
	budget := 0
	if faults {
		budget = 2
	}
	for iter := 0; ; iter++ {
		if iter > 400 {
			var st []string
			for _, m := range ms {
				out := c.run("status", false, nil, "status", "--workdir", m.workdir)
				st = append(st, fmt.Sprintf("%s done=%v aborted=%v:\n%s%s", m.workdir, m.done, m.aborted, out.stdout, out.stderr))
			}
			ents, _ := os.ReadDir(c.path(stick))
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			c.fatalf("%s did not end after %d steps\n%s\nstick: %s", what, iter, strings.Join(st, "\n"), strings.Join(names, " "))
		}
		live := 0
		for _, m := range ms {
			if m.done || m.aborted {
				continue
			}
			live++
			if budget > 0 && c.rng.IntN(4) == 0 {
				budget--
				c.stepWithFault(what, stick, m)
				continue
			}
			c.step(what, stick, m, iter < 300 && c.rng.IntN(3) == 0, nil)
		}
		if live == 0 {
			break
		}
	}
	done, aborted := 0, 0
	for _, m := range ms {
		if m.done {
			done++
		}
		if m.aborted {
			aborted++
		}
	}
	switch {
	case done == len(ms):
		c.finished++
	case aborted > 0:
		c.aborted++
	default:
		c.unclean++
		c.t.Errorf("%s ended neither finished nor aborted", what)
	}
}

// step runs one step of m and files the outcome. It returns the outcome.
func (c *chaos) step(what, stick string, m *member, kill bool, env []string) outcome {
	out := c.run(what+" step", kill, env, "step", "--workdir", m.workdir, "--identity", "ids/"+m.name+".key", "--inbox", stick)
	c.observe(m.workdir, stick)
	if out.killed {
		return out
	}
	switch out.code {
	case 0:
		// FINISHED, or a step killed after it finished the ceremony,
		// run again: the officer is told so, exit 0.
		if strings.Contains(out.stdout, "FINISHED") || strings.Contains(out.stderr, "ceremony already finished") {
			m.done = true
		} else if c.rng.IntN(2) == 0 {
			c.captureState(m)
		}
	case 3, 5:
	case 4:
		m.aborted = true
		if !strings.Contains(out.stderr, "culprit: ") {
			c.unclean++
			c.t.Errorf("%s: %s aborted without a culprit:\n%s", what, m.name, out.stderr)
		}
	case 1:
		if env == nil {
			c.t.Fatalf("%s: %s step: exit 1 without a fault\n%s", what, m.name, out.stderr)
		}
	default:
		c.t.Fatalf("%s: %s step: exit %d\n%s", what, m.name, out.code, out.stderr)
	}
	return out
}

// stepWithFault runs one step of m under one fault, then takes the fault
// away; the ceremony must go on as if nothing happened.
func (c *chaos) stepWithFault(what, stick string, m *member) {
	kinds := []string{"disk-full", "read-only", "missing-envelope", "damaged-envelope", "duplicated-stick", "rolled-back-state"}
	kind := kinds[c.rng.IntN(len(kinds))]
	c.faults++
	c.faultKinds[kind]++
	faulty := []string{"COLDSIG_FAULTS=none"} // marks the run as faulted
	switch kind {
	case "disk-full":
		c.step(what, stick, m, false, []string{fmt.Sprintf("COLDSIG_FAULTS=enospc-after=%d", c.rng.IntN(8))})
	case "read-only":
		target := []string{m.workdir, m.workdir + "/outbox", m.workdir + "/log.txt"}[c.rng.IntN(3)]
		c.step(what, stick, m, false, []string{"COLDSIG_FAULTS=erofs=" + target})
	case "missing-envelope", "damaged-envelope":
		files, _ := filepath.Glob(c.path(stick, "*.age"))
		if len(files) == 0 {
			c.step(what, stick, m, false, nil)
			return
		}
		f := files[c.rng.IntN(len(files))]
		orig, _ := os.ReadFile(f)
		if kind == "missing-envelope" {
			os.Remove(f)
		} else {
			bad := bytes.Clone(orig)
			bad[len(bad)/2+c.rng.IntN(len(bad)/2)] ^= byte(1 + c.rng.IntN(255))
			os.WriteFile(f, bad, 0o600)
		}
		c.step(what, stick, m, false, faulty)
		os.WriteFile(f, orig, 0o600)
	case "duplicated-stick":
		files, _ := filepath.Glob(c.path(stick, "*.age"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			os.WriteFile(filepath.Join(filepath.Dir(f), "copy-"+filepath.Base(f)), data, 0o600)
		}
		c.step(what, stick, m, false, faulty)
		for _, f := range files {
			os.Remove(filepath.Join(filepath.Dir(f), "copy-"+filepath.Base(f)))
		}
	case "rolled-back-state":
		state := c.path(m.workdir, "state")
		before := c.path("rollback-" + filepath.Base(m.workdir) + "-before")
		after := c.path("rollback-" + filepath.Base(m.workdir) + "-after")
		os.RemoveAll(before)
		os.RemoveAll(after)
		if err := copyDir(state, before); err != nil {
			c.step(what, stick, m, false, nil)
			return
		}
		out := c.step(what, stick, m, false, nil)
		if out.code != 0 || m.done {
			os.RemoveAll(before)
			return
		}
		if err := copyDir(state, after); err != nil {
			c.t.Fatal(err)
		}
		os.RemoveAll(state)
		copyDir(before, state)
		// The officer runs step again on the rolled-back state: refused,
		// nothing computed; then puts the newest state back.
		out = c.step(what, stick, m, false, faulty)
		if out.code != 1 || !strings.Contains(out.stderr, "rolled back") {
			c.t.Fatalf("%s: %s: step on a rolled-back state: exit %d\n%s", what, m.name, out.code, out.stderr)
		}
		os.RemoveAll(state)
		copyDir(after, state)
		os.RemoveAll(before)
		os.RemoveAll(after)
	}
}

// observe records every envelope in a work dir's outbox (no two different
// ones may ever carry one name: one session, protocol, round, sender and
// recipient) and copies new ones onto the stick, as an officer would.
func (c *chaos) observe(workdir, stick string) {
	os.MkdirAll(c.path(stick), 0o700)
	dir := c.path(workdir, "outbox")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".age") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		sum := sha256.Sum256(data)
		if prev, ok := c.emitted[e.Name()]; ok && prev != sum {
			c.dupEmissions++
			c.errorf("two different envelopes emitted as %s", e.Name())
		}
		c.emitted[e.Name()] = sum
		dst := c.path(stick, e.Name())
		if _, err := os.Stat(dst); err != nil {
			os.WriteFile(dst, data, 0o600)
		}
	}
}

// equivocation: bob sends carol a different round-1 broadcast (validly
// signed, taken from another session) than alice. The ceremony must abort
// with bob named; the officers then abort the rest.
func (c *chaos) equivocation(tag string) {
	plan, other := tag+".plan", tag+"-other.plan"
	for _, p := range []string{plan, other} {
		c.mustRun("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", p)
	}
	var ms []*member
	for _, n := range []string{"alice", "bob", "carol"} {
		ms = append(ms, &member{name: n, workdir: tag + "-" + n})
		c.mustRun("join", "--yes", plan, "--identity", "ids/"+n+".key", "--workdir", tag+"-"+n)
		c.mustRun("join", "--yes", other, "--identity", "ids/"+n+".key", "--workdir", tag+"-other-"+n)
	}
	stick := tag + "-stick"
	for _, m := range ms {
		c.observe(m.workdir, stick)
	}
	// carol's stick holds bob's other-session broadcast, re-signed for
	// this session: the forged copy sits beside the real one.
	real := globOne(c.t, c.path(ms[1].workdir, "outbox", "*-r01-p2-to-all.age"))
	od, _ := os.ReadFile(globOne(c.t, c.path(tag+"-other-bob", "outbox", "*-r01-p2-to-all.age")))
	rd, _ := os.ReadFile(real)
	carol := c.ids["carol"]
	re, err1 := envelope.Open(rd, carol)
	oe, err2 := envelope.Open(od, carol)
	if err1 != nil || err2 != nil {
		c.t.Fatal(err1, err2)
	}
	forged, err := envelope.Seal(re.Header, oe.Payload, c.ids["bob"], []age.Recipient{c.ids["alice"].Card().Recipient, carol.Card().Recipient})
	if err != nil {
		c.t.Fatal(err)
	}
	os.WriteFile(c.path(stick, "forged-"+filepath.Base(real)), forged, 0o600)
	c.ceremonies++
	c.faults++
	c.faultKinds["equivocation"]++
	for iter := 0; iter < 20; iter++ {
		for _, m := range ms {
			if !m.aborted && !m.done {
				c.step("equivocation", stick, m, c.rng.IntN(3) == 0, []string{"COLDSIG_FAULTS=none"})
			}
		}
		any := false
		for _, m := range ms {
			any = any || m.aborted
		}
		if any {
			break
		}
	}
	named := false
	var statuses []string
	for _, m := range ms {
		if m.done {
			c.unclean++
			c.t.Errorf("equivocation: %s finished", m.name)
		}
		if m.aborted {
			out := c.mustRun("status", "--workdir", m.workdir)
			named = named || strings.Contains(out.stdout, "culprit   bob (party 2)")
			statuses = append(statuses, out.stdout)
			continue
		}
		// The other officers abort, as they are told to.
		c.mustRun("abort", "--yes", "--workdir", m.workdir, "--reason", "bob equivocated")
		m.aborted = true
	}
	if !named {
		c.unclean++
		c.t.Errorf("equivocation: no party named bob\n%s\nlast commands:\n%s", strings.Join(statuses, "\n"), strings.Join(c.recent, "\n"))
		return
	}
	c.aborted++
}

func globOne(t *testing.T, pattern string) string {
	m, _ := filepath.Glob(pattern)
	if len(m) != 1 {
		t.Fatalf("%s: %d matches", pattern, len(m))
	}
	return m[0]
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o600)
	})
}

// captureState decrypts a copy of m's current state (never the live work
// dir: opening a store tidies it) and adds every large integer of the
// tss-lib party, nonces included, to the secrets.
func (c *chaos) captureState(m *member) {
	tmp, err := os.MkdirTemp("", "coldsig-chaos-state")
	if err != nil {
		c.t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, n := range []string{"session.txt", "state"} {
		src := c.path(m.workdir, n)
		if fi, err := os.Stat(src); err == nil && fi.IsDir() {
			copyDir(src, filepath.Join(tmp, n))
		} else if data, err := os.ReadFile(src); err == nil {
			os.WriteFile(filepath.Join(tmp, n), data, 0o600)
		}
	}
	ss, err := statestore.ReadStatus(tmp)
	if err != nil || ss.Ended() {
		return
	}
	keys, err := statestore.NewKeys(c.ids[m.name].X25519)
	if err != nil {
		c.t.Fatal(err)
	}
	store, err := statestore.Open(tmp, ss.Binding, keys)
	if err != nil {
		c.t.Fatalf("%s: reopen captured state: %v", m.workdir, err)
	}
	raw, err := store.State()
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := parsePartyState(raw)
	if err != nil {
		c.t.Fatal(err)
	}
	c.captures++
	if st.Snapshot != nil {
		tps, err := tssparty.RestoreBatch(st.Snapshot)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, tp := range tps {
			c.addSecrets(tp.P)
		}
	}
	if len(st.Result) > 0 {
		var e ecdsakeygen.LocalPartySaveData
		var d eddsakeygen.LocalPartySaveData
		if json.Unmarshal(st.Result, &e) == nil && e.Xi != nil {
			c.addSecrets(&e)
		} else if json.Unmarshal(st.Result, &d) == nil {
			c.addSecrets(&d)
		}
	}
}

// captureShare adds the secrets of a released share (x_i, and for ECDSA the
// Paillier key and NTilde primes).
func (c *chaos) captureShare(name, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	sh, err := keyshare.OpenShare(data, c.ids[name].X25519)
	if err != nil {
		c.t.Fatal(err)
	}
	if sh.ECDSA != nil {
		c.addSecrets(sh.ECDSA)
	} else {
		c.addSecrets(sh.EdDSA)
	}
}

// addSecrets walks an object graph (unexported fields included) and keeps
// every big integer of at least 128 bits.
func (c *chaos) addSecrets(root any) {
	// A pointer to a struct and a pointer to its first field share an
	// address: remember both.
	type at struct {
		p uintptr
		t reflect.Type
	}
	seen := map[at]bool{}
	bigType := reflect.TypeOf(big.Int{})
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if depth > 200 || !v.IsValid() {
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[at{v.Pointer(), v.Type()}] {
				return
			}
			seen[at{v.Pointer(), v.Type()}] = true
			walk(v.Elem(), depth+1)
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), depth+1)
			}
		case reflect.Struct:
			if v.Type() == bigType {
				var x *big.Int
				if v.CanAddr() {
					x = (*big.Int)(unsafe.Pointer(v.UnsafeAddr()))
				} else {
					cp := reflect.New(bigType)
					cp.Elem().Set(v)
					x = cp.Interface().(*big.Int)
				}
				if x.BitLen() >= 128 {
					c.secrets[hex.EncodeToString(x.Bytes())] = new(big.Int).Abs(x)
				}
				return
			}
			if !v.CanAddr() {
				cp := reflect.New(v.Type()).Elem()
				cp.Set(v)
				v = cp
			}
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
				walk(f, depth+1)
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.IsNil() {
				return
			}
			if v.Type().Elem().Kind() == reflect.Uint8 {
				return
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), depth+1)
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Value(), depth+1)
			}
		}
	}
	walk(reflect.ValueOf(root), 0)
}

var hexToken = regexp.MustCompile(`[0-9a-fA-F]{32,}`)

// finalChecks scans every file the campaign left for every secret, in raw,
// hex (both cases), decimal and base64 form. Values that public files are
// meant to hold (public keys and their coordinates, share keys, signature
// values, digests) are not secrets even if a state held them.
func (c *chaos) finalChecks() {
	public := map[string]bool{}
	filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		base := filepath.Base(p)
		if base != "public.json" && base != "signature.json" && base != "plan.txt" && !strings.HasSuffix(base, ".plan") {
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, tok := range hexToken.FindAllString(string(data), -1) {
			for _, t := range []string{tok, strings.TrimLeft(tok[min(2, len(tok)):], "0")} {
				if b, ok := new(big.Int).SetString(t, 16); ok {
					public[hex.EncodeToString(b.Bytes())] = true
				}
			}
		}
		return nil
	})
	type needle struct {
		enc string
		key string
	}
	index := map[string][]needle{}
	const prefix = 12
	n := 0
	for k, x := range c.secrets {
		if public[k] {
			continue
		}
		n++
		raw := x.Bytes()
		for _, enc := range []string{string(raw), hex.EncodeToString(raw), strings.ToUpper(hex.EncodeToString(raw)), x.String(), base64.StdEncoding.EncodeToString(raw)} {
			if len(enc) >= prefix {
				index[enc[:prefix]] = append(index[enc[:prefix]], needle{enc, k})
			}
		}
	}
	var files, scanned int64
	filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		scanned += int64(len(data))
		for i := 0; i+prefix <= len(data); i++ {
			ns, ok := index[string(data[i:i+prefix])]
			if !ok {
				continue
			}
			for _, nd := range ns {
				if bytes.HasPrefix(data[i:], []byte(nd.enc)) {
					c.secretHits++
					c.hitFiles = append(c.hitFiles, p)
					c.errorf("secret %s… found in %s at byte %d", nd.key[:16], p, i)
				}
			}
		}
		return nil
	})
	c.logf("secret scan: %d secrets (of %d large integers seen in %d decrypted states and every share), %d files, %d bytes", n, len(c.secrets), c.captures, files, scanned)
}

func (c *chaos) summary(d time.Duration) string {
	var kinds []string
	for k, v := range c.faultKinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("chaos %s: %d runs, %d kills (SIGKILL), %d faults (%s), %d ceremonies: %d finished, %d aborted with the culprit named, %d unclean; %d signatures verified; duplicate round emissions %d (of %d envelopes); secret hits %d (%d large integers from states and shares); %s",
		*chaosMode, c.runs, c.kills, c.faults, strings.Join(kinds, ", "), c.ceremonies, c.finished, c.aborted, c.unclean,
		c.signatures, c.dupEmissions, len(c.emitted), c.secretHits, len(c.secrets), d.Round(time.Second))
}

func quiet(string, ...any) {}

// TestChaosCheckersFind: the campaign's two detectors do find what they
// look for (a planted secret in each encoding, two different envelopes
// under one name), so a clean campaign means something.
func TestChaosCheckersFind(t *testing.T) {
	x, _ := new(big.Int).SetString("a3f1c9e07b5d2468ace13579bdf02468fedcba9876543210", 16)
	for _, enc := range []string{x.String(), hex.EncodeToString(x.Bytes()), strings.ToUpper(hex.EncodeToString(x.Bytes())), string(x.Bytes()), base64.StdEncoding.EncodeToString(x.Bytes())} {
		c := &chaos{t: t, root: t.TempDir(), secrets: map[string]*big.Int{hex.EncodeToString(x.Bytes()): x}, errorf: quiet, logf: quiet}
		os.WriteFile(filepath.Join(c.root, "leak.json"), []byte(`{"xi": `+enc+`}`), 0o600)
		os.WriteFile(filepath.Join(c.root, "clean.txt"), []byte("nothing here"), 0o600)
		c.finalChecks()
		if c.secretHits != 1 || len(c.hitFiles) != 1 || filepath.Base(c.hitFiles[0]) != "leak.json" {
			t.Errorf("encoding %q: %d hits %v", enc, c.secretHits, c.hitFiles)
		}
	}
	c := &chaos{t: t, root: t.TempDir(), emitted: map[string][32]byte{}, errorf: quiet, logf: quiet}
	out := filepath.Join(c.root, "w", "outbox")
	os.MkdirAll(out, 0o700)
	name := "cs-00000001-eddsa-sign-r01-p1-to-all.age"
	os.WriteFile(filepath.Join(out, name), []byte("one"), 0o600)
	c.observe("w", "stick")
	os.WriteFile(filepath.Join(out, name), []byte("two"), 0o600)
	c.observe("w", "stick")
	if c.dupEmissions != 1 {
		t.Fatalf("two envelopes under one name: %d duplicate emissions counted", c.dupEmissions)
	}
}
