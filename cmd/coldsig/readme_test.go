package main

// TestREADMEExamples runs every command example of README.md, exactly as
// printed, in a simulated ceremony: each officer has a laptop (a
// directory), the USB stick is one shared directory ($STICK), and coldsig on
// PATH is this test binary (see runbook_test.go for the simulation and its
// two test-only stand-ins: the passphrase comes from a file through
// $COLDSIG_PASSPHRASE_FILE, which the shipped binary reads too, and
// preparams hands out committed TEST-ONLY pre-parameters). A join printed
// without --yes runs on a pseudo-terminal (script(1)) where the officer
// types "y", as in a real ceremony. Between the examples, "glue" steps do
// what the README says in prose (the other officers' turns, copying files
// to and from the stick); they are marked and never count as examples.
//
// The scenario must list the README's examples in order: a command added,
// changed or removed in the README fails the test until the scenario
// follows, so the README cannot drift from the binary. `make` lines are
// development targets: they are checked to be Makefile targets, not run
// (CI runs make test itself).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

type readmeStep struct {
	who  string // the laptop it runs on
	cmd  string // the README's text exactly (or a glue command)
	glue bool   // not a README example: what people do between them
	tty  bool   // on a terminal where the officer answers "y"
	// flagsOnly: a full-screen program (coldsig tui), exercised by its own
	// tmux test; here its flags are checked against the binary (--help).
	flagsOnly bool
	// expect are substrings of the output.
	expect []string
}

