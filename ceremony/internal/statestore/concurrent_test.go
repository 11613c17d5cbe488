//go:build unix

package statestore

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
)

// suspended is a helper process stopped in the middle of a store operation
// as by Ctrl-Z: it reached a hook point, and the parent stopped it with
// SIGSTOP.
type suspended struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
}

// suspendAt runs op in a helper process on dir and suspends it at point.
func suspendAt(t *testing.T, dir string, id *age.X25519Identity, op, point string) *suspended {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvIdentity+"="+id.String(),
		crashEnvOp+"="+op, crashEnvPoint+"="+point, crashEnvWait+"=1")
	p := &suspended{t: t, cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	select {
	case l := <-line:
		if l != "reached "+point {
			t.Fatalf("helper said %q, stderr %q", l, p.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("helper did not reach %s; stderr %q", point, p.stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	return p
}

// resume continues the helper and returns its exit status and stderr.
func (p *suspended) resume() (int, string) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		p.t.Fatal(err)
	}
	p.stdin.Write([]byte("go on\n"))
	p.stdin.Close()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		p.t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode(), p.stderr.String()
}

// kill ends the helper with SIGKILL while it is stopped.
func (p *suspended) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	p.cmd.Wait()
}

// TestSuspendedStepOvertaken: process B opens step 1 to compute round 2
// and is suspended (while it computes, the longest part of a step); A takes steps 2 and 3 (which
// retires step 2's file, so its name is free again), and the officer moves
// A's round-2 envelopes to the stick. When B resumes, its exclusive link of
// step 2 succeeds; without the commit check it published its own, different
// round-2 envelopes and its log: two messages for one round. It must
// publish nothing, leave A's state current and remove its step file.
func TestSuspendedStepOvertaken(t *testing.T) {
	dir, id, k := crashSetup(t)
	b := suspendAt(t, dir, id, "advance", "opened")

	s, err := Open(dir, crashBinding, k)
	if err != nil {
		t.Fatal(err)
	}
	aOut2 := []File{{crashOut[0].Name, []byte("A r2 to p2")}, {crashOut[1].Name, []byte("A r2 to p3")}}
	aMeta3 := []File{{"progress.txt", []byte("A progress 3")}, {"log.txt", []byte("A log at step 3")}}
	if err := s.Advance(1, digest("A round 2 inbound"), []byte("A snapshot 2"), aOut2, crashMeta2...); err != nil {
		t.Fatal(err)
	}
	aOut3 := []File{{"r3-to-all.env", []byte("A r3 to all")}}
	if err := s.Advance(2, digest("A round 3 inbound"), []byte("A snapshot 3"), aOut3, aMeta3...); err != nil {
		t.Fatal(err)
	}
	for _, f := range aOut2 {
		if err := os.Remove(filepath.Join(dir, outboxDir, f.Name)); err != nil {
			t.Fatal(err)
		}
	}

	code, stderr := b.resume()
	if code != 2 || !strings.Contains(stderr, "concurrent step); nothing was published") {
		t.Fatalf("resumed step: exit %d, stderr %q; want refused as a concurrent step", code, stderr)
	}
	for _, f := range crashOut {
		if _, err := os.Stat(filepath.Join(dir, outboxDir, f.Name)); err == nil {
			t.Fatalf("the overtaken process published %s: a second round-2 envelope", f.Name)
		}
	}
	metaHas(t, dir, aMeta3)
	if got := stepFiles(t, dir); !slices.Equal(got, []string{StepFileName(3)}) {
		t.Fatalf("state files %v, want only A's step 3", got)
	}
	s, err = Open(dir, crashBinding, k)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(); s.Step() != 3 || string(st) != "A snapshot 3" {
		t.Fatalf("state at step %d: %q", s.Step(), st)
	}
}

// TestLockTwoProcesses: a process holding the work directory's lock, even
// while suspended, keeps every other process out; killed with SIGKILL, it
// leaves no stale lock.
func TestLockTwoProcesses(t *testing.T) {
	dir, id, _ := crashSetup(t)
	holder := suspendAt(t, dir, id, "lock", "locked")
	_, err := Lock(dir)
	wantErr(t, err, ErrLocked, "another coldsig process is working in this work directory")
	holder.kill()
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	if !l.Held() {
		t.Fatal("lock not held on a file system that has locks")
	}
	// One process, two operations (the TUI's automatic step beside one the
	// officer started): the second is refused too.
	_, err = Lock(dir)
	wantErr(t, err, ErrLocked, "")
	l.Close()
	l2, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	l2.Close()
	// A resumed holder completes normally.
	holder = suspendAt(t, dir, id, "lock", "locked")
	if code, stderr := holder.resume(); code != 0 {
		t.Fatalf("resumed holder: exit %d, %s", code, stderr)
	}
}

func TestLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), filepath.Join(dir, lockFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Lock(dir)
	wantErr(t, err, ErrSymlink, "")
	if _, err := Lock(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock of a missing directory: %v", err)
	}
}

// LockFile waits for another holder, gives up after its wait with an error
// naming the file, and reports a missing file as fs.ErrNotExist (the
// ledger's caller then goes on unlocked: no identity file to lock).
func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alice.key")
	if _, err := LockFile(path, time.Millisecond); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o400); err != nil {
		t.Fatal(err)
	}
	first, err := LockFile(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Held() {
		t.Skip("this file system has no locks")
	}
	if _, err := LockFile(path, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("second lock while held: %v", err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		first.Close()
	}()
	second, err := LockFile(path, 5*time.Second)
	if err != nil || !second.Held() {
		t.Fatalf("lock after release: %v", err)
	}
	second.Close()
}
