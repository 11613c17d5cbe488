package tui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
	"github.com/coldsig/coldsig/plan"
	"github.com/coldsig/coldsig/qr"
)

// Models are driven here by feeding messages to Update and reading View:
// no program, no terminal, no files (the asynchronous commands a screen
// returns are not run unless a test says so).

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func newTestApp(o Options) *App {
	o.plain = true
	return New(o)
}

// send feeds one message and runs the navigation messages its command
// yields (push, replace, pop, home), as the program would; other commands
// are not run.
func send(a *App, msg tea.Msg) tea.Cmd {
	_, cmd := a.Update(msg)
	return followNav(a, cmd)
}

func followNav(a *App, cmd tea.Cmd) tea.Cmd {
	for i := 0; cmd != nil && i < 10; i++ {
		done := make(chan tea.Msg, 1)
		go func() { done <- cmd() }()
		var m tea.Msg
		select {
		case m = <-done:
		case <-time.After(2 * time.Second):
			return cmd // a real asynchronous operation: not run here
		}
		switch m.(type) {
		case pushMsg, replaceMsg, popMsg, homeMsg, farewellMsg, popToMsg:
			_, cmd = a.Update(m)
		case tea.BatchMsg, toMsg:
			return cmd
		default:
			return cmd
		}
	}
	return cmd
}

func typeText(a *App, s string) {
	for _, r := range s {
		a.Update(key(string(r)))
	}
}

func screenText(a *App) string { return ansi.Strip(a.render()) }

func TestFrameFitsTheTerminal(t *testing.T) {
	long := strings.Repeat("word ", 40)
	body := "a\n" + long + "\n" + strings.Repeat("line\n", 50)
	for _, size := range [][2]int{{80, 24}, {100, 40}, {60, 15}} {
		w, h := size[0], size[1]
		out := frame("title", body, "keys", w, h, 0)
		lines := strings.Split(out, "\n")
		if len(lines) != h {
			t.Errorf("%dx%d: %d lines", w, h, len(lines))
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Errorf("%dx%d: line wider than the terminal: %q", w, h, l)
			}
		}
		if !strings.Contains(out, "more lines") {
			t.Errorf("%dx%d: an overflowing body does not say so:\n%s", w, h, out)
		}
	}
	// The long line is wrapped, not cut: every word is somewhere.
	out := frame("t", long, "k", 80, 24, 0)
	if strings.Count(out, "word") != 40 {
		t.Errorf("a long line lost words:\n%s", out)
	}
	if atEnd(body, "k", 80, 24, 0) || !atEnd(body, "k", 80, 24, 1000) {
		t.Error("atEnd does not follow the offset")
	}
}

// The passphrase is asked once: a wrong one is a retry on the same prompt,
// and once unlocked the identity is in the session.
func TestUnlockOnceWithRetry(t *testing.T) {
	a := newTestApp(Options{Identity: "alice.key"})
	u, ok := a.top().(*unlockScreen)
	if !ok {
		t.Fatalf("top screen is %T, want the unlock screen", a.top())
	}
	send(a, toMsg{u.id(), probedMsg{encrypted: true}})
	if a.Prompts() != 1 || !strings.Contains(screenText(a), "Passphrase:") {
		t.Fatalf("prompts %d, screen:\n%s", a.Prompts(), screenText(a))
	}
	typeText(a, "secret")
	if s := screenText(a); strings.Contains(s, "secret") || !strings.Contains(s, "••••••") {
		t.Fatalf("the passphrase is not masked:\n%s", s)
	}
	cmd := send(a, key("enter"))
	if cmd == nil || !strings.Contains(screenText(a), "unlocking") {
		t.Fatalf("enter did not start unlocking:\n%s", screenText(a))
	}
	send(a, toMsg{u.id(), wrongPassMsg{}})
	s := screenText(a)
	if !strings.Contains(s, "Wrong passphrase (attempt 1)") || !strings.Contains(s, "Passphrase:") {
		t.Fatalf("a wrong passphrase is not said plainly:\n%s", s)
	}
	if a.Prompts() != 1 {
		t.Fatalf("a retry counted as a new prompt: %d", a.Prompts())
	}
	id := keysharetest.Identity(t, "alice")
	send(a, toMsg{u.id(), unlockedMsg{id: id}})
	if a.sess.id != id {
		t.Fatal("the unlocked identity is not in the session")
	}
	if _, ok := a.top().(*homeScreen); !ok {
		t.Fatalf("after unlocking the top screen is %T", a.top())
	}
	if s := screenText(a); !strings.Contains(s, "you are alice, unlocked for this session") {
		t.Fatalf("home does not say who is unlocked:\n%s", s)
	}
	// A task that needs the identity does not ask again.
	send(a, key("2"))
	if _, ok := a.top().(*cardScreen); !ok || a.Prompts() != 1 {
		t.Fatalf("reading the card after unlocking: top %T, prompts %d", a.top(), a.Prompts())
	}
	a.top().init(a)
	if s := screenText(a); !strings.Contains(s, id.Card().FingerprintWords()) {
		t.Fatalf("the card screen lacks the words:\n%s", s)
	}
}

