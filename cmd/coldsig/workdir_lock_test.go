//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitStopped waits until process pid is stopped (state T in
// /proc/PID/stat).
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i:]), ") T") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d did not stop", pid)
}

// suspendedColdsig starts the fault-hook build of coldsig in c's directory
// with COLDSIG_FAULTS=stop=SUBSTR and waits until it has stopped itself
// there (as Ctrl-Z would).
func suspendedColdsig(t *testing.T, c *cli, substr string, args ...string) *exec.Cmd {
	t.Helper()
	cmd, _, _ := c.command(args...)
	cmd.Path = faultBinary(t)
	cmd.Env = append(cmd.Env, "COLDSIG_FAULTS=stop="+substr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
	})
	waitStopped(t, cmd.Process.Pid)
	return cmd
}

// TestWorkDirLock: a join suspended (SIGSTOP) in the middle of writing its
// state holds the work directory's lock: a step, an abort and a second
// join there are refused with exit 1 and change nothing. Resumed, it
// completes. A join killed with SIGKILL while it holds the lock leaves no
// stale lock: the next join completes what it began.
func TestWorkDirLock(t *testing.T) {
	c := newCLI(t, "alice", "bob")
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "-o", "kg.plan")
	os.MkdirAll(c.path("stick"), 0o700)

	join := suspendedColdsig(t, c, "state/step-", "join", "--yes", "kg.plan", "--identity", "ids/alice.key", "--workdir", "a")
	before := treeDigest(t, c.path("a"))
	for _, args := range [][]string{
		{"step", "--workdir", "a", "--identity", "ids/alice.key", "--inbox", "stick"},
		{"abort", "--yes", "--workdir", "a", "--reason", "test"},
		{"join", "--yes", "kg.plan", "--identity", "ids/alice.key", "--workdir", "a"},
	} {
		r := c.run(args...)
		if r.code != 1 || !strings.Contains(r.stderr, "another coldsig process is working in this work directory") || !strings.Contains(r.stderr, "coldsig: hint: let the other one finish first") {
			t.Fatalf("coldsig %s beside a suspended join: exit %d\n%s", args[0], r.code, r.stderr)
		}
		if after := treeDigest(t, c.path("a")); after != before {
			t.Fatalf("coldsig %s beside a suspended join changed the work directory", args[0])
		}
	}
	if err := join.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := join.Wait(); err != nil {
		t.Fatalf("resumed join: %v", err)
	}
	if r := c.ok("status", "--workdir", "a"); !strings.Contains(r.stdout, "state     running, round 1 of 3") {
		t.Fatalf("status after the resumed join:\n%s", r.stdout)
	}

	join = suspendedColdsig(t, c, "state/step-", "join", "--yes", "kg.plan", "--identity", "ids/bob.key", "--workdir", "b")
	join.Process.Signal(syscall.SIGKILL)
	var ee *exec.ExitError
	if err := join.Wait(); !errors.As(err, &ee) {
		t.Fatalf("killed join: %v", err)
	}
	c.ok("join", "--yes", "kg.plan", "--identity", "ids/bob.key", "--workdir", "b")
	c.ok("step", "--workdir", "b", "--identity", "ids/bob.key", "--inbox", "a/outbox")
}
