package main

// The hostile-input corpus (testdata/hostile/*.txtar, issue 15): every
// forged, oversized, damaged or rolled-back input we know of, with the
// error coldsig must give, run against the real binary. Each case is a
// testscript; `csig` runs the built coldsig binary as its own process and
// checks its peak memory (ru_maxrss) against hostileMaxRSS, because a
// hostile file must never make coldsig exhaust memory.
//
// COLDSIG_HOSTILE_BIN=/path/to/coldsig runs the corpus against another
// build (for example an older main, to see which cases it fails).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// hostileMaxRSS is the memory ceiling of any command on a hostile input.
const hostileMaxRSS = 256 << 20

// rssLog collects the peak RSS of every csig run, per case, for the
// summary TestHostileCorpus prints.
var rssLog = struct {
	sync.Mutex
	peak map[string]int64
	cmd  map[string]string
}{peak: map[string]int64{}, cmd: map[string]string{}}

func TestHostileCorpus(t *testing.T) {
	bin := os.Getenv("COLDSIG_HOSTILE_BIN")
	if bin == "" {
		bin = coldsigBinary(t)
	}
	keys, err := filepath.Abs(filepath.Join("..", "..", "testdata", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	sc := &scenarios{bin: bin, keys: keys, built: map[string]string{}}
	t.Cleanup(sc.cleanup)
	t.Cleanup(func() { reportRSS(t) })
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "hostile"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", e.WorkDir)
			e.Setenv("KEYS", keys)
			e.Setenv("COLDSIG_PASSPHRASE_FILE", "")
			return nil
		},
		// [current]: the corpus runs against the build of this source (not
		// COLDSIG_HOSTILE_BIN); cases that need the fault hook require it.
		Condition: func(cond string) (bool, error) {
			if cond == "current" {
				return os.Getenv("COLDSIG_HOSTILE_BIN") == "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"csig": func(ts *testscript.TestScript, neg bool, args []string) { runCsig(t, ts, neg, bin, args) },
			// csigf runs a build with the test-only fault hook (-tags
			// coldsig_faults): COLDSIG_FAULTS, set with env, makes its
			// writes fail (see internal/atomicfile/fault_on.go).
			"csigf": func(ts *testscript.TestScript, neg bool, args []string) {
				runCsig(t, ts, neg, faultBinary(t), args)
			},
			"sparse":   cmdSparse,
			"truncate": cmdTruncate,
			"copydir":  cmdCopyDir,
			"scenario": func(ts *testscript.TestScript, neg bool, args []string) { sc.use(ts, args) },
		},
	})
}

// reportRSS prints the peak RSS of every case once the (parallel) cases
// have run.
func reportRSS(t *testing.T) {
	rssLog.Lock()
	defer rssLog.Unlock()
	var names []string
	for n := range rssLog.peak {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%-40s %7.1f MB  coldsig %s\n", n, float64(rssLog.peak[n])/(1<<20), rssLog.cmd[n])
	}
	t.Logf("peak RSS per hostile case (ceiling %d MB):\n%s", hostileMaxRSS>>20, b.String())
	if p := os.Getenv("COLDSIG_HOSTILE_RSS_REPORT"); p != "" {
		os.WriteFile(p, []byte(b.String()), 0o644)
	}
}