func TestQuitKeys(t *testing.T) {
	a := newTestApp(Options{})
	for _, k := range []string{"q", "ctrl+c"} {
		_, cmd := a.Update(key(k))
		if cmd == nil {
			t.Fatalf("%s does not quit", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s does not quit", k)
		}
	}
	// In a text field q is a letter.
	send(a, key("4")) // join: asks for the identity file first
	if !a.top().typing() {
		t.Fatalf("%T has no text field", a.top())
	}
	if _, cmd := a.Update(key("q")); cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Fatal("q in a text field quits")
		}
	}
	send(a, key("?"))
	if a.showHelp {
		t.Fatal("? in a text field opens the help")
	}
}

// testPlan is a keygen plan of the test-only parties with a fixed
// session, so its words are the same on every run.
func testPlan(t *testing.T, protocol plan.Protocol) (*plan.Plan, *identity.Identity) {
	t.Helper()
	var cards []*identity.Card
	for _, n := range []string{"alice", "bob", "carol"} {
		cards = append(cards, keysharetest.Identity(t, n).Card())
	}
	var session [32]byte
	for i := range session {
		session[i] = byte(i + 1)
	}
	p := &plan.Plan{Protocol: plan.Keygen, Session: session, Curve: keyshare.CurveEd25519, Threshold: 2, Parties: cards}
	if protocol == plan.Sign {
		fx := keysharetest.Load(t, keyshare.CurveEd25519)
		pl, err := plan.NewTextPayload(keyshare.CurveEd25519, "pay 1 coin\nto the test")
		if err != nil {
			t.Fatal(err)
		}
		sp, err := plan.NewSign(fx.Public, []*identity.Card{cards[0], cards[2]}, pl)
		if err != nil {
			t.Fatal(err)
		}
		sp.Session = session
		p = sp
	}
	if _, err := p.Marshal(); err != nil {
		t.Fatal(err)
	}
	return p, keysharetest.Identity(t, "alice")
}

// gateApp is an app on the join screen's confirmation gate for p.
func gateApp(t *testing.T, p *plan.Plan, id *identity.Identity) (*App, *joinScreen) {
	t.Helper()
	a := newTestApp(Options{Inbox: []string{"stick"}})
	a.sess.id, a.sess.idPath = id, "alice.key"
	a.sess.lastShare = filepath.Join(keysharetest.Dir(keyshare.CurveEd25519), "share-1.age")
	a.opts.Dir = t.TempDir()
	j := inputsApp(t, a, p, id)
	if j.stage != stageGate {
		t.Fatalf("stage %d after the inputs, want the gate:\n%s", j.stage, screenText(a))
	}
	return a, j
}

