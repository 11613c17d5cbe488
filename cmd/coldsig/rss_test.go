package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Measuring a child's peak memory: the kernel's ru_maxrss of a child
// starts from its parent's peak (at execve the old, shared address space's
// high-water mark is carried into the process's maxrss), so measured from a
// large parent, such as a test process that just made a 100 MB input, every
// child looks as large as the parent. measureRSS therefore starts the
// command from a launcher: this test binary re-executed at once in
// TestMain, before it allocates anything, which runs the command, waits,
// and reports the child's ru_maxrss. The result is an upper bound: a child
// smaller than the launcher (a few MB; launcherFloor) reports the
// launcher's size.

const (
	rssLauncherEnv = "COLDSIG_TEST_RSS_LAUNCH"
	rssOutEnv      = "COLDSIG_TEST_RSS_OUT"
)

func rssLaunch() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(rssLauncherEnv)), &args); err != nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "rss launcher: bad", rssLauncherEnv)
		return 125
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "rss launcher:", err)
		return 125
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	report := fmt.Sprintf("%d %d %d", ru.Maxrss<<10, wall.Nanoseconds(), cpu.Nanoseconds())
	if err := os.WriteFile(os.Getenv(rssOutEnv), []byte(report), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "rss launcher:", err)
		return 125
	}
	return cmd.ProcessState.ExitCode()
}

type processCost struct {
	maxRSS    int64 // bytes
	wall, cpu time.Duration
	code      int
}

// measureRSS runs bin with args through the launcher, feeding stdin and
// collecting stdout and stderr.
func measureRSS(t testing.TB, stdin io.Reader, stdout, stderr io.Writer, bin string, args ...string) processCost {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp("", "coldsig-rss-")
	if err != nil {
		t.Fatal(err)
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.Command(self)
	argv, _ := json.Marshal(append([]string{bin}, args...))
	cmd.Env = append(os.Environ(), rssLauncherEnv+"="+string(argv), rssOutEnv+"="+out.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if cmd.ProcessState.ExitCode() == 125 {
		t.Fatalf("launcher failed for %v", args)
	}
	report, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(report))
	var v [3]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i], 10, 64)
	}
	return processCost{maxRSS: v[0], wall: time.Duration(v[1]), cpu: time.Duration(v[2]), code: cmd.ProcessState.ExitCode()}
}

// TestRSSLauncherFloor logs what the launcher reports for a trivial
// command: the bias of every measurement.
func TestRSSLauncherFloor(t *testing.T) {
	c := measureRSS(t, nil, io.Discard, io.Discard, "/bin/true")
	t.Logf("launcher floor: %d MB", c.maxRSS>>20)
	if c.maxRSS > 64<<20 {
		t.Fatalf("the launcher alone reports %d MB", c.maxRSS>>20)
	}
}
