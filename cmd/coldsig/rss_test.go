package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Measuring a child's peak memory: the kernel's ru_maxrss of a child
// starts from its parent's peak (at execve the old, shared address space's
// high-water mark is carried into the process's maxrss), so measured from a
// large parent, such as a test process that just made a 100 MB input, every
// child looks as large as the parent. measureRSS therefore starts the
// command from a tiny launcher (testdata/rsslaunch, a few MB), which runs
// it, waits, and reports its ru_maxrss. The result is an upper bound: a
// child smaller than the launcher reports the launcher's size
// (TestRSSLauncherFloor logs it).

var (
	launchOnce sync.Once
	launchBin  string
	launchErr  error
)

func rssLauncher(t testing.TB) string {
	t.Helper()
	launchOnce.Do(func() {
		dir, err := testBinDir("rsslaunch")
		if err != nil {
			launchErr = err
			return
		}
		launchBin = filepath.Join(dir, "rsslaunch")
		cmd := exec.Command("go", "build", "-o", launchBin, "./testdata/rsslaunch")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			launchErr = errors.New("go build rsslaunch: " + err.Error() + "\n" + string(out))
		}
	})
	if launchErr != nil {
		t.Fatal(launchErr)
	}
	return launchBin
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
	out, err := os.CreateTemp("", "coldsig-rss-")
	if err != nil {
		t.Fatal(err)
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.Command(rssLauncher(t), append([]string{out.Name(), bin}, args...)...)
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
	if c.maxRSS > 16<<20 {
		t.Fatalf("the launcher alone reports %d MB", c.maxRSS>>20)
	}
}