// runCsig: csig [exit:N] ARGS... runs the coldsig binary in the script's
// directory. Without exit:N it must succeed (or, negated, fail); with it the
// exit status must be N. Its peak RSS must stay under hostileMaxRSS.
func runCsig(t testing.TB, ts *testscript.TestScript, neg bool, bin string, args []string) {
	want := -1
	if len(args) > 0 && strings.HasPrefix(args[0], "exit:") {
		n, err := strconv.Atoi(strings.TrimPrefix(args[0], "exit:"))
		ts.Check(err)
		want, args = n, args[1:]
	}
	// Through the tiny launcher (rss_test.go): measured from the test
	// process, a child's ru_maxrss would start at the test's own peak.
	report, err := os.CreateTemp("", "coldsig-hostile-rss-")
	ts.Check(err)
	report.Close()
	defer os.Remove(report.Name())
	cmd := exec.Command(rssLauncher(t), append([]string{report.Name(), bin}, args...)...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = append(os.Environ(), "HOME="+ts.Getenv("HOME"), "COLDSIG_PASSPHRASE_FILE=", "COLDSIG_FAULTS="+ts.Getenv("COLDSIG_FAULTS"))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	io.Copy(ts.Stdout(), &o)
	io.Copy(ts.Stderr(), &e)
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("coldsig %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
		if code < 0 || code == 255 || code == 125 {
			ts.Fatalf("coldsig %s: killed by a signal or not run (exit %d)\n%s", strings.Join(args, " "), code, e.String())
		}
	}
	if strings.Contains(e.String(), "goroutine ") || strings.Contains(e.String(), "fatal error:") || strings.Contains(e.String(), "panic:") {
		ts.Fatalf("coldsig %s crashed:\n%s", strings.Join(args, " "), e.String())
	}
	var rss int64
	if data, err := os.ReadFile(report.Name()); err == nil {
		fmt.Sscan(string(data), &rss)
	}
	if rss == 0 {
		ts.Fatalf("coldsig %s: no peak RSS reported", strings.Join(args, " "))
	}
	name := filepath.Base(ts.Getenv("WORK"))
	if i := strings.LastIndex(ts.Getenv("WORK"), string(filepath.Separator)+"script-"); i >= 0 {
		name = ts.Getenv("WORK")[i+len("/script-"):]
	}
	rssLog.Lock()
	if rss > rssLog.peak[name] {
		rssLog.peak[name], rssLog.cmd[name] = rss, strings.Join(args, " ")
	}
	rssLog.Unlock()
	if rss > hostileMaxRSS {
		ts.Fatalf("coldsig %s: peak RSS %.1f MB, ceiling %d MB", strings.Join(args, " "), float64(rss)/(1<<20), hostileMaxRSS>>20)
	}
	switch {
	case want >= 0 && code != want:
		ts.Fatalf("coldsig %s: exit %d, want %d", strings.Join(args, " "), code, want)
	case want < 0 && neg && code == 0:
		ts.Fatalf("coldsig %s: unexpected success", strings.Join(args, " "))
	case want < 0 && !neg && code != 0:
		ts.Fatalf("coldsig %s: exit %d", strings.Join(args, " "), code)
	}
}

var (
	faultOnce sync.Once
	faultBin  string
	faultErr  error
)

// faultBinary builds coldsig with the test-only fault hook, once.
func faultBinary(t testing.TB) string {
	faultOnce.Do(func() {
		dir, err := testBinDir("fault")
		if err != nil {
			faultErr = err
			return
		}
		faultBin = filepath.Join(dir, "coldsig")
		cmd := exec.Command("go", "build", "-tags", "coldsig_faults", "-trimpath", "-o", faultBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			faultErr = fmt.Errorf("go build -tags coldsig_faults: %v\n%s", err, out)
		}
	})
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	return faultBin
}

// sparse PATH SIZE creates a sparse file (SIZE like 20G, 3M, 100).
func cmdSparse(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sparse PATH SIZE")
	}
	mult := int64(1)
	s := args[1]
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	ts.Check(err)
	path := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o700))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	ts.Check(err)
	defer f.Close()
	ts.Check(f.Truncate(n * mult))
}

// truncate PATH N cuts a file to N bytes.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: truncate PATH N")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// copydir SRC DST copies a directory tree (files and modes), for example to
// keep a state directory and put it back later (a rollback).
func cmdCopyDir(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: copydir SRC DST")
	}
	ts.Check(copyTree(ts.MkAbs(args[0]), ts.MkAbs(args[1])))
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, fi.Mode().Perm()|0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, fi.Mode().Perm())
	})
}

