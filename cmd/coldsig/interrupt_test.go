package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldsig/coldsig/internal/atomicfile"
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

// TestE2EInterruptedQREncode: Ctrl-C while 'qr encode' writes a large PNG
// set makes it discard what it staged (no temporary frames, no half-filled
// -o DIR), so the same command runs again, as the message says; temporary
// files that a killed encode could not discard do not block the rerun.
func TestE2EInterruptedQREncode(t *testing.T) {
	skipIfShort(t)
	c := newCLI(t)
	payload := make([]byte, 24<<10)
	for i := range payload {
		payload[i] = byte(i*7 + i/251)
	}
	writeFileT(t, c.path("big.bin"), payload)
	args := []string{"qr", "encode", "big.bin", "-o", "frames", "--scale", "2"}

	// stopMidway starts the encode and sends sig once temporary frames are
	// being staged in frames/.
	stopMidway := func(sig os.Signal) (*exec.Cmd, error, time.Duration, string) {
		cmd, _, stderr := c.command(args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for !hasTemp(c.path("frames")) {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("qr encode never staged a frame:\n%s", stderr)
			}
			time.Sleep(5 * time.Millisecond)
		}
		sent := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		return cmd, err, time.Since(sent), stderr.String()
	}

	_, err, took, msg := stopMidway(syscall.SIGINT)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want %d\n%s", err, exitInterrupted, msg)
	}
	if took > 3*time.Second {
		t.Errorf("qr encode took %v to stop after SIGINT", took)
	}
	if !strings.Contains(msg, "coldsig: interrupted. Nothing is half-written") || !strings.Contains(msg, "Run the same command again.") {
		t.Errorf("interrupt message:\n%s", msg)
	}
	if strings.Contains(msg, "error") {
		t.Errorf("the cancellation is reported as an error:\n%s", msg)
	}
	if _, err := os.Lstat(c.path("frames")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the interrupted encode left frames/ behind (%v): %v", err, dirNames(c.path("frames")))
	}
	c.ok(args...)
	if err := os.RemoveAll(c.path("frames")); err != nil {
		t.Fatal(err)
	}

	// A killed encode discards nothing: its hidden temporary frames are
	// not "files in DIR" for the rerun, which removes them.
	if _, err, _, _ := stopMidway(syscall.SIGKILL); err == nil {
		t.Fatal("SIGKILL: exit 0")
	}
	if !hasTemp(c.path("frames")) {
		t.Fatalf("no temporary frame left by the killed encode: %v", dirNames(c.path("frames")))
	}
	r := c.ok(args...)
	if hasTemp(c.path("frames")) {
		t.Errorf("temporary frames left after the rerun: %v", dirNames(c.path("frames")))
	}
	if !strings.Contains(r.stdout, "every frame verified") {
		t.Errorf("rerun output:\n%s", r.stdout)
	}
}

func hasTemp(dir string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) {
			return true
		}
	}
	return false
}

func dirNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestQRShowStopsOnCtrlC: Ctrl-C is how 'qr show' is meant to end (its
// EXIT STATUS: 0), so it is not reported as an interruption.
func TestQRShowStopsOnCtrlC(t *testing.T) {
	c := newCLI(t)
	writeFileT(t, c.path("small.txt"), []byte("a file to show\n"))
	cmd, _, stderr := c.command("qr", "show", "small.txt")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.Contains(sc.Text(), "Ctrl-C to stop") {
	}
	go io.Copy(io.Discard, pr)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("qr show stopped with Ctrl-C: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr:\n%s", stderr)
	}
}
