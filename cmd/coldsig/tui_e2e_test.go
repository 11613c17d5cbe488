package main

// End-to-end ceremonies through 'coldsig tui': every officer runs the real
// binary in its own tmux session of 80x24, and the test acts only as the
// officers and the stick would: it presses keys, types what an officer
// types, and copies outbox files onto a shared folder. It counts the
// passphrase prompts and the keys pressed per officer.

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needTmux finds tmux. Missing, it fails the test in CI (CI installs it)
// and skips it elsewhere, saying why.
func needTmux(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed; .ci/run installs it (Debian package tmux): the TUI end-to-end test cannot run")
		}
		t.Skip("SKIP: tmux is not installed (apt-get install tmux); the TUI end-to-end test needs it")
	}
	return p
}

// tmuxServer is a private tmux server for one test (its own socket, so
// the test never touches the user's sessions).
type tmuxServer struct {
	t    *testing.T
	bin  string
	sock string
	dir  string
}

func newTmux(t *testing.T, dir string) *tmuxServer {
	bin := needTmux(t)
	sd, err := os.MkdirTemp("", "coldsig-tmux")
	if err != nil {
		t.Fatal(err)
	}
	s := &tmuxServer{t: t, bin: bin, sock: filepath.Join(sd, "sock"), dir: dir}
	t.Cleanup(func() {
		exec.Command(bin, "-S", s.sock, "kill-server").Run()
		os.RemoveAll(sd)
	})
	return s
}

func (s *tmuxServer) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.bin, append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// officer is one person at one terminal.
type officer struct {
	s       *tmuxServer
	name    string
	pass    string
	keys    int // keys pressed (each typed character counts)
	prompts int // passphrase prompts answered
	// unlocked is set once the passphrase was given: a second prompt in
	// the same session fails the test.
	unlocked bool
}

// start opens 'coldsig tui args...' for name in an 80x24 terminal.
func (s *tmuxServer) start(name, pass string, env []string, args ...string) *officer {
	s.t.Helper()
	cmdline := shellQuote(append([]string{coldsigBinary(s.t)}, args...))
	// The shell keeps the pane open after coldsig exits, so the screen it
	// leaves behind can be read (a broken terminal would show there).
	// After coldsig exits, stty says whether the terminal is back in
	// canonical mode with echo ("icanon echo"), not left raw ("-icanon").
	full := fmt.Sprintf("env %s %s; echo; echo coldsig-exited-$?; stty -a | tr ' ' '\\n' | grep -E -x -- '-?(icanon|echo)' | tr '\\n' ' '; echo tty-checked; sleep 600", strings.Join(env, " "), cmdline)
	s.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "-c", s.dir, full)
	return &officer{s: s, name: name, pass: pass}
}