// scenarios are ceremonies in some state, made once per test run with the
// real binary and copied into every script that asks for them.
type scenarios struct {
	mu    sync.Mutex
	bin   string
	keys  string
	built map[string]string
}

func (sc *scenarios) cleanup() {
	for _, d := range sc.built {
		os.RemoveAll(d)
	}
}

// use: scenario NAME copies the named scenario into the script's dir.
//
//	eddsa-joined  ids/ (alice, bob, carol: TEST-ONLY identities and cards),
//	              kg.plan (2-of-3 Ed25519 keygen), {alice,bob,carol}-kg
//	              joined, stick/ holding every round-1 envelope
//	eddsa-key     the same keygen finished: {name}-kg/result/{public.json,share.age}
func (sc *scenarios) use(ts *testscript.TestScript, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: scenario NAME")
	}
	sc.mu.Lock()
	dir, ok := sc.built[args[0]]
	if !ok {
		var err error
		dir, err = sc.build(args[0])
		if err != nil {
			sc.mu.Unlock()
			ts.Fatalf("scenario %s: %v", args[0], err)
		}
		sc.built[args[0]] = dir
	}
	sc.mu.Unlock()
	ts.Check(copyTree(dir, ts.MkAbs(".")))
}

func (sc *scenarios) build(name string) (string, error) {
	dir, err := os.MkdirTemp("", "coldsig-hostile-"+name)
	if err != nil {
		return "", err
	}
	run := func(args ...string) error {
		cmd := exec.Command(sc.bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir, "COLDSIG_PASSPHRASE_FILE=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("coldsig %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	names := []string{"alice", "bob", "carol"}
	if err := os.MkdirAll(filepath.Join(dir, "ids"), 0o700); err != nil {
		return "", err
	}
	for _, n := range names {
		for _, ext := range []string{".key", ".card"} {
			data, err := os.ReadFile(filepath.Join(sc.keys, "test-only-"+n+ext))
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(dir, "ids", n+ext), data, 0o600); err != nil {
				return "", err
			}
		}
	}
	if err := run("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "kg.plan"); err != nil {
		return "", err
	}
	// Builds before the join confirmation gate have no --yes (for running
	// the corpus against an older main).
	joinArgs := []string{"join", "--yes"}
	if out, _ := exec.Command(sc.bin, "join", "--help").CombinedOutput(); !strings.Contains(string(out), "--yes") {
		joinArgs = joinArgs[:1]
	}
	for _, n := range names {
		if err := run(append(joinArgs, "kg.plan", "--identity", "ids/"+n+".key", "--workdir", n+"-kg")...); err != nil {
			return "", err
		}
	}
	toStick := func() error {
		for _, n := range names {
			if err := copyNew(filepath.Join(dir, n+"-kg", "outbox"), filepath.Join(dir, "stick")); err != nil {
				return err
			}
		}
		return nil
	}
	if err := toStick(); err != nil {
		return "", err
	}
	switch name {
	case "eddsa-joined":
		return dir, nil
	case "eddsa-key":
		for pass := 0; pass < 3; pass++ {
			for _, n := range names {
				if _, err := os.Stat(filepath.Join(dir, n+"-kg", "result", "public.json")); err == nil {
					continue
				}
				if err := run("step", "--workdir", n+"-kg", "--identity", "ids/"+n+".key", "--inbox", "stick"); err != nil {
					return "", err
				}
				if err := toStick(); err != nil {
					return "", err
				}
			}
		}
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n+"-kg", "result", "public.json")); err != nil {
				return "", fmt.Errorf("%s did not finish the keygen", n)
			}
		}
		return dir, nil
	}
	return "", fmt.Errorf("unknown scenario %q", name)
}

// copyNew copies every file of src that dst does not have yet.
func copyNew(src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		to := filepath.Join(dst, e.Name())
		if _, err := os.Stat(to); err == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