// readmeExamples extracts the command examples of README.md: the lines of
// indented code blocks that start with "coldsig " or "make ", with "\"
// continuations joined by a single space.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	cont := false
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "    ") {
			cont = false
			continue
		}
		code := strings.TrimSpace(l)
		switch {
		case cont:
			out[len(out)-1] += " " + strings.TrimSuffix(code, `\`)
		case strings.HasPrefix(code, "coldsig ") || strings.HasPrefix(code, "make "):
			out = append(out, strings.TrimSuffix(code, `\`))
		default:
			continue
		}
		out[len(out)-1] = strings.TrimSpace(out[len(out)-1])
		cont = strings.HasSuffix(code, `\`)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// finishScript steps officer:workdir pairs (each in its own laptop) with
// the stick until all have finished, handing on each outbox after a step.
const finishScript = `set -u
for i in $(seq 1 16); do
  done=0
  for pw in "$@"; do
    p=${pw%%:*}; wd=${pw#*:}; d="$LAPTOPS/$p"
    if (cd "$d" && coldsig status --workdir "$wd" | grep -q '^state     finished'); then done=$((done+1)); continue; fi
    rc=0; (cd "$d" && coldsig step --workdir "$wd" --identity "$p.key" --inbox "$STICK" >/dev/null 2>&1) || rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then (cd "$d" && coldsig step --workdir "$wd" --identity "$p.key" --inbox "$STICK"); exit 1; fi
    cp "$d/$wd"/outbox/* "$STICK"/ 2>/dev/null || true
  done
  [ $done -eq $# ] && exit 0
done
echo "the ceremony did not finish"; exit 1
`

func readmeScenario() []readmeStep {
	glue := func(who, cmd string) readmeStep { return readmeStep{who: who, cmd: cmd, glue: true} }
	ex := func(who, cmd string, expect ...string) readmeStep {
		return readmeStep{who: who, cmd: cmd, expect: expect}
	}
	tty := func(who, cmd string, expect ...string) readmeStep {
		return readmeStep{who: who, cmd: cmd, tty: true, expect: expect}
	}
	mk := func(target string) readmeStep { return readmeStep{cmd: "make " + target} }
	finish := `bash "$SIM/finish.sh" `
	return []readmeStep{
		mk("demo"), mk("test"),
		{who: "alice", cmd: "coldsig tui --identity alice.key --inbox /media/stick", flagsOnly: true, expect: []string{"Usage:"}},

		// A ceremony, step by step: alice's commands; bob and carol do the same.
		ex("alice", "coldsig identity new alice                  # alice.key (secret, passphrase) + alice.card (public)", ".key (secret", ".card (public"),
		ex("alice", "coldsig identity show alice.card            # read the fingerprint words aloud to the others", "words:"),
		ex("alice", "coldsig preparams --card alice.card -o alice.pp   # ECDSA only; 20 s to minutes; do it ahead"),
		glue("bob", `coldsig identity new bob && coldsig preparams --card bob.card -o bob.pp && cp bob.card "$LAPTOPS/alice/"`),
		glue("carol", `coldsig identity new carol && coldsig preparams --card carol.card -o carol.pp && cp carol.card "$LAPTOPS/alice/"`),
		ex("alice", "coldsig plan keygen --curve secp256k1 --threshold 2 --party alice.card --party bob.card --party carol.card -o keygen.plan", "created keygen.plan"),
		ex("alice", "coldsig plan show keygen.plan", "fingerprint:", "threshold:     2-of-3"),
		glue("alice", `cp keygen.plan "$LAPTOPS/bob/" && cp keygen.plan "$LAPTOPS/carol/"`),
		glue("bob", `coldsig join --yes keygen.plan --identity bob.key --workdir bob-kg --preparams bob.pp && cp bob-kg/outbox/* "$STICK"/`),
		glue("carol", `coldsig join --yes keygen.plan --identity carol.key --workdir carol-kg --preparams carol.pp && cp carol-kg/outbox/* "$STICK"/`),
		tty("alice", "coldsig join keygen.plan --identity alice.key --workdir alice-kg --preparams alice.pp", "(you)", "Do these words match what the other officers read aloud? [y/N]", "outbox    1 envelope"),
		glue("alice", `cp alice-kg/outbox/* "$STICK"/`),
		ex("alice", `coldsig step --workdir alice-kg --identity alice.key --inbox "$STICK"`, "round 1 envelopes there from bob (party 2), carol (party 3)", "outbox    3 envelopes"),
		ex("alice", "coldsig status --workdir alice-kg           # what is needed next, from whom", "state     running", "needs     round 2 envelopes from:"),
		glue("alice", `cp alice-kg/outbox/* "$STICK"/ && `+finish+`alice:alice-kg bob:bob-kg carol:carol-kg && coldsig status --workdir alice-kg | grep '^address   0x' >/dev/null`),

		// Signing.
		glue("alice", `cp alice-kg/result/public.json public.json`),
		ex("alice", `coldsig plan sign --key public.json --signer alice.card --signer carol.card --message "pay 1 ETH to ..." -o sign.plan`, "created sign.plan", "pay 1 ETH to ..."),
		glue("alice", `cp sign.plan "$LAPTOPS/carol/"`),
		glue("carol", `coldsig join --yes sign.plan --identity carol.key --share carol-kg/result/share.age --workdir carol-sg && cp carol-sg/outbox/* "$STICK"/`),
		tty("alice", "coldsig join sign.plan --identity alice.key --share alice-kg/result/share.age --workdir alice-sg", "(you)", "pay 1 ETH to ..."),
		glue("alice", `cp alice-sg/outbox/* "$STICK"/`),
		ex("alice", `coldsig step --workdir alice-sg --identity alice.key --inbox "$STICK"    # until finished`, "outbox"),
		glue("alice", `cp alice-sg/outbox/* "$STICK"/ && `+finish+`alice:alice-sg carol:carol-sg && coldsig status --workdir alice-sg | grep '^signature 0x' >/dev/null`),
		ex("alice", "coldsig verify --key public.json --signature alice-sg/result/signature.json", "OK: valid secp256k1 signature"),
		ex("alice", `coldsig verify --key public.json --signature alice-sg/result/signature.json --message "pay 1 ETH to ..."`, "matches   the given message (EIP-191 digest"),

		// A batch plan and an HD child key (plans only: signing them is
		// any signing).
		glue("alice", `printf 'coldsig/batch/v1\n# a sweep\nm/0/7 digest 5c0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e3\nmessage I control this address\n' > sweep.batch`),
		ex("alice", "coldsig plan sign --key public.json --signer alice.card --signer carol.card --batch sweep.batch -o sweep.plan       # result/signature-01.json ... -NN.json", "created sweep.plan"),
		ex("alice", "coldsig address --key public.json --path m/0/7    # child public key, ETH and P2WPKH address", "m/0/7"),
		ex("alice", "coldsig plan sign --key public.json --signer alice.card --signer carol.card --path m/0/7 --digest 5c0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e3 -o child.plan", "created child.plan", "m/0/7"),

		// Resharing to alice, bob and dave; then retiring the old shares.
		glue("dave", `coldsig identity new dave && coldsig preparams --card dave.card -o dave.pp && cp dave.card "$LAPTOPS/alice/"`),
		ex("alice", "coldsig plan reshare --key public.json --old alice.card --old bob.card --new alice.card --new bob.card --new dave.card --threshold 2 -o reshare.plan", "created reshare.plan", "(continuing, old slot 1)"),
		glue("alice", `cp reshare.plan "$LAPTOPS/bob/" && cp reshare.plan "$LAPTOPS/dave/" && coldsig preparams --card alice.card -o alice-new.pp &&
			coldsig join --yes reshare.plan --identity alice.key --committee old --share alice-kg/result/share.age --workdir alice-rs-old &&
			coldsig join --yes reshare.plan --identity alice.key --committee new --preparams alice-new.pp --workdir alice-rs-new `),
		glue("bob", `coldsig preparams --card bob.card -o bob-new.pp &&
			coldsig join --yes reshare.plan --identity bob.key --committee old --share bob-kg/result/share.age --workdir bob-rs-old &&
			coldsig join --yes reshare.plan --identity bob.key --committee new --preparams bob-new.pp --workdir bob-rs-new `),
		glue("dave", `coldsig join --yes reshare.plan --identity dave.key --preparams dave.pp --workdir dave-rs-new`),
		// finish.sh hands on every outbox after each step, the joins' too
		// (a new member sends nothing in round 1).
		glue("alice", finish+`alice:alice-rs-old alice:alice-rs-new bob:bob-rs-old bob:bob-rs-new dave:dave-rs-new &&
			mkdir old new && cp alice-kg/result/public.json old/ && cp alice-rs-new/result/public.json new/`),
		ex("alice", `coldsig plan sign --key new/public.json --signer alice.card --signer dave.card --message "$(coldsig share statement --old old/public.json --new new/public.json)" -o retire.plan`, "created retire.plan"),
		glue("alice", `cp retire.plan "$LAPTOPS/dave/" && coldsig join --yes retire.plan --identity alice.key --share alice-rs-new/result/share.age --workdir alice-retire && cp alice-retire/outbox/* "$STICK"/`),
		glue("dave", `coldsig join --yes retire.plan --identity dave.key --share dave-rs-new/result/share.age --workdir dave-retire && cp dave-retire/outbox/* "$STICK"/`),
		glue("alice", finish+`alice:alice-retire dave:dave-retire`),
		ex("alice", "coldsig share retire alice-kg/result/share.age --identity alice.key --proof alice-rs-old/result/reshare-proof.txt --signature alice-retire/result/signature.json", "destroyed alice-kg/result/share.age"),

		// Backups of alice's new share with three custodians; QR transport.
		glue("custodians", `for c in c1 c2 c3; do coldsig identity new $c; done && cp c1.card c2.card c3.card "$LAPTOPS/alice/"`),
		glue("alice", `cp alice-rs-new/result/share.age share.age`),
		ex("alice", "coldsig backup split share.age --identity alice.key --threshold 2 --custodian c1.card --custodian c2.card --custodian c3.card -o shards/ --paper --qr", "shard-1-c1.age"),
		glue("alice", `cp -r shards "$LAPTOPS/custodians/" && cp alice.card "$LAPTOPS/custodians/" && cp new/public.json "$LAPTOPS/custodians/public.json"`),
		ex("custodians", "coldsig backup verify shards/shard-1-c1.age --identity c1.key     # each custodian, their own shard", "OK: shard 1 of 3"),
		ex("custodians", "coldsig backup restore shards/shard-1-c1.age shards/shard-3-c3.age --identity c1.key --identity c3.key --to alice.card --public public.json -o share.age", "restored party 1 (alice)"),
		ex("custodians", "coldsig drill restore --backup shards/shard-1-c1.age --backup shards/shard-2-c2.age --identity c1.key --identity c2.key --public public.json", "drill PASS"),
		ex("alice", "coldsig qr encode keygen.plan -o frames/ --gif   # any coldsig file as fountain-coded UR frames"),
		ex("alice", "coldsig qr decode frames/ -o keygen-copy.plan    # images, directories, or `zbarcam --raw` lines on stdin", "wrote keygen-copy.plan"),
		glue("alice", "cmp keygen.plan keygen-copy.plan"),

		// Ceremony records: bob's and carol's finished keygen dirs come to
		// alice's laptop (they hold no secret once finished).
		ex("alice", "coldsig version                              # version, commit, Go, tss-lib, age, this binary's SHA-256", "tss-lib"),
		ex("alice", "coldsig report --workdir alice-kg -o keygen-record.html      # printable record to sign and file"),
		glue("alice", `cp -r "$LAPTOPS/bob/bob-kg" "$LAPTOPS/carol/carol-kg" .`),
		ex("alice", "coldsig report --workdir alice-kg --workdir bob-kg --workdir carol-kg -o keygen-record.txt"),
		glue("alice", "test -s keygen-record.html && test -s keygen-record.txt"),

		mk("build"), mk("test"), mk("race"), mk("fuzz"), mk("chaos"), mk("vectors"), mk("bench"), mk("demo"), mk("release"), mk("release-check"), mk("clean"),
	}
}

// TestREADMEExamplesInSync is the fast half: the scenario lists exactly
// the README's examples, in order (it runs with -short too).
func TestREADMEExamplesInSync(t *testing.T) {
	checkREADMESync(t, readmeScenario())
}

func checkREADMESync(t *testing.T, steps []readmeStep) {
	t.Helper()
	var scenario []string
	for _, st := range steps {
		if !st.glue {
			scenario = append(scenario, st.cmd)
		}
	}
	readme := readmeExamples(t)
	for i := 0; i < len(readme) || i < len(scenario); i++ {
		var r, s string
		if i < len(readme) {
			r = readme[i]
		}
		if i < len(scenario) {
			s = scenario[i]
		}
		if strings.HasPrefix(s, "make ") && len(strings.Fields(r)) >= 2 && strings.Join(strings.Fields(r)[:2], " ") == s {
			continue // a make line's comment is for people
		}
		if r != s {
			t.Fatalf("README example %d and the scenario differ (update readmeScenario to follow the README):\nREADME:   %q\nscenario: %q", i+1, r, s)
		}
	}
}

func TestREADMEExamples(t *testing.T) {
	skipIfShort(t)
	bin := coldsigOnPath(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) (util-linux) is needed to answer join's question on a terminal")
	}
	steps := readmeScenario()
	checkREADMESync(t, steps)
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}

	sim, err := newSimulation(t.TempDir(), "", bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sim.root, "finish.sh"), []byte(finishScript), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, st := range steps {
		if strings.HasPrefix(st.cmd, "make ") {
			target := strings.Fields(st.cmd)[1]
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:`).Match(makefile) {
				t.Fatalf("README: %q: no such Makefile target", st.cmd)
			}
			continue
		}
		out, err := sim.readmeRun(st)
		what := "README example"
		if st.glue {
			what = "glue step"
		}
		if err != nil {
			t.Fatalf("%s %d (%s): %v\ncommand: %s\noutput:\n%s", what, i+1, st.who, err, st.cmd, out)
		}
		for _, e := range st.expect {
			if !strings.Contains(out, e) {
				t.Fatalf("%s %d (%s): output lacks %q\ncommand: %s\noutput:\n%s", what, i+1, st.who, e, st.cmd, out)
			}
		}
	}
}

// readmeRun runs one step in its laptop with bash (or, for tty steps, on a
// pseudo-terminal from script(1) with "y" typed).
func (s *simulation) readmeRun(st readmeStep) (string, error) {
	dir := s.laptop(st.who)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	line := st.cmd
	if st.flagsOnly {
		line += " --help"
	}
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", line)
	if st.tty {
		cmd = exec.CommandContext(ctx, "script", "-qec", st.cmd, "/dev/null")
		cmd.Stdin = strings.NewReader("y\n")
	}
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ME="+st.who, "STICK="+s.stick(), "HOME="+dir, "SHELL=/bin/bash",
		"SIM="+s.root, "LAPTOPS="+filepath.Join(s.root, "laptops"),
		passphraseFileEnv+"="+s.passFile(),
		preparamsPoolEnv+"="+filepath.Join(s.root, "pool"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	fmt.Fprintf(s.log, "--- %s: %s\n%s", st.who, st.cmd, out.String())
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), fmt.Errorf("exit status %d", ee.ExitCode())
	}
	return out.String(), err
}
