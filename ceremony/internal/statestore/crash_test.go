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
	testHook = func(p string) {
		if p == point {
			fmt.Println("reached " + p)
			// Wait for SIGKILL.
			time.Sleep(time.Hour)
		}
	}
	s, err := Open(os.Getenv(crashEnvDir), crashBinding, k)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	switch os.Getenv(crashEnvOp) {
	case "advance":
		err = s.Advance(1, crashIn, crashNext, crashOut)
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

func crashSetup(t *testing.T) (string, *age.X25519Identity, Keys) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeys(id)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "work")
	if _, err := Create(dir, crashBinding, k, []byte("snapshot 1"), digest("plan"), out1); err != nil {
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

func TestCrashDuringAdvance(t *testing.T) {
	for _, tc := range []struct {
		point     string
		committed bool
		// state files the killed process leaves behind
		left []string
		// outbox files it already wrote
		outboxLeft []string
	}{
		{"before-commit", false, []string{StepFileName(1)}, nil},
		{"committed", true, []string{StepFileName(1), StepFileName(2)}, nil},
		{"retired", true, []string{StepFileName(2)}, nil},
		{"outbox:" + crashOut[0].Name, true, []string{StepFileName(2)}, []string{crashOut[0].Name}},
	} {
		t.Run(tc.point, func(t *testing.T) {
			dir, id, k := crashSetup(t)
			crashAt(t, dir, id, "advance", tc.point)
			if got := stateFiles(t, dir); !slices.Equal(got, tc.left) {
				t.Fatalf("after kill: state files %v, want %v", got, tc.left)
			}
			for _, f := range crashOut {
				_, err := os.Stat(filepath.Join(dir, outboxDir, f.Name))
				if want := slices.Contains(tc.outboxLeft, f.Name); want != (err == nil) {
					t.Fatalf("after kill: outbox %s present=%v", f.Name, err == nil)
				}
			}

			s, err := Open(dir, crashBinding, k)
			if err != nil {
				t.Fatal(err)
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
				if err := s.Advance(1, crashIn, []byte("rerun"), rerun); err != nil {
					t.Fatal(err)
				}
				outboxHas(t, dir, rerun)
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
			err = s.Advance(1, digest("other inbound"), []byte("x"), nil)
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
			if err := s.Advance(2, digest("round 3 inbound"), []byte("snapshot 3"), nil); err != nil {
				t.Fatal(err)
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
		s, err := Open(dir, crashBinding, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(crashResult); err != nil {
			t.Fatal(err)
		}
		if got := stateFiles(t, dir); got != nil {
			t.Fatalf("state left: %v", got)
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
