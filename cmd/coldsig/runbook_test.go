package main

// Every runbook in runbooks/ is executed here, command by command, exactly
// as printed: each participant has a laptop (a directory, the working
// directory of its commands), a USB stick is one shared directory ($STICK),
// and `coldsig` on PATH is this test binary. The simulation differs from a
// real ceremony only where a person would act: the passphrase comes from a
// file through $COLDSIG_PASSPHRASE_FILE (which the shipped binary reads
// too), and `coldsig preparams` hands out the committed TEST-ONLY
// pre-parameters instead of searching for primes (testOnlyPreParams, set
// only in this test binary).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/bytewords"
	"github.com/coldsig/coldsig/internal/runbook"
)

const preparamsPoolEnv = "COLDSIG_TESTONLY_PREPARAMS_POOL"

func init() {
	testMainHooks = append(testMainHooks, func() {
		if pool := os.Getenv(preparamsPoolEnv); pool != "" {
			testOnlyPreParams = func(_ context.Context, progress func(time.Duration)) (*ecdsakeygen.LocalPreParams, error) {
				// The progress a real search of 31 s reports.
				for s := 1; s <= 31; s++ {
					progress(time.Duration(s) * time.Second)
				}
				return claimPreParams(pool)
			}
		}
	})
}

// claimPreParams takes the first unused fixture of the pool; the rename
// makes the claim exclusive, so no two parties ever get the same one.
func claimPreParams(pool string) (*ecdsakeygen.LocalPreParams, error) {
	names, err := filepath.Glob(filepath.Join(pool, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.Rename(n, n+".used"); err != nil {
			continue
		}
		raw, err := os.ReadFile(n + ".used")
		if err != nil {
			return nil, err
		}
		var pp ecdsakeygen.LocalPreParams
		if err := json.Unmarshal(raw, &pp); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		return &pp, nil
	}
	return nil, errors.New("test pre-parameters pool exhausted")
}

const runbooksDir = "../../runbooks"

// simulation is one runbook simulation's directory tree.
type simulation struct {
	root    string
	coldsig string // the binary the commands find on PATH
	log     *bytes.Buffer
}

func (s *simulation) laptop(name string) string { return filepath.Join(s.root, "laptops", name) }
func (s *simulation) stick() string             { return filepath.Join(s.root, "stick") }
func (s *simulation) passFile() string          { return filepath.Join(s.root, "secret", "passphrase") }

// newSimulation creates the tree, or copies it from a finished one.
func newSimulation(root, from, coldsig string) (*simulation, error) {
	s := &simulation{root: root, coldsig: coldsig, log: &bytes.Buffer{}}
	if from != "" {
		return s, copyTree(from, root)
	}
	for _, d := range []string{s.stick(), filepath.Join(root, "laptops"), filepath.Join(root, "secret"), filepath.Join(root, "pool")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// One strong random passphrase (8 bytewords) for every identity of
	// the simulation: the zxcvbn check of identity new applies unchanged.
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	if err := os.WriteFile(s.passFile(), []byte(strings.Join(bytewords.Words(b[:]), " ")+"\n"), 0o600); err != nil {
		return nil, err
	}
	fixtures, err := filepath.Glob("../../testdata/preparams/test-only-*.json")
	if err != nil || len(fixtures) == 0 {
		return nil, fmt.Errorf("no test pre-parameters: %v", err)
	}
	for _, f := range fixtures {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(root, "pool", filepath.Base(f)), data, 0o600); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// run executes one simulation's steps in order and returns the first
// failure, naming the runbook line, step, participant and command.
func (s *simulation) run(rbName string, sim *runbook.Sim, inject map[string]func(*simulation) error) error {
	for _, st := range sim.Steps {
		if a, ok := sim.Inject[st.Number]; ok {
			f := inject[a]
			if f == nil {
				return fmt.Errorf("%s:%d: unknown inject action %q", rbName, sim.Line, a)
			}
			if err := f(s); err != nil {
				return fmt.Errorf("%s: inject %s before step %s: %w", rbName, a, st.Number, err)
			}
		}
		if st.Command == "" {
			continue
		}
		who, err := sim.Participants(st.Role)
		if err != nil {
			return fmt.Errorf("%s:%d: step %s: %w", rbName, st.Line, st.Number, err)
		}
		for _, p := range who {
			if err := s.exec(rbName, st, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *simulation) exec(rbName string, st runbook.Step, who string) error {
	dir := s.laptop(who)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", st.Command)
	if asksOnTerminal(st.Command) {
		// As in a real ceremony: on a terminal (a pseudo-terminal from
		// script(1)), where the officer answers the question with "y".
		cmd = exec.CommandContext(ctx, "script", "-qec", "set -o pipefail; "+st.Command, "/dev/null")
		cmd.Stdin = strings.NewReader("y\n")
	}
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"SHELL=/bin/bash",
		"ME="+who, "STICK="+s.stick(), "HOME="+dir, "MEDIA="+filepath.Join(s.root, "laptops"),
		passphraseFileEnv+"="+s.passFile(),
		preparamsPoolEnv+"="+filepath.Join(s.root, "pool"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return fmt.Errorf("%s:%d: step %s (%s): %v", rbName, st.Line, st.Number, who, err)
		}
		code = ee.ExitCode()
	}
	fmt.Fprintf(s.log, "--- %s step %s, %s: %s (exit %d)\n%s", rbName, st.Number, who, st.Command, code, out.String())
	fail := func(what string) error {
		return fmt.Errorf("%s:%d: step %s (%s, %s): %s\ncommand: %s\noutput:\n%s", rbName, st.Line, st.Number, st.Role, who, what, st.Command, out.String())
	}
	if code != st.Exit {
		return fail(fmt.Sprintf("exit status %d, the runbook says %d", code, st.Exit))
	}
	for _, e := range st.Expect {
		if !strings.Contains(out.String(), e) {
			return fail(fmt.Sprintf("output lacks %q", e))
		}
	}
	return nil
}

// runbookAsks matches the commands that ask the officer a question on the
// terminal: join (do the plan's words match?) and abort (destroy the
// state?).
var runbookAsks = regexp.MustCompile(`\bcoldsig (join|abort)\b`)

// asksOnTerminal: a runbook command that asks, printed without --yes (a
// runbook shows officers the question they will be asked).
func asksOnTerminal(command string) bool {
	return runbookAsks.MatchString(command) && !strings.Contains(command, "--yes")
}

// coldsigOnPath is the coldsig the runbook commands run: this test binary,
// installed on PATH by testscript.RunMain in TestMain.
func coldsigOnPath(t *testing.T) string {
	p, err := exec.LookPath("coldsig")
	if err != nil || !strings.Contains(p, "testscript-main") {
		t.Fatalf("coldsig on PATH is %q (%v), not the test binary", p, err)
	}
	return p
}

func loadRunbooks(t *testing.T) map[string]*runbook.Runbook {
	files, err := filepath.Glob(filepath.Join(runbooksDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	rbs := map[string]*runbook.Runbook{}
	for _, f := range files {
		if filepath.Base(f) == "README.md" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := runbook.Parse(filepath.Base(f), data)
		if err != nil {
			t.Fatal(err)
		}
		rbs[rb.Name] = rb
	}
	if len(rbs) == 0 {
		t.Fatal("no runbooks found")
	}
	return rbs
}

// runbookInjections are faults a runbook's simulation may stage before a
// step, for incidents no honest command produces.
var runbookInjections = map[string]func(*simulation) error{
	// bob's round-2 broadcast on the stick is replaced by one with two
	// extra commitment points, signed by bob: the first party to step
	// aborts naming bob as the culprit.
	"bob-crafts-round2": func(s *simulation) error {
		// The stick may hold earlier sessions' envelopes: take the
		// newest round-2 broadcast of party 2.
		files, _ := filepath.Glob(filepath.Join(s.stick(), "*-eddsa-keygen-r02-p2-to-all.age"))
		if len(files) == 0 {
			return errors.New("no EdDSA keygen round-2 broadcast from party 2 on the stick")
		}
		sort.Slice(files, func(i, j int) bool {
			a, _ := os.Stat(files[i])
			b, _ := os.Stat(files[j])
			return a.ModTime().After(b.ModTime())
		})
		pass, err := os.ReadFile(s.passFile())
		if err != nil {
			return err
		}
		load := func(name string) (*identity.Identity, error) {
			return identity.LoadIdentity(filepath.Join(s.laptop(name), name+".key"), func() ([]byte, error) {
				return bytes.TrimSpace(pass), nil
			})
		}
		alice, err := load("alice")
		if err != nil {
			return err
		}
		bob, err := load("bob")
		if err != nil {
			return err
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			return err
		}
		var rcpts []age.Recipient
		for _, n := range []string{"alice", "carol"} {
			card, err := identity.LoadCard(filepath.Join(s.laptop(n), n+".card"))
			if err != nil {
				return err
			}
			rcpts = append(rcpts, card.Recipient)
		}
		crafted, err := craftExtraCommitments(data, alice, bob, rcpts)
		if err != nil {
			return err
		}
		return os.WriteFile(files[0], crafted, 0o600)
	},
}

// craftExtraCommitments re-seals an EdDSA keygen round-2 broadcast (opened
// with reader) with two extra decommitment points, signed by its sender.
func craftExtraCommitments(data []byte, reader, sender *identity.Identity, rcpts []age.Recipient) ([]byte, error) {
	env, err := envelope.Open(data, reader)
	if err != nil {
		return nil, err
	}
	from := fmt.Sprint(env.Header.From)
	msg, err := tss.ParseWireMessage(env.Payload, tss.NewPartyID(from, sender.Name, big.NewInt(int64(env.Header.From))), true)
	if err != nil {
		return nil, err
	}
	content, ok := msg.Content().(*eddsakeygen.KGRound2Message2)
	if !ok {
		return nil, fmt.Errorf("not an EdDSA keygen round-2 broadcast: %T", msg.Content())
	}
	dc := content.DeCommitment
	content.DeCommitment = append(append([][]byte{}, dc...), dc[len(dc)-2], dc[len(dc)-1])
	meta := tss.MessageRouting{From: msg.GetFrom(), IsBroadcast: true}
	wire, _, err := tss.NewMessage(meta, content, tss.NewMessageWrapper(meta, content)).WireBytes()
	if err != nil {
		return nil, err
	}
	return envelope.Seal(env.Header, wire, sender, rcpts)
}

// TestRunbooks runs every runbook's commands as a simulated ceremony, each
// after the runbook it names in after= (whose end state it copies; a
// runbook filtered out by -run still runs when another one needs it).
func TestRunbooks(t *testing.T) {
	coldsig := coldsigOnPath(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) (util-linux) is needed to answer join's and abort's questions on a terminal")
	}
	rbs := loadRunbooks(t)
	// The printed procedure must show officers the questions join and
	// abort ask (join's is the check that every officer holds the same
	// plan): no runbook skips them with --yes.
	for name, rb := range rbs {
		for _, sim := range rb.Sims {
			for _, st := range sim.Steps {
				if runbookAsks.MatchString(st.Command) && !asksOnTerminal(st.Command) {
					t.Errorf("%s:%d: step %s skips the question with --yes: %s", name, st.Line, st.Number, st.Command)
				}
			}
		}
	}
	// RUNBOOK_KEEP_DIR keeps the simulated laptops (records, results) for
	// a person to look at.
	root := os.Getenv("RUNBOOK_KEEP_DIR")
	if root == "" {
		root = t.TempDir()
	}
	done := map[string]string{} // runbook -> its final simulation root
	running := map[string]bool{}
	var ensure func(t *testing.T, name string) string
	ensure = func(t *testing.T, name string) string {
		t.Helper()
		if d, ok := done[name]; ok {
			return d
		}
		if running[name] {
			t.Fatalf("runbooks depend on each other in a cycle through %s", name)
		}
		rb, ok := rbs[name]
		if !ok {
			t.Fatalf("after=%s: no such runbook", name)
		}
		running[name] = true
		var last string
		for i, sim := range rb.Sims {
			from := ""
			if sim.After != "" {
				from = ensure(t, sim.After)
			}
			dir := filepath.Join(root, fmt.Sprintf("%s-%d", strings.TrimSuffix(name, ".md"), i+1))
			s, err := newSimulation(dir, from, coldsig)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := s.run(name, sim, runbookInjections); err != nil {
				t.Fatalf("%v\n\nthe simulation so far:\n%s", err, s.log)
			}
			t.Logf("%s:%d: %d steps in %v", name, sim.Line, len(sim.Steps), time.Since(start).Round(time.Millisecond))
			last = dir
		}
		done[name] = last
		return last
	}
	names := make([]string, 0, len(rbs))
	for n := range rbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if !t.Run(name, func(t *testing.T) { ensure(t, name) }) {
			return
		}
	}
}

// TestRunbookCatchesBrokenCommand: the runbook check fails when a
// documented command no longer works (a flag renamed) or its promised
// output is gone, naming the runbook line and the step.
func TestRunbookCatchesBrokenCommand(t *testing.T) {
	coldsig := coldsigOnPath(t)
	data, err := os.ReadFile(filepath.Join(runbooksDir, "keygen-ed25519.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ from, to, want string }{
		{"--threshold 2", "--threshhold 2", "unknown flag: --threshhold"},
		{"--workdir kg", "--work-dir kg", "unknown flag: --work-dir"},
		{"`FINISHED  transcript`", "`FINISHED  transcrypt`", `output lacks "FINISHED  transcrypt"`},
	} {
		t.Run(m.to, func(t *testing.T) {
			if !bytes.Contains(data, []byte(m.from)) {
				t.Fatalf("keygen-ed25519.md no longer contains %q; update this test", m.from)
			}
			rb, err := runbook.Parse("mutated.md", bytes.Replace(data, []byte(m.from), []byte(m.to), 1))
			if err != nil {
				t.Fatal(err)
			}
			s, err := newSimulation(t.TempDir(), "", coldsig)
			if err != nil {
				t.Fatal(err)
			}
			err = s.run("mutated.md", rb.Sims[0], runbookInjections)
			if err == nil || !strings.Contains(err.Error(), m.want) || !strings.Contains(err.Error(), "mutated.md:") {
				t.Fatalf("mutated runbook: got %v, want an error with %q", err, m.want)
			}
			t.Logf("caught: %s", strings.SplitN(err.Error(), "\n", 2)[0])
		})
	}
}