// inputsApp fills a's join screen's inputs form for p with its defaults
// and runs the check that precedes the gate.
func inputsApp(t *testing.T, a *App, p *plan.Plan, id *identity.Identity) *joinScreen {
	t.Helper()
	d, err := plan.Describe(p, id.Card().Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	n, err := ceremony.InputsFor(p, id.Card(), ceremony.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	send(a, key("4"))
	j, ok := a.top().(*joinScreen)
	if !ok {
		t.Fatalf("top screen %T", a.top())
	}
	send(a, toMsg{j.id(), planLoadedMsg{p: p, desc: d, needs: n}})
	if !strings.Contains(screenText(a), "Work directory") {
		t.Fatalf("no inputs form:\n%s", screenText(a))
	}
	var cmd tea.Cmd
	for range j.fields {
		cmd = send(a, key("enter"))
	}
	if j.stage != stageChecking {
		t.Fatalf("stage %d after the inputs, want the check:\n%s", j.stage, screenText(a))
	}
	runAsync(t, a, cmd)
	return j
}

// The join screen checks the inputs before the gate: a share that is
// someone else's sends the officer back to the form, named as such,
// without asking and without writing anything.
func TestJoinChecksInputsBeforeTheGate(t *testing.T) {
	p, id := testPlan(t, plan.Sign)
	a := newTestApp(Options{Inbox: []string{"stick"}})
	a.sess.id, a.sess.idPath = id, filepath.Join(t.TempDir(), "alice.key")
	a.opts.Dir = t.TempDir()
	a.sess.lastShare = filepath.Join(keysharetest.Dir(keyshare.CurveEd25519), "share-3.age") // carol's
	send(a, tea.WindowSizeMsg{Width: 240, Height: 40})
	j := inputsApp(t, a, p, id)
	if j.stage != stageInputs {
		t.Fatalf("stage %d, want the inputs form again:\n%s", j.stage, screenText(a))
	}
	s := screenText(a)
	if !strings.Contains(s, "this share is not encrypted to alice") {
		t.Errorf("the wrong share is not named:\n%s", s)
	}
	if strings.Contains(s, "identity did not match") || strings.Contains(s, "Check every word") {
		t.Errorf("raw age error or the gate shown:\n%s", s)
	}
	if ents, err := os.ReadDir(a.opts.Dir); err != nil || len(ents) != 0 {
		t.Errorf("the check wrote into the directory: %v %v", ents, err)
	}
	if _, err := os.Stat(ceremony.LedgerPath(a.sess.idPath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the check wrote a join ledger: %v", err)
	}
}

func TestJoinGate(t *testing.T) {
	p, id := testPlan(t, plan.Keygen)
	a, _ := gateApp(t, p, id)
	d, err := plan.Describe(p, [32]byte{})
	if err != nil {
		t.Fatal(err)
	}
	s := screenText(a)
	for _, want := range []string{d.Words, "(you)", "2-of-3", "ed25519 keygen", "bob", "carol"} {
		if !strings.Contains(s, want) {
			t.Errorf("the gate lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "(you)") != 1 || !strings.Contains(s, "alice") {
		t.Errorf("(you) is not on alice's row only:\n%s", s)
	}
	// n leaves without any state: nothing was started.
	cmd := send(a, key("n"))
	if _, ok := a.top().(*homeScreen); !ok || cmd != nil {
		t.Fatalf("n: top %T, pending command %v", a.top(), cmd != nil)
	}
	if !strings.Contains(screenText(a), "Nothing was written") {
		t.Errorf("home does not say nothing was written:\n%s", screenText(a))
	}
}

func TestGateRefusesYBeforeTheEnd(t *testing.T) {
	p, id := testPlan(t, plan.Sign)
	a, j := gateApp(t, p, id)
	send(a, tea.WindowSizeMsg{Width: 80, Height: 16})
	s := screenText(a)
	if !strings.Contains(s, "more lines") {
		t.Fatalf("the signing gate fits 80x16; the test needs it taller:\n%s", s)
	}
	if cmd := send(a, key("y")); cmd != nil || j.stage != stageGate {
		t.Fatalf("y before reading the whole plan started the join (stage %d)", j.stage)
	}
	if !strings.Contains(screenText(a), "Read the whole plan first") {
		t.Fatalf("no reason given:\n%s", screenText(a))
	}
	for i := 0; i < 10 && strings.Contains(screenText(a), "more lines"); i++ {
		send(a, key("pgdown"))
	}
	s = screenText(a)
	if !strings.Contains(s, "pay 1 coin") && !strings.Contains(s, "to the test") {
		t.Fatalf("scrolled to the end, the message is not shown:\n%s", s)
	}
	if cmd := send(a, key("y")); cmd == nil || j.stage != stageJoining {
		t.Fatalf("y at the end did not start the join (stage %d):\n%s", j.stage, screenText(a))
	}
}

// runningStatus is a work dir's status in round 1 of 3 of p.
func runningStatus(p *plan.Plan) *ceremony.Status {
	return &ceremony.Status{
		WorkDir: "alice-kg", Plan: p, Me: ceremony.Party{Slot: 1, Name: "alice"}, Role: ceremony.RoleMember,
		State: ceremony.StateRunning, Step: 1, Next: 1, Round: 1, Rounds: 3,
		NextFrom: []ceremony.Party{{Slot: 2, Name: "bob"}, {Slot: 3, Name: "carol"}},
		Outbox:   []string{"alice-kg/outbox/cs-01020304-eddsa-keygen-r01-p1-to-all.age"},
	}
}

func ceremonyApp(t *testing.T, st *ceremony.Status) (*App, *ceremonyScreen) {
	t.Helper()
	a := newTestApp(Options{})
	id := keysharetest.Identity(t, "alice")
	a.sess.id = id
	c := newCeremony(st.WorkDir, []string{"stick"}, true)
	a.push(c)
	d, err := plan.Describe(st.Plan, id.Card().Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	send(a, toMsg{c.id(), statusMsg{st: st, desc: d}})
	return a, c
}

func TestCeremonyScreenSteps(t *testing.T) {
	p, _ := testPlan(t, plan.Keygen)
	a, c := ceremonyApp(t, runningStatus(p))
	s := screenText(a)
	for _, want := range []string{"round 1 of 3", "ed25519 keygen", "2-of-3", "bob (party 2)", "carol (party 3)", "cs-01020304-eddsa-keygen-r01-p1-to-all.age", "auto-step ON", "quitting is safe"} {
		if !strings.Contains(s, want) {
			t.Errorf("the ceremony screen lacks %q:\n%s", want, s)
		}
	}
	// An inbox whose envelope names lack someone's is not stepped with
	// (no passphrase-protected work for nothing), and shows who is missing.
	st := runningStatus(p)
	notReady := &ceremony.InboxReport{Status: st, Round: 1,
		Present: []ceremony.Party{{Slot: 3, Name: "carol"}}, Missing: []ceremony.Party{{Slot: 2, Name: "bob"}}}
	if cmd := send(a, toMsg{c.id(), scanMsg{sig: "zero", report: notReady}}); cmd != nil || c.stepping {
		t.Fatal("auto-step ran although the inbox lacks bob's envelope")
	}
	if line := lineWith(screenText(a), "bob (party 2)"); !strings.Contains(line, "MISSING") {
		t.Errorf("bob's row before any step: %q", line)
	}
	// A changed inbox steps at once (auto-step); an unchanged one does not.
	if cmd := send(a, toMsg{c.id(), scanMsg{sig: "one", files: []string{"stick/x"}}}); cmd == nil || !c.stepping {
		t.Fatal("a changed inbox did not start a step")
	}
	send(a, toMsg{c.id(), stepMsg{err: &ceremony.WaitingError{Round: 1, Missing: []ceremony.Party{{Slot: 2, Name: "bob"}}}}})
	s = screenText(a)
	if !strings.Contains(s, "MISSING") || !strings.Contains(s, "received") || !strings.Contains(s, "waiting for bob") {
		t.Fatalf("who is missing is not shown:\n%s", s)
	}
	if line := lineWith(s, "bob (party 2)"); !strings.Contains(line, "MISSING") {
		t.Errorf("bob's row: %q", line)
	}
	if line := lineWith(s, "carol (party 3)"); !strings.Contains(line, "received") {
		t.Errorf("carol's row: %q", line)
	}
	if cmd := send(a, toMsg{c.id(), scanMsg{sig: "one"}}); cmd != nil || c.stepping {
		t.Fatal("an unchanged inbox started a step")
	}
	// a turns auto-step off: a changed inbox then waits for s.
	send(a, key("a"))
	if !strings.Contains(screenText(a), "auto-step OFF") {
		t.Fatalf("a did not turn auto-step off:\n%s", screenText(a))
	}
	if cmd := send(a, toMsg{c.id(), scanMsg{sig: "two"}}); cmd != nil || c.stepping {
		t.Fatal("auto-step off, yet a changed inbox stepped")
	}
	send(a, key("s"))
	if cmd := send(a, toMsg{c.id(), forceStepMsg{}}); cmd == nil {
		t.Fatal("s did not ask for a step")
	}
	if cmd := send(a, toMsg{c.id(), scanMsg{sig: "two"}}); cmd == nil || !c.stepping {
		t.Fatal("s did not step")
	}
	// A refused step says so and that nothing changed.
	send(a, toMsg{c.id(), stepMsg{err: errors.New("stick/x: not an envelope")}})
	if s := screenText(a); !strings.Contains(s, "step refused") || !strings.Contains(s, "nothing was changed") {
		t.Fatalf("a refused step:\n%s", s)
	}
	// An abort names the culprit.
	send(a, toMsg{c.id(), stepMsg{err: &ceremony.AbortedError{Reason: "sent a bad proof", Culprit: &ceremony.Party{Slot: 2, Name: "bob"}}}})
	if s := screenText(a); !strings.Contains(s, "culprit: bob (party 2)") {
		t.Fatalf("the culprit is not named:\n%s", s)
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// finishedStatus is a finished keygen with the committed test key.
func finishedStatus(t *testing.T, p *plan.Plan) *ceremony.Status {
	fx := keysharetest.Load(t, keyshare.CurveEd25519)
	var tr [32]byte
	for i := range tr {
		tr[i] = byte(0xa0 + i)
	}
	return &ceremony.Status{
		WorkDir: "alice-kg", Plan: p, Me: ceremony.Party{Slot: 1, Name: "alice"}, Role: ceremony.RoleMember,
		State: ceremony.StateFinished, Step: 4,
		Results: []string{"alice-kg/result/public.json", "alice-kg/result/share.age", "alice-kg/result/transcript.txt"},
		Result:  &ceremony.Result{Transcript: tr, Public: fx.Public},
	}
}

func TestCeremonyScreenFinished(t *testing.T) {
	p, _ := testPlan(t, plan.Keygen)
	st := finishedStatus(t, p)
	a, _ := ceremonyApp(t, st)
	s := screenText(a)
	for _, want := range []string{"FINISHED", identity.DigestWords(st.Result.Transcript), st.Result.Public.PublicKey, "Read the transcript words aloud"} {
		if !strings.Contains(s, want) {
			t.Errorf("the finished screen lacks %q:\n%s", want, s)
		}
	}
	if a.sess.lastShare != "alice-kg/result/share.age" {
		t.Errorf("the session does not offer the new share for the next signing: %q", a.sess.lastShare)
	}
	if !strings.Contains(a.Farewell(), identity.DigestWords(st.Result.Transcript)) {
		t.Errorf("the text printed after exit lacks the transcript words:\n%s", a.Farewell())
	}
}

// Golden screens, rendered by a real bubbletea program (teatest) at 80x24
// without colour. Update with: go test ./tui -run Golden -update
func goldenScreen(t *testing.T, a *App, want string) {
	t.Helper()
	golden.RequireEqual(t, renderProgram(t, a, want))
}

// renderProgram runs a in a bubbletea program until its screen shows want,
// quits, and returns the final model's screen.
func renderProgram(t *testing.T, a *App, want string) string {
	t.Helper()
	tm := teatest.NewTestModel(t, a, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(ansi.Strip(string(b)), want) },
		teatest.WithDuration(5*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*App).render()
}

func TestGoldenHome(t *testing.T) {
	a := newTestApp(Options{})
	a.sess.id = keysharetest.Identity(t, "alice")
	goldenScreen(t, a, "beneath:")
}

func TestGoldenJoinGate(t *testing.T) {
	p, id := testPlan(t, plan.Sign)
	a, _ := gateApp(t, p, id)
	goldenScreen(t, a, "Check every word")
}

func TestGoldenCeremonyRunning(t *testing.T) {
	// The screen names the inbox, so it must be a relative path: run in
	// a temporary directory holding an empty "stick", and compare with
	// the golden file back in the package directory.
	p, _ := testPlan(t, plan.Keygen)
	pkg, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "stick"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	a, c := ceremonyApp(t, runningStatus(p))
	c.auto = false // no step: the work dir does not exist
	got := renderProgram(t, a, "(0 files)")
	if err := os.Chdir(pkg); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, got)
}

func TestGoldenCeremonyFinished(t *testing.T) {
	p, _ := testPlan(t, plan.Keygen)
	a, _ := ceremonyApp(t, finishedStatus(t, p))
	goldenScreen(t, a, "FINISHED")
}

// setFields fills a task screen's form.
func setFields(t *taskScreen, vals ...string) {
	for i, v := range vals {
		t.f.fields[i].input.SetValue(v)
	}
}

// runTask runs a task's operation as its screen would (after the
// custodians were unlocked) and returns the lines it shows.
func runTask(t *testing.T, a *App, ts *taskScreen) []string {
	t.Helper()
	run, err := ts.work(a, ts)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := run()
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// The backup tasks end on the backup package's calls: split alice's
// committed test share for bob and carol, verify, drill and restore it.
func TestBackupTasks(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(Options{Dir: dir})
	alice, bob, carol := keysharetest.Identity(t, "alice"), keysharetest.Identity(t, "bob"), keysharetest.Identity(t, "carol")
	a.sess.id = alice
	fx := keysharetest.Dir(keyshare.CurveEd25519)
	shards := filepath.Join(dir, "shards")

	split := newBackupSplit(a).(*taskScreen)
	setFields(split, filepath.Join(fx, "share-1.age"), keysharetest.CardPath("bob")+" "+keysharetest.CardPath("carol"), "2", shards, "n", "n")
	out := strings.Join(runTask(t, a, split), "\n")
	if !strings.Contains(out, "any 2 of 2 shards restore it") {
		t.Fatalf("split:\n%s", out)
	}

	verify := newBackupVerify(a).(*taskScreen)
	setFields(verify, shards, filepath.Join(fx, "public.json"))
	verify.custodians = []*identity.Identity{bob, carol}
	out = strings.Join(runTask(t, a, verify), "\n")
	if strings.Count(out, "OK ") != 2 || strings.Contains(out, "FAIL") {
		t.Fatalf("verify:\n%s", out)
	}
	verify.custodians = []*identity.Identity{bob}
	out = strings.Join(runTask(t, a, verify), "\n")
	if strings.Count(out, "OK ") != 1 || !strings.Contains(out, "FAIL") {
		t.Fatalf("verify with one custodian's identity only: carol's shard is not reported as not unlocked:\n%s", out)
	}

	drill := newDrill(a).(*taskScreen)
	setFields(drill, shards, filepath.Join(fx, "public.json"), filepath.Join(dir, "drill.txt"))
	drill.custodians = []*identity.Identity{bob, carol}
	out = strings.Join(runTask(t, a, drill), "\n")
	if !strings.Contains(out, "PASS") {
		t.Fatalf("drill:\n%s", out)
	}

	restore := newBackupRestore(a).(*taskScreen)
	restored := filepath.Join(dir, "restored.age")
	setFields(restore, shards, filepath.Join(fx, "public.json"), keysharetest.CardPath("alice"), restored)
	restore.custodians = []*identity.Identity{bob, carol}
	runTask(t, a, restore)
	sh, err := keyshare.LoadShare(restored, alice.X25519)
	if err != nil || sh.Index != 1 {
		t.Fatalf("the restored share: %v", err)
	}
	if _, err := os.Stat(restored); err != nil {
		t.Fatal(err)
	}
	// Never overwritten.
	if run, err := restore.work(a, restore); err == nil {
		if _, err := run(); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("a second restore to the same file: %v", err)
		}
	}
}

// Each custodian named in a task is unlocked in turn, by their own
// passphrase screen, before the operation runs; none counts as the
// officer's session prompt.
func TestTaskUnlocksEachCustodian(t *testing.T) {
	a := newTestApp(Options{})
	a.sess.id = keysharetest.Identity(t, "alice")
	send(a, key("b")) // the drill
	d, ok := a.top().(*taskScreen)
	if !ok {
		t.Fatalf("top %T", a.top())
	}
	setFields(d, "shards", "public.json", "", "bob.key carol.key")
	var ran []*identity.Identity
	d.work = func(a *App, t *taskScreen) (func() ([]string, error), error) {
		ran = t.custodians
		return func() ([]string, error) { return nil, nil }, nil
	}
	d.f.setFocus(len(d.f.fields) - 1)
	send(a, key("enter"))
	for _, who := range []string{"bob.key", "carol.key"} {
		u, ok := a.top().(*unlockScreen)
		if !ok || u.path != who || !u.custodian {
			t.Fatalf("want %s's custodian unlock, top is %T", who, a.top())
		}
		send(a, toMsg{u.id(), probedMsg{encrypted: true}})
		if !strings.Contains(screenText(a), "Custodian: unlock the identity "+who) {
			t.Fatalf("screen:\n%s", screenText(a))
		}
		send(a, toMsg{u.id(), unlockedMsg{id: keysharetest.Identity(t, strings.TrimSuffix(who, ".key"))}})
	}
	if a.top() != d || len(ran) != 2 || !d.busy || a.Prompts() != 0 {
		t.Fatalf("after the custodians: top %T, the operation ran with %d custodians, %d session prompts", a.top(), len(ran), a.Prompts())
	}
	if a.sess.id.Name != "alice" {
		t.Fatal("a custodian's identity replaced the officer's")
	}
}

// The QR screen picks a fragment size whose codes fit the terminal, and
// its frames rebuild the file.
func TestQRShowFitsAndDecodes(t *testing.T) {
	payload := make([]byte, 1500)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "cs-01020304-eddsa-keygen-r01-p1-to-all.age")
	if err := os.WriteFile(path, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	a := newTestApp(Options{})
	s := newQRShow([]string{path})
	a.push(s)
	m := s.load(a)().(toMsg).msg.(qrEncMsg)
	if m.err != nil {
		t.Fatal(m.err)
	}
	send(a, toMsg{s.id(), m})
	var d qr.Decoder
	for i := 0; i < 20*s.enc.SeqLen() && !d.Complete(); i++ {
		a.Update(toMsg{s.id(), qrTickMsg{}}) // (its next tick is not waited for)
		scr := strings.Split(screenText(a), "\n")
		if len(scr) > a.h {
			t.Fatalf("the QR screen has %d lines, the terminal %d", len(scr), a.h)
		}
		for _, l := range scr {
			if ansi.StringWidth(l) > a.w {
				t.Fatalf("a line of %d cells on an %d-cell terminal", ansi.StringWidth(l), a.w)
			}
		}
		d.Add(s.lastFrame)
	}
	got, err := d.Result()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("the frames shown do not rebuild the file: %v", err)
	}
}

// The join screen asks the work directory and the ledger before it loads
// the inputs, as the CLI does: re-joining a deleted work dir, whose join
// had committed, is refused for that reason, not because an input is gone
// (a consumed pre-parameters file, a share no longer at hand).
func TestJoinRefusesLostStateBeforeInputs(t *testing.T) {
	p, id := testPlan(t, plan.Sign)
	a := newTestApp(Options{Inbox: []string{"stick"}})
	a.sess.id, a.sess.idPath = id, filepath.Join(t.TempDir(), "alice.key")
	a.opts.Dir = t.TempDir()
	a.sess.lastShare = filepath.Join(t.TempDir(), "gone", "share.age")
	wd, err := filepath.Abs(filepath.Join(a.opts.Dir, fmt.Sprintf("alice-sign-%x", p.Session[:4])))
	if err != nil {
		t.Fatal(err)
	}
	fp, err := p.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	cardFP := id.Card().Fingerprint()
	ledger := fmt.Sprintf("coldsig/joins/v2\nidentity: %x\njoin: %x 1 %x committed %s\n", cardFP[:], p.Session[:], fp[:], wd)
	if err := os.WriteFile(ceremony.LedgerPath(a.sess.idPath), []byte(ledger), 0o600); err != nil {
		t.Fatal(err)
	}
	send(a, tea.WindowSizeMsg{Width: 240, Height: 40})
	j := inputsApp(t, a, p, id)
	if j.stage != stageInputs {
		t.Fatalf("stage %d, want the inputs form again:\n%s", j.stage, screenText(a))
	}
	s := screenText(a)
	if !strings.Contains(s, "cannot be rejoined") || strings.Contains(s, "no such file") {
		t.Errorf("want the lost state named, not the missing share:\n%s", s)
	}
	if _, err := os.Stat(wd); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused join made its work directory: %v", err)
	}
}
