package main

// Hostile inputs through the real binary (issue 15): whatever someone with
// access to a stick or a file writes, no share is destroyed, no verify is
// fooled, nothing reaches the terminal unescaped, and nothing crashes.

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/envelope"
)

// forgeRound1 returns a second round-1 broadcast from bob in session ps,
// validly signed by bob, carrying the payload of bob's broadcast in the
// other session: proof that bob equivocated.
func forgeRound1(t *testing.T, c *cli, ps, other []party) []byte {
	t.Helper()
	aliceID := loadTestIdentity(t, c.path("ids", "alice.key"))
	bobID := loadTestIdentity(t, c.path("ids", "bob.key"))
	data, _ := os.ReadFile(globT(t, c.path(ps[1].workdir, "outbox", "*-r01-p2-to-all.age"))[0])
	real, err := envelope.Open(data, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	od, _ := os.ReadFile(globT(t, c.path(other[1].workdir, "outbox", "*-r01-p2-to-all.age"))[0])
	oe, err := envelope.Open(od, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	rcpts := c.recipients("alice", "carol")
	forged, err := envelope.Seal(real.Header, oe.Payload, bobID, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	return forged
}

// noTerminalControl fails if out holds a byte a terminal would interpret
// (other than the newlines between lines) or a line that an injected name
// could have faked.
func noTerminalControl(t *testing.T, what, out string) {
	t.Helper()
	for i := 0; i < len(out); i++ {
		if b := out[i]; (b < 0x20 && b != '\n') || b == 0x7f {
			t.Fatalf("%s holds control byte %#x at %d:\n%q", what, b, i, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FINISHED") || strings.HasPrefix(l, "transcript") {
			t.Fatalf("%s holds an injected line %q", what, l)
		}
	}
}

// TestHostileTerminalNames (point 3): file names on the stick carry escape
// sequences and newlines; step prints them only escaped. An equivocation
// whose envelope name holds a control character, or whose path is longer
// than an abort record's reason, still aborts the session (it used to
// fail with "aborting failed" and leave the session live).
func TestHostileTerminalNames(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	evil := "\x1b[2K\x1b[1A\rtranscript able acid\nFINISHED  transcript able acid "

	t.Run("names printed escaped", func(t *testing.T) {
		ps := edKeygenJoined(t, c, "kg1.plan")
		for _, p := range ps {
			c.move(p.workdir, "stick1")
		}
		// A copy of a real envelope (a reported duplicate), a foreign file
		// and a damaged one, all under hostile names.
		real := globT(t, c.path("stick1", "*-r01-p2-to-all.age"))[0]
		data, _ := os.ReadFile(real)
		writeFileT(t, c.path("stick1", evil+"dup.age"), data)
		writeFileT(t, c.path("stick1", evil+"bad.age"), []byte("age-encryption.org/v1\ngarbage"))
		r := c.step(ps[0], "stick1")
		noTerminalControl(t, "stderr", r.stderr)
		noTerminalControl(t, "stdout", r.stdout)
		if r.code != 1 || !strings.Contains(r.stderr, `\x1b[2K`) {
			t.Fatalf("exit %d, want 1 naming the escaped file:\n%s", r.code, r.stderr)
		}
		os.Remove(c.path("stick1", evil+"bad.age"))
		// Skipped files are named one per line with --verbose only.
		r = c.run("step", "--verbose", "--workdir", ps[0].workdir, "--identity", "ids/alice.key", "--inbox", c.path("stick1"))
		noTerminalControl(t, "stderr", r.stderr)
		if r.code != 0 || !strings.Contains(r.stderr, "duplicate") || !strings.Contains(r.stderr, `\x1b[2K`) {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
	})

	for _, tc := range []struct{ name, plan, file string }{
		{"equivocation named with control characters", "kg2.plan", "\x1b[31mbob\x07\n-r01.age"},
		{"equivocation behind a path over 1000 bytes", "kg3.plan", strings.Repeat("d", 200) + "/" + strings.Repeat("e", 200) + "/" + strings.Repeat("f", 200) + "/" + strings.Repeat("g", 200) + "/" + strings.Repeat("h", 200) + "/x.age"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := edKeygenJoined(t, c, tc.plan)
			other := edKeygenJoined(t, c, "other-"+tc.plan)
			stick := "stick-" + tc.plan
			for _, p := range ps {
				c.move(p.workdir, stick)
			}
			if r := c.step(ps[0], stick); r.code != 0 {
				t.Fatalf("alice round 1: %d %s", r.code, r.stderr)
			}
			forged := forgeRound1(t, c, ps, other)
			path := c.path(stick, tc.file)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, forged, 0o600); err != nil {
				t.Fatal(err)
			}
			// The forged copy sits beside the real one: alice has consumed
			// the real one, so the forged one proves bob equivocated.
			r := c.run("step", "--workdir", ps[0].workdir, "--identity", "ids/alice.key", "--inbox", c.path(stick), "--inbox", path)
			noTerminalControl(t, "stderr", r.stderr)
			if r.code != exitAborted || !strings.Contains(r.stderr, "culprit: bob (party 2)") || strings.Contains(r.stderr, "aborting failed") {
				t.Fatalf("exit %d, want %d naming bob:\n%s", r.code, exitAborted, r.stderr)
			}
			st := c.ok("status", "--workdir", ps[0].workdir)
			noTerminalControl(t, "status", st.stdout)
			if !strings.Contains(st.stdout, "state     aborted") || !strings.Contains(st.stdout, "culprit   bob (party 2)") {
				t.Fatalf("status:\n%s", st.stdout)
			}
			if ents, _ := os.ReadDir(c.path(ps[0].workdir, "state")); len(ents) != 0 {
				t.Fatalf("state not destroyed after the abort: %v", ents)
			}
		})
	}
}

// TestHostileRetireForgedFiles (point 1): no reshare happened, yet an
// attacker hands bob a copy of the key's own public.json with "session"
// changed and an old signing's signature.json with "committee" changed. The
// old main destroyed bob's live share on these two edited unsigned fields.
// Now retire needs bob's own signed reshare proof and a signature of the
// retire statement; forged ones are refused and the share stays.
func TestHostileRetireForgedFiles(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol", "dave")
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "keygen.plan")
	var kg []party
	for _, n := range []string{"alice", "bob", "carol"} {
		kg = append(kg, party{name: n, workdir: n + "-kg"})
	}
	c.ceremonyRun("keygen.plan", "stick-kg", kg)
	c.signRun("alice-kg/result/public.json", []string{"alice", "carol"}, "old", "an ordinary message")

	fake := strings.Repeat("5a", 32)
	pub, _ := os.ReadFile(c.path("alice-kg", "result", "public.json"))
	var pj map[string]any
	if err := json.Unmarshal(pub, &pj); err != nil {
		t.Fatal(err)
	}
	pj["session"] = fake
	b, _ := json.MarshalIndent(pj, "", "  ")
	writeFileT(t, c.path("forged-public.json"), b)
	sig, _ := os.ReadFile(c.path("alice-sg-old", "result", "signature.json"))
	var sj map[string]any
	if err := json.Unmarshal(sig, &sj); err != nil {
		t.Fatal(err)
	}
	sj["committee"] = fake
	b, _ = json.MarshalIndent(sj, "", "  ")
	writeFileT(t, c.path("forged-signature.json"), b)

	share := c.path("bob-kg", "result", "share.age")
	still := func(what string, r result) {
		t.Helper()
		if _, err := os.Stat(share); err != nil {
			t.Fatalf("%s destroyed bob's live share (exit %d):\n%s%s", what, r.code, r.stdout, r.stderr)
		}
		if r.code == 0 {
			t.Fatalf("%s: exit 0:\n%s", what, r.stdout)
		}
	}
	// The attack as reported: the two edited files only.
	still("retire on forged public.json and signature.json",
		c.run("share", "retire", "bob-kg/result/share.age", "--identity", "ids/bob.key", "--public", "forged-public.json", "--signature", "forged-signature.json"))

	// A forged reshare proof: a real-looking reshare plan to dave, with
	// confirmation-free contents, signed by dave instead of bob.
	c.ok("plan", "reshare", "--key", "alice-kg/result/public.json", "--old", "ids/alice.card", "--old", "ids/bob.card",
		"--new", "ids/alice.card", "--new", "ids/dave.card", "--threshold", "2", "-o", "fake-reshare.plan")
	planBytes, _ := os.ReadFile(c.path("fake-reshare.plan"))
	body := "coldsig/reshare-proof/v1\nplan: " + base64.StdEncoding.EncodeToString(planBytes) + "\nattester: 2\n"
	dave := loadTestIdentity(t, c.path("ids", "dave.key"))
	proofSig := ed25519.Sign(dave.Signing, []byte("coldsig/reshare-proof/v1 signature\x00"+body))
	writeFileT(t, c.path("forged-proof.txt"), []byte(body+"signature: "+hex.EncodeToString(proofSig)+"\n"))
	r := c.run("share", "retire", "bob-kg/result/share.age", "--identity", "ids/bob.key", "--proof", "forged-proof.txt", "--signature", "forged-signature.json", "--public", "forged-public.json")
	still("retire with a proof signed by dave", r)
	if !strings.Contains(r.stderr, "not signed by bob") {
		t.Fatalf("forged proof: %s", r.stderr)
	}
}

// A join that commits and then fails (exit 5) has put the pre-parameters'
// Paillier key and NTilde into its state: the single-use file is deleted
// then, not left for a later keygen, and the rerun the hint asks for goes
// on from the committed state without it.
func TestJoinExit5RetiresPreParams(t *testing.T) {
	c := newCLI(t, "alice", "bob")
	c.ok("plan", "keygen", "--curve", "secp256k1", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "-o", "kg.plan")
	pp := c.preparams("alice", 0)
	args := []string{"join", "--yes", "kg.plan", "--identity", "ids/alice.key", "--workdir", "alice-kg", "--preparams", pp}
	cmd, _, stderr := c.command(args...)
	cmd.Path, cmd.Args[0] = faultBinary(t), faultBinary(t)
	cmd.Env = append(cmd.Env, "COLDSIG_FAULTS=enospc-place=log.txt")
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitIncomplete {
		t.Fatalf("join with log.txt unplaceable: %v, want exit %d:\n%s", err, exitIncomplete, stderr)
	}
	if !strings.Contains(stderr.String(), "deleted used pre-parameters") {
		t.Errorf("exit 5 does not say the pre-parameters were deleted:\n%s", stderr)
	}
	if _, err := os.Stat(pp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the used pre-parameters are still there after exit 5: %v", err)
	}
	// The same command again: goes on without the deleted file.
	r := c.run(args...)
	if r.code != 0 || !strings.Contains(r.stderr, "was not read: this work directory holds the join already") {
		t.Fatalf("rerun: exit %d:\n%s", r.code, r.stderr)
	}
	if outs := globT(t, c.path("alice-kg", "outbox", "*-r01-*.age")); len(outs) == 0 {
		t.Fatal("the rerun wrote no round-1 envelopes")
	}
}