func shellQuote(args []string) string {
	var out []string
	for _, a := range args {
		out = append(out, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return strings.Join(out, " ")
}

func (o *officer) screen() string { return o.s.run("capture-pane", "-p", "-t", o.name) }

// press sends named keys (Enter, Escape, y, 4 ...), one keypress each.
func (o *officer) press(keys ...string) {
	o.s.t.Helper()
	for _, k := range keys {
		o.s.run("send-keys", "-t", o.name, k)
		o.keys++
	}
}

// typeText types s literally, one keypress per character.
func (o *officer) typeText(s string) {
	o.s.t.Helper()
	o.s.run("send-keys", "-t", o.name, "-l", s)
	o.keys += len([]rune(s))
}

const unlockMarker = "Unlock your identity"

// waitFor waits until the screen shows want. A passphrase prompt after the
// officer unlocked fails the test: the promise is one per session.
func (o *officer) waitFor(want string, timeout time.Duration) string {
	o.s.t.Helper()
	deadline := time.Now().Add(timeout)
	var scr string
	for time.Now().Before(deadline) {
		scr = o.screen()
		if o.unlocked && strings.Contains(scr, unlockMarker) {
			o.s.t.Fatalf("%s: a second passphrase prompt in one TUI session:\n%s", o.name, scr)
		}
		if strings.Contains(scr, "coldsig-exited") && want != "tty-checked" {
			o.s.t.Fatalf("%s: coldsig tui exited while waiting for %q:\n%s", o.name, want, scr)
		}
		if strings.Contains(scr, want) {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	o.s.t.Fatalf("%s: %q not on the screen after %s:\n%s", o.name, want, timeout, scr)
	return ""
}

// unlock answers the passphrase prompt.
func (o *officer) unlock() {
	o.s.t.Helper()
	o.waitFor("Passphrase:", 20*time.Second)
	o.typeText(o.pass)
	o.press("Enter")
	o.prompts++
	o.waitFor("unlocked for this session", 60*time.Second)
	o.unlocked = true
}

// join goes from home through the join flow to the gate and returns the
// gate's screen; extra are typed into the fields after the work
// directory (pre-parameters, share) before the inbox, "" keeping the
// default.
func (o *officer) join(planFile string, extra ...string) string {
	o.s.t.Helper()
	o.press("4")
	o.waitFor("Plan file", 10*time.Second)
	o.typeText(planFile)
	o.press("Enter")
	o.waitFor("Work directory", 20*time.Second)
	o.press("Enter") // the default work directory
	for _, v := range extra {
		if v != "" {
			o.typeText(v)
		}
		o.press("Enter")
	}
	o.press("Enter") // the inbox given with --inbox
	scr := o.waitFor("Check every word", 10*time.Second)
	// The officer reads the whole plan: y is refused until the end was
	// shown.
	full := scr
	for i := 0; strings.Contains(scr, "more lines"); i++ {
		if i > 20 {
			o.s.t.Fatalf("%s: the gate does not scroll to its end:\n%s", o.name, scr)
		}
		o.press("NPage")
		time.Sleep(200 * time.Millisecond)
		scr = o.screen()
		full += scr
	}
	return full
}

// carry copies every officer's outbox onto the stick, as officers do with
// a USB stick between rounds (write to a temporary name, then rename: a
// half-copied file is never seen).
func carry(t *testing.T, stick string, workdirs ...string) {
	t.Helper()
	for _, wd := range workdirs {
		entries, _ := os.ReadDir(filepath.Join(wd, "outbox"))
		for _, e := range entries {
			dst := filepath.Join(stick, e.Name())
			if _, err := os.Stat(dst); err == nil {
				continue
			}
			data, err := os.ReadFile(filepath.Join(wd, "outbox", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(stick, ".part-"+e.Name())
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// runToEnd carries envelopes until every officer's screen says the
// ceremony finished, and returns the finished screens.
func runToEnd(t *testing.T, stick string, timeout time.Duration, officers []*officer, workdirs []string) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	screens := make([]string, len(officers))
	for {
		carry(t, stick, workdirs...)
		done := 0
		for i, o := range officers {
			scr := o.screen()
			if o.unlocked && strings.Contains(scr, unlockMarker) {
				t.Fatalf("%s: a second passphrase prompt in one TUI session:\n%s", o.name, scr)
			}
			for _, bad := range []string{"ABORTED", "step refused", "coldsig-exited"} {
				if strings.Contains(scr, bad) {
					t.Fatalf("%s: %s:\n%s", o.name, bad, scr)
				}
			}
			if strings.Contains(scr, "FINISHED") {
				screens[i] = scr
				done++
			}
		}
		if done == len(officers) {
			return screens
		}
		if time.Now().After(deadline) {
			for _, o := range officers {
				t.Logf("%s:\n%s", o.name, o.screen())
			}
			t.Fatalf("the ceremony did not finish within %s", timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var transcriptLine = regexp.MustCompile(`transcript\s+((?:[a-z]{4} ){7}[a-z]{4})`)

// sameTranscript checks that every finished screen shows the same
// transcript words, and returns them.
func sameTranscript(t *testing.T, screens []string) string {
	t.Helper()
	var words string
	for i, s := range screens {
		m := transcriptLine.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("finished screen %d shows no transcript words:\n%s", i, s)
		}
		if i == 0 {
			words = m[1]
		} else if m[1] != words {
			t.Fatalf("transcript words differ: %q and %q", words, m[1])
		}
	}
	return words
}

// TestTUICeremonies runs, through three 'coldsig tui' sessions, an Ed25519
// 2-of-3 keygen, a 2-party signing with the new key and a secp256k1 2-of-3
// keygen, each officer entering the passphrase once for all three.
func TestTUICeremonies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three ceremonies through the real binary in tmux")
	}
	c := newCLI(t)
	tm := newTmux(t, c.dir)
	names := []string{"alice", "bob", "carol"}
	officers := map[string]*officer{}
	for i, n := range names {
		pass := officerPass(n, i)
		pf := c.path(n + ".pass")
		if err := os.WriteFile(pf, []byte(pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c.ok("identity", "new", n, "--dir", "ids", "--passphrase-file", pf)
		if err := os.Remove(pf); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(c.path("stick"), 0o700); err != nil {
		t.Fatal(err)
	}
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2",
		"--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "kg.plan")

	// Each officer opens the TUI once; bob's terminal has NO_COLOR set.
	for i, n := range names {
		env := []string{"TERM=xterm-256color"}
		if n == "bob" {
			env = append(env, "NO_COLOR=1")
		}
		o := tm.start(n, officerPass(n, i), env, "tui", "--identity", "ids/"+n+".key", "--inbox", "stick")
		officers[n] = o
		o.unlock()
	}

	// Ed25519 keygen.
	var gate string
	for _, n := range names {
		g := officers[n].join("kg.plan")
		if n == "alice" {
			gate = g
		}
		for _, want := range []string{"ed25519 keygen", "2-of-3", "alice", "bob", "carol", "(you)"} {
			if !strings.Contains(g, want) {
				t.Fatalf("%s's join gate lacks %q:\n%s", n, want, g)
			}
		}
		officers[n].press("y")
		officers[n].waitFor("coldsig · ceremony", 30*time.Second)
	}
	t.Logf("join gate (alice, keygen):\n%s", gate)
	kgDirs := []string{}
	for _, n := range names {
		kgDirs = append(kgDirs, c.path(workdirFor(t, c.dir, n, "keygen")))
	}
	all := []*officer{officers["alice"], officers["bob"], officers["carol"]}
	fin := runToEnd(t, c.path("stick"), 2*time.Minute, all, kgDirs)
	words := sameTranscript(t, fin)
	t.Logf("keygen finished, transcript %s; alice's screen:\n%s", words, fin[0])
	if out := tm.run("capture-pane", "-p", "-e", "-t", "bob"); hasColour(out) {
		t.Fatalf("bob's terminal has NO_COLOR set, yet the screen has colour sequences:\n%q", out)
	}
	if out := tm.run("capture-pane", "-p", "-e", "-t", "alice"); !hasColour(out) {
		t.Fatalf("alice's terminal (no NO_COLOR) shows no colour at all, so the NO_COLOR check above proves nothing:\n%q", out)
	}

	// Signing by alice and carol with the key just made; the share is
	// offered by the session (it knows the keygen's result).
	msg := "pay 1 coin to the TUI test"
	c.ok("plan", "sign", "--key", filepath.Join(kgDirs[0], "result", "public.json"),
		"--signer", "ids/alice.card", "--signer", "ids/carol.card", "--message", msg, "-o", "sg.plan")
	signers := []*officer{officers["alice"], officers["carol"]}
	var signGate string
	for _, o := range signers {
		o.press("Escape")
		o.waitFor("coldsig · home", 10*time.Second)
		g := o.join("sg.plan", "")
		if o.name == "alice" {
			signGate = g
		}
		if !strings.Contains(g, msg) || !strings.Contains(g, "SIGNS") {
			t.Fatalf("%s's signing gate does not show what is signed:\n%s", o.name, g)
		}
		o.press("y")
		o.waitFor("coldsig · ceremony", 30*time.Second)
	}
	t.Logf("join gate (alice, signing):\n%s", signGate)
	sgDirs := []string{c.path(workdirFor(t, c.dir, "alice", "sign")), c.path(workdirFor(t, c.dir, "carol", "sign"))}
	fin = runToEnd(t, c.path("stick"), 2*time.Minute, signers, sgDirs)
	sameTranscript(t, fin)
	t.Logf("signing finished; alice's screen:\n%s", fin[0])
	for _, o := range all {
		t.Logf("officer %s: %d passphrase prompt(s), %d keys pressed for keygen + signing", o.name, o.prompts, o.keys)
	}

	// The signature verifies with crypto/ed25519, independently of coldsig.
	var pub publicJSON
	readJSON(t, filepath.Join(kgDirs[0], "result", "public.json"), &pub)
	var sig signatureJSON
	readJSON(t, filepath.Join(sgDirs[0], "result", "signature.json"), &sig)
	pk, _ := hex.DecodeString(pub.PublicKey)
	sb, _ := hex.DecodeString(sig.Signature)
	if len(pk) != ed25519.PublicKeySize || !ed25519.Verify(pk, []byte(msg), sb) {
		t.Fatalf("the signature does not verify: key %s signature %s", pub.PublicKey, sig.Signature)
	}

	// secp256k1 keygen in the same sessions: no new prompt.
	c.ok("plan", "keygen", "--curve", "secp256k1", "--threshold", "2",
		"--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "ec.plan")
	var ecDirs []string
	for i, n := range names {
		o := officers[n]
		pp := c.preparams(n, i)
		o.press("Escape")
		o.waitFor("coldsig · home", 10*time.Second)
		g := o.join("ec.plan", filepath.Base(pp))
		if !strings.Contains(g, "secp256k1 keygen") {
			t.Fatalf("%s's gate:\n%s", n, g)
		}
		o.press("y")
		o.waitFor("coldsig · ceremony", 2*time.Minute)
		ecDirs = append(ecDirs, c.path(workdirFor(t, c.dir, n, "keygen", "secp")))
		if _, err := os.Stat(pp); !os.IsNotExist(err) {
			t.Fatalf("%s: the used pre-parameters %s were not deleted (%v)", n, pp, err)
		}
	}
	fin = runToEnd(t, c.path("stick"), 10*time.Minute, all, ecDirs)
	sameTranscript(t, fin)
	var ec publicJSON
	readJSON(t, filepath.Join(ecDirs[0], "result", "public.json"), &ec)
	if !strings.Contains(fin[0], ec.EthAddress) {
		t.Fatalf("the finished screen does not show the address %s:\n%s", ec.EthAddress, fin[0])
	}
	t.Logf("secp256k1 keygen finished; alice's screen:\n%s", fin[0])
	for _, o := range all {
		if o.prompts != 1 {
			t.Errorf("%s answered %d passphrase prompts in one session, want 1", o.name, o.prompts)
		}
	}

	// q and ctrl+c quit and leave the terminal as it was: the alternate
	// screen gone, canonical mode and echo back on.
	for name, k := range map[string]string{"alice": "q", "bob": "C-c"} {
		o := officers[name]
		o.press(k)
		scr := o.waitFor("tty-checked", 10*time.Second)
		if strings.Contains(scr, "coldsig · ") {
			t.Fatalf("%s: the TUI's screen is still there after %s (alternate screen not restored):\n%s", name, k, scr)
		}
		if !strings.Contains(scr, "coldsig-exited-0") || !strings.Contains(scr, "icanon echo tty-checked") {
			t.Fatalf("%s: after %s the terminal is not restored (want exit 0, icanon and echo):\n%s", name, k, scr)
		}
	}
}

var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// hasColour reports whether s sets a foreground or background colour
// (SGR 30-37, 38, 40-47, 48, 90-97, 100-107); bold and the resets to the
// default colours (39, 49) are not colour.
func hasColour(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			switch n, _ := strconv.Atoi(p); {
			case n >= 30 && n <= 38, n >= 40 && n <= 48, n >= 90 && n <= 97, n >= 100 && n <= 107:
				return true
			}
		}
	}
	return false
}

// officerPass is a test officer's passphrase (strong enough for the
// passphrase check of 'identity new').
func officerPass(name string, i int) string {
	return fmt.Sprintf("%s quartz lantern %d velvet walrus plinth", name, 7919*(i+3))
}

// workdirFor finds the work directory the TUI made for name's ceremony of
// protocol (its default name is NAME-PROTOCOL-SESSION); with more than
// one, the newest that matches curve ("" for any, "secp" for secp256k1).
func workdirFor(t *testing.T, dir, name, protocol string, curve ...string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, name+"-"+protocol+"-*"))
	var pick string
	var newest time.Time
	for _, d := range m {
		if len(curve) > 0 {
			data, err := os.ReadFile(filepath.Join(d, "plan.txt"))
			if err != nil || !strings.Contains(string(data), "secp256k1") {
				continue
			}
		}
		fi, err := os.Stat(d)
		if err != nil {
			continue
		}
		if fi.ModTime().After(newest) {
			pick, newest = d, fi.ModTime()
		}
	}
	if pick == "" {
		t.Fatalf("no work directory %s-%s-* in %s", name, protocol, dir)
	}
	rel, _ := filepath.Rel(dir, pick)
	return rel
}
