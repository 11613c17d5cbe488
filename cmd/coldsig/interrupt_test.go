package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2EInterruptedStep (issue 11 point 8): Ctrl-C in the middle of an
// ECDSA keygen step (tss-lib computing round 2, seconds of work) ends
// coldsig at once with a message that the state is safe and what to run
// next; nothing is half-written (no visible partial file; leftovers are
// hidden temporary names), status still reads the work dir, and running
// the same step again finishes the ceremony normally.
func TestE2EInterruptedStep(t *testing.T) {
	skipIfShort(t)
	c := newCLI(t, "alice", "bob")
	c.ok("plan", "keygen", "--curve", "secp256k1", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "-o", "kg.plan")
	ps := []party{
		{name: "alice", workdir: "alice-kg", join: []string{"--preparams", c.preparams("alice", 0)}},
		{name: "bob", workdir: "bob-kg", join: []string{"--preparams", c.preparams("bob", 1)}},
	}
	if err := os.MkdirAll(c.path("stick"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		c.ok(append([]string{"join", "--yes", "kg.plan", "--identity", "ids/" + p.name + ".key", "--workdir", p.workdir}, p.join...)...)
		c.move(p.workdir, "stick")
	}

	cmd, stdout, _ := c.command("step", "--workdir", "alice-kg", "--identity", "ids/alice.key", "--inbox", "stick")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var stderr strings.Builder
	sc := bufio.NewScanner(pr)
	computing := false
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "computing") {
			computing = true
			break
		}
	}
	if !computing {
		cmd.Wait()
		t.Fatalf("the step never reported computing:\n%s", stderr.String())
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want %d\nstdout:\n%s\nstderr:\n%s", err, exitInterrupted, stdout, stderr.String())
	}
	if took > 3*time.Second {
		t.Errorf("coldsig took %v to stop after SIGINT", took)
	}
	msg := stderr.String()
	for _, want := range []string{
		"coldsig: interrupted. Nothing is half-written",
		"The step was either committed whole",
		"'coldsig status --workdir alice-kg', then run the same 'coldsig step' again",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// Nothing half-written: every visible file in the work dir is whole
	// (the work dir's own readers accept it below); only hidden temporary
	// names may be left, and the next step removes those.
	filepath.Walk(c.path("alice-kg"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && strings.Contains(fi.Name(), ".tmp-") && !strings.HasPrefix(fi.Name(), ".") {
			t.Errorf("visible temporary file %s", p)
		}
		return nil
	})
	c.ok("status", "--workdir", "alice-kg")

	// The same step again, then the rest of the ceremony.
	if r := c.run("step", "--workdir", "alice-kg", "--identity", "ids/alice.key", "--inbox", "stick"); r.code != 0 && r.code != exitWaiting {
		t.Fatalf("step after the interrupt: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c.move("alice-kg", "stick")
	for iter := 0; !(c.finished("alice-kg") && c.finished("bob-kg")); iter++ {
		if iter > 10 {
			t.Fatal("the ceremony did not finish after the interrupt")
		}
		for _, p := range ps {
			if !c.finished(p.workdir) {
				if r := c.step(p, "stick"); r.code != 0 && r.code != exitWaiting {
					t.Fatalf("%s: exit %d\n%s%s", p.name, r.code, r.stdout, r.stderr)
				}
			}
			c.move(p.workdir, "stick")
		}
	}
	c.sameFiles("result/public.json", "alice-kg", "bob-kg")
	filepath.Walk(c.path("alice-kg"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.Contains(fi.Name(), ".tmp-") {
			t.Errorf("temporary file left after the ceremony: %s", p)
		}
		return nil
	})
}
