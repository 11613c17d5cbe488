//go:build unix

package statestore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coldsig/coldsig/internal/atomicfile"
)

// The crash tests re-execute the test binary as a helper process that runs
// one store operation and stops at a named point of its write sequence; the
// parent then kills it with SIGKILL, which no code in the child can catch
// or clean up after, and checks what the next invocation sees.
const (
	crashEnvDir      = "STATESTORE_CRASH_DIR"
	crashEnvIdentity = "STATESTORE_CRASH_IDENTITY"
	crashEnvOp       = "STATESTORE_CRASH_OP"
	crashEnvPoint    = "STATESTORE_CRASH_POINT"
	crashEnvWait     = "STATESTORE_CRASH_WAIT"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashEnvDir) != "" {
		os.Exit(crashHelper())
	}
	os.Exit(m.Run())
}

var (
	crashBinding = testBinding("crash session")
	crashIn      = digest("round 2 inbound")
	crashNext    = []byte("snapshot 2 written by the killed process")
	crashOut     = []File{{"r2-to-p2.env", []byte("child r2 to p2")}, {"r2-to-p3.env", []byte("child r2 to p3")}}
	crashResult  = []File{{"public.json", []byte("{}")}, {"share.age", []byte("share")}}
	// The caller's files written with each step (the engine's log and
	// progress record), as Create wrote them and as the advance writes them.
	crashMeta1 = []File{{"progress.txt", []byte("progress 1")}, {"log.txt", []byte("log at step 1")}}
	crashMeta2 = []File{{"progress.txt", []byte("progress 2")}, {"log.txt", []byte("log at step 2")}}
)

func crashHelper() int {
	id, err := age.ParseX25519Identity(os.Getenv(crashEnvIdentity))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	k, err := NewKeys(id)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	point := os.Getenv(crashEnvPoint)
	wait := os.Getenv(crashEnvWait) != ""
	testHook = func(p string) {
		if p == point {
			fmt.Println("reached " + p)
			if wait {
				// Suspended until the parent says go on (see
				// suspendAt).
				bufio.NewReader(os.Stdin).ReadString('\n')
				return
			}
			// Wait for SIGKILL.
			time.Sleep(time.Hour)
		}
	}
	if os.Getenv(crashEnvOp) == "lock" {
		l, err := Lock(os.Getenv(crashEnvDir))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer l.Close()
		hook("locked")
		return 0
	}
	if os.Getenv(crashEnvOp) == "create" {
		_, err = Create(os.Getenv(crashEnvDir), crashBinding, k, []byte("snapshot 1"), digest("plan"), out1, crashMeta1...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println("done without reaching " + point)
		return 3
	}
	s, err := Open(os.Getenv(crashEnvDir), crashBinding, k)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// Between reading the state and writing the next one (where the
	// engine computes the round).
	hook("opened")
	switch os.Getenv(crashEnvOp) {
	case "advance":
		err = s.Advance(1, crashIn, crashNext, crashOut, crashMeta2...)
	case "finish":
		err = s.Finish(crashResult)
	case "abort":
		err = s.Abort("test abort", "")
	default:
		err = errors.New("unknown op")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if wait {
		return 0
	}
	fmt.Println("done without reaching " + point)
	return 3
}

// crashAt runs op in a child process and kills it at point.
func crashAt(t *testing.T, dir string, id *age.X25519Identity, op, point string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		crashEnvDir+"="+dir, crashEnvIdentity+"="+id.String(), crashEnvOp+"="+op, crashEnvPoint+"="+point)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	select {
	case l := <-line:
		if l != "reached "+point {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q, stderr %q", l, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not reach %s; stderr %q", point, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child not killed by SIGKILL: %v", err)
	}
}

// crashIdentity is a party identity for a crash test: the child process
// gets its text, the parent the keys.
func crashIdentity(t *testing.T) (*age.X25519Identity, Keys) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeys(id)
	if err != nil {
		t.Fatal(err)
	}
	return id, k
}

func crashSetup(t *testing.T) (string, *age.X25519Identity, Keys) {
	t.Helper()
	id, k := crashIdentity(t)
	dir := filepath.Join(t.TempDir(), "work")
	if _, err := Create(dir, crashBinding, k, []byte("snapshot 1"), digest("plan"), out1, crashMeta1...); err != nil {
		t.Fatal(err)
	}
	return dir, id, k
}

func outboxHas(t *testing.T, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, outboxDir, f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("outbox %s = %q, %v; want %q", f.Name, got, err, f.Data)
		}
	}
}

// metaHas checks the caller's files in the work directory.
func metaHas(t *testing.T, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s = %q, %v; want %q", f.Name, got, err, f.Data)
		}
	}
}

// temps lists the temporary files anywhere under dir.
func temps(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for name := range tree(t, dir) {
		if atomicfile.IsTemp(filepath.Base(name)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func TestCrashDuringAdvance(t *testing.T) {
	for _, tc := range []struct {
		point     string
		committed bool
		// state files the killed process leaves behind
		left []string
		// outbox files it already wrote
		outboxLeft []string
		// the caller's files as it leaves them
		meta []File
		// whether it leaves temporary files (staged, not yet in place)
		temps bool
	}{
		{"before-commit", false, []string{StepFileName(1)}, nil, crashMeta1, true},
		{"committed", true, []string{StepFileName(1), StepFileName(2)}, nil, crashMeta1, true},
		{"retired", true, []string{StepFileName(2)}, nil, crashMeta1, true},
		{"outbox:" + crashOut[0].Name, true, []string{StepFileName(2)}, []string{crashOut[0].Name}, crashMeta1, true},
		{"outbox:" + crashOut[1].Name, true, []string{StepFileName(2)}, []string{crashOut[0].Name, crashOut[1].Name}, crashMeta1, true},
		{"meta:progress.txt", true, []string{StepFileName(2)}, []string{crashOut[0].Name, crashOut[1].Name}, []File{crashMeta2[0], crashMeta1[1]}, true},
		{"meta:log.txt", true, []string{StepFileName(2)}, []string{crashOut[0].Name, crashOut[1].Name}, crashMeta2, false},
	} {
		t.Run(tc.point, func(t *testing.T) {
			dir, id, k := crashSetup(t)
			crashAt(t, dir, id, "advance", tc.point)
			if got := stepFiles(t, dir); !slices.Equal(got, tc.left) {
				t.Fatalf("after kill: state files %v, want %v", got, tc.left)
			}
			for _, f := range crashOut {
				_, err := os.Stat(filepath.Join(dir, outboxDir, f.Name))
				if want := slices.Contains(tc.outboxLeft, f.Name); want != (err == nil) {
					t.Fatalf("after kill: outbox %s present=%v", f.Name, err == nil)
				}
			}
			// The log and progress record are never ahead of the state,
			// and at most one step behind it.
			metaHas(t, dir, tc.meta)
			if got := temps(t, dir); tc.temps != (len(got) > 0) {
				t.Fatalf("after kill: temporary files %v", got)
			}

			s, err := Open(dir, crashBinding, k)
			if err != nil {
				t.Fatal(err)
			}
			// Open clears what it owns: stale steps, temporary files in
			// state/ and outbox/. Those of the caller's files go with the
			// next write of them.
			for _, tmp := range temps(t, dir) {
				if filepath.Dir(tmp) != "." {
					t.Fatalf("after open: %s left", tmp)
				}
			}
			if !tc.committed {
				// Nothing was committed, nothing was sent: the step runs again.
				if s.Step() != 1 {
					t.Fatalf("step %d, want 1", s.Step())
				}
				if _, found, err := s.Lookup(1, crashIn); found || err != nil {
					t.Fatalf("Lookup = %v, %v", found, err)
				}
				rerun := []File{{"r2-to-p2.env", []byte("rerun to p2")}}
				if err := s.Advance(1, crashIn, []byte("rerun"), rerun, crashMeta2...); err != nil {
					t.Fatal(err)
				}
				outboxHas(t, dir, rerun)
				metaHas(t, dir, crashMeta2)
				if got := temps(t, dir); got != nil {
					t.Fatalf("temporary files left: %v", got)
				}
				return
			}
			if got := stateFiles(t, dir); !slices.Equal(got, []string{StepFileName(2)}) {
				t.Fatalf("after open: state files %v, stale step not retired", got)
			}
			if st, _ := s.State(); s.Step() != 2 || !bytes.Equal(st, crashNext) {
				t.Fatalf("step %d state %q", s.Step(), st)
			}
			before := tree(t, dir)
			_, _, err = s.Lookup(1, digest("other inbound"))
			wantErr(t, err, ErrInputsDiffer, "nonces")
			err = s.Advance(1, digest("other inbound"), []byte("x"), nil, crashMeta2...)
			wantErr(t, err, ErrInputsDiffer, "nonces")
			sameTree(t, before, tree(t, dir))
			out, found, err := s.Lookup(1, crashIn)
			if err != nil || !found {
				t.Fatalf("Lookup = %v, %v", found, err)
			}
			if err := s.WriteOutbox(out); err != nil {
				t.Fatal(err)
			}
			outboxHas(t, dir, crashOut)
			meta3 := []File{{"progress.txt", []byte("progress 3")}, {"log.txt", []byte("log at step 3")}}
			if err := s.Advance(2, digest("round 3 inbound"), []byte("snapshot 3"), nil, meta3...); err != nil {
				t.Fatal(err)
			}
			metaHas(t, dir, meta3)
			if got := temps(t, dir); got != nil {
				t.Fatalf("temporary files left: %v", got)
			}
		})
	}
}

// TestCrashDuringJoin kills Create at each point of its write sequence:
// before the commit the join completes when run again (nothing was sent);
// after it the step 1 envelopes are re-emitted, never recomputed.
func TestCrashDuringJoin(t *testing.T) {
	for _, tc := range []struct {
		point      string
		committed  bool
		outboxLeft int
		meta       []File
	}{
		{"before-commit", false, 0, nil},
		{"committed", true, 0, nil},
		{"outbox:" + out1[1].Name, true, 2, nil},
		{"meta:progress.txt", true, 2, crashMeta1[:1]},
		{"meta:log.txt", true, 2, crashMeta1},
	} {
		t.Run(tc.point, func(t *testing.T) {
			id, k := crashIdentity(t)
			dir := filepath.Join(t.TempDir(), "work")
			crashAt(t, dir, id, "create", tc.point)
			if got := stepFiles(t, dir); tc.committed != slices.Equal(got, []string{StepFileName(1)}) {
				t.Fatalf("after kill: state files %v", got)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, outboxDir))
			n := 0
			for _, e := range entries {
				if !atomicfile.IsTemp(e.Name()) {
					n++
				}
			}
			if n != tc.outboxLeft {
				t.Fatalf("after kill: %d envelopes in the outbox, want %d", n, tc.outboxLeft)
			}
			metaHas(t, dir, tc.meta)
			if !tc.committed {
				// Nothing committed, nothing sent: the join completes.
				if _, err := Create(dir, crashBinding, k, []byte("snapshot 1"), digest("plan"), out1, crashMeta1...); err != nil {
					t.Fatal(err)
				}
			} else {
				_, err := Create(dir, crashBinding, k, []byte("other"), digest("plan"), out1, crashMeta1...)
				wantErr(t, err, ErrJoined, "")
				s, err := Open(dir, crashBinding, k)
				if err != nil {
					t.Fatal(err)
				}
				out, found, err := s.Lookup(0, digest("plan"))
				if err != nil || !found {
					t.Fatalf("Lookup = %v, %v", found, err)
				}
				if err := s.WriteOutbox(out); err != nil {
					t.Fatal(err)
				}
				if err := s.Advance(1, crashIn, crashNext, crashOut, crashMeta2...); err != nil {
					t.Fatal(err)
				}
			}
			outboxHas(t, dir, out1)
			if got := temps(t, dir); got != nil {
				t.Fatalf("temporary files left: %v", got)
			}
		})
	}
}

func TestCrashDuringEnd(t *testing.T) {
	t.Run("finish/result", func(t *testing.T) {
		dir, id, k := crashSetup(t)
		crashAt(t, dir, id, "finish", "result:"+crashResult[0].Name)
		if st, err := ReadStatus(dir); err != nil || st.Status != StatusJoined {
			t.Fatalf("status %+v, %v", st, err)
		}
		// The second result file and the new session record were staged.
		if got := temps(t, dir); len(got) != 2 {
			t.Fatalf("after kill: temporary files %v, want 2", got)
		}
		s, err := Open(dir, crashBinding, k)
		if err != nil {
			t.Fatal(err)
		}
		if got := temps(t, dir); got != nil {
			t.Fatalf("after open: temporary files %v", got)
		}
		if err := s.Finish(crashResult); err != nil {
			t.Fatal(err)
		}
		if got := stateFiles(t, dir); got != nil {
			t.Fatalf("state left: %v", got)
		}
		if st, err := ReadStatus(dir); err != nil || st.Status != StatusFinished {
			t.Fatalf("status %+v, %v", st, err)
		}
	})
	for _, op := range []string{"finish", "abort"} {
		t.Run(op+"/end-recorded", func(t *testing.T) {
			dir, id, k := crashSetup(t)
			crashAt(t, dir, id, op, "end-recorded")
			if got := stateFiles(t, dir); !slices.Equal(got, []string{StepFileName(1)}) {
				t.Fatalf("after kill: state files %v", got)
			}
			st, err := ReadStatus(dir)
			if err != nil || !st.Ended() {
				t.Fatalf("status %+v, %v", st, err)
			}
			_, err = Open(dir, crashBinding, k)
			wantErr(t, err, ErrEnded, "")
			if _, err := os.Stat(filepath.Join(dir, stateDir)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("state not destroyed by the next open: %v", err)
			}
		})
	}
}

// TestOutboxHoldsOnlyCommitted: wherever a step or a join is killed,
// outbox/ holds only envelopes of committed steps under their own names,
// not even a temporary file: an officer copying outbox/ whole (cp -r, a
// file manager showing hidden files) must never carry an envelope whose
// step was not committed (run again, the step would make a second,
// different one for the same round).
func TestOutboxHoldsOnlyCommitted(t *testing.T) {
	check := func(t *testing.T, dir string, committed []File) {
		t.Helper()
		entries, err := os.ReadDir(filepath.Join(dir, outboxDir))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, e := range entries {
			i := slices.IndexFunc(committed, func(f File) bool { return f.Name == e.Name() })
			if i < 0 {
				t.Fatalf("outbox holds %s, not an envelope of a committed step under its own name", e.Name())
			}
			if got, err := os.ReadFile(filepath.Join(dir, outboxDir, e.Name())); err != nil || !bytes.Equal(got, committed[i].Data) {
				t.Fatalf("outbox %s = %q, %v", e.Name(), got, err)
			}
		}
	}
	for _, point := range []string{"before-commit", "committed", "retired", "outbox:" + crashOut[0].Name} {
		t.Run("advance/"+point, func(t *testing.T) {
			dir, id, _ := crashSetup(t)
			crashAt(t, dir, id, "advance", point)
			committed := out1
			if point != "before-commit" {
				committed = append(slices.Clone(out1), crashOut...)
			}
			check(t, dir, committed)
		})
	}
	for _, point := range []string{"before-commit", "committed"} {
		t.Run("join/"+point, func(t *testing.T) {
			id, _ := crashIdentity(t)
			dir := filepath.Join(t.TempDir(), "work")
			crashAt(t, dir, id, "create", point)
			var committed []File
			if point != "before-commit" {
				committed = out1
			}
			check(t, dir, committed)
		})
	}
}

// TestReemitSyncsOutbox: a step killed after putting its envelopes in
// outbox/ but before the fsync that makes the names durable leaves them
// there; the re-emission finds every file identical and writes nothing,
// but must still fsync outbox/ before it returns: the officer is told to
// hand them on, and a power cut could otherwise still take them.
func TestReemitSyncsOutbox(t *testing.T) {
	dir, id, k := crashSetup(t)
	crashAt(t, dir, id, "advance", "outbox:"+crashOut[1].Name)
	outboxHas(t, dir, crashOut)
	s, err := Open(dir, crashBinding, k)
	if err != nil {
		t.Fatal(err)
	}
	var synced []string
	syncDirs = func(dirs ...string) error {
		synced = append(synced, dirs...)
		return atomicfile.SyncDirs(dirs...)
	}
	t.Cleanup(func() { syncDirs = atomicfile.SyncDirs })
	out, found, err := s.Lookup(1, crashIn)
	if err != nil || !found {
		t.Fatalf("Lookup = %v, %v", found, err)
	}
	if err := s.WriteOutbox(out); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(synced, filepath.Join(dir, outboxDir)) {
		t.Fatalf("re-emission synced %v, not the outbox", synced)
	}
	if got := temps(t, dir); got != nil {
		t.Fatalf("temporary files left: %v", got)
	}
}
