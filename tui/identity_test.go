package tui

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/identity"
)

// runAsync runs the commands of a batch (the screen's asynchronous work)
// and delivers what they return to the app, skipping spinner ticks.
func runAsync(t *testing.T, a *App, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command to run")
	}
	msg := cmd()
	batch, ok := msg.(tea.BatchMsg)
	if !ok {
		batch = tea.BatchMsg{func() tea.Msg { return msg }}
	}
	for _, c := range batch {
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case m := <-done:
			if _, ok := m.(toMsg); ok {
				send(a, m)
			}
		case <-time.After(5 * time.Second):
			// a spinner tick waits for its interval: not ours
		}
	}
}

// TestCreateIdentityPassphraseRule (review finding M3): the TUI applies the
// same passphrase rule as 'coldsig identity new' (identity.Create itself
// refuses a weak one), and offers a generated passphrase, shown once,
// written only once the officer says it is written down.
func TestCreateIdentityPassphraseRule(t *testing.T) {
	testOnlyScryptLogN = 10
	t.Cleanup(func() { testOnlyScryptLogN = 0 })
	dir := t.TempDir()
	a := newTestApp(Options{})
	followNav(a, push(newCreateIdentity()))
	s, ok := a.top().(*createIdentityScreen)
	if !ok {
		t.Fatalf("top screen is %T", a.top())
	}
	fill := func(pass string) tea.Cmd {
		s.f.fields[0].input.SetValue("alice")
		s.f.fields[1].input.SetValue(dir)
		s.f.fields[2].input.SetValue(pass)
		s.f.fields[3].input.SetValue(pass)
		s.f.setFocus(3)
		return send(a, key("enter"))
	}
	keyPath, cardPath := identity.Paths(dir, "alice")
	nothing := func(what string) {
		t.Helper()
		for _, p := range []string{keyPath, cardPath} {
			if _, err := os.Lstat(p); err == nil {
				t.Fatalf("%s: %s was written", what, p)
			}
		}
	}

	// A weak passphrase is refused before anything is written.
	if cmd := fill("password1"); cmd != nil {
		runAsync(t, a, cmd)
	}
	if scr := strings.Join(strings.Fields(screenText(a)), " "); !strings.Contains(scr, "passphrase too weak") || !strings.Contains(scr, "leave both passphrase fields empty") {
		t.Fatalf("a weak passphrase is not refused plainly:\n%s", scr)
	}
	nothing("a weak passphrase")
	if s.f.raw(2) != "" || s.f.raw(3) != "" {
		t.Fatal("the refused passphrase stays in the form")
	}

	// Empty: coldsig offers one, shown once; 'n' writes nothing.
	fill("")
	scr := screenText(a)
	words := regexp.MustCompile(`(?m)^\s+((?:[a-z]{4} ){7}[a-z]{4})\s*$`).FindStringSubmatch(scr)
	if words == nil || !strings.Contains(scr, "Have you written it down?") {
		t.Fatalf("no generated passphrase offered:\n%s", scr)
	}
	send(a, key("n"))
	nothing("a generated passphrase not written down")
	if scr := screenText(a); strings.Contains(scr, words[1]) {
		t.Fatalf("the refused generated passphrase is still shown:\n%s", scr)
	}

	// Offered again (a new one) and confirmed: the key opens with it.
	fill("")
	words = regexp.MustCompile(`(?m)^\s+((?:[a-z]{4} ){7}[a-z]{4})\s*$`).FindStringSubmatch(screenText(a))
	if words == nil {
		t.Fatalf("no generated passphrase offered:\n%s", screenText(a))
	}
	runAsync(t, a, send(a, key("y")))
	id, err := identity.LoadIdentity(keyPath, func() ([]byte, error) { return []byte(words[1]), nil })
	if err != nil {
		t.Fatalf("the key does not open with the generated passphrase: %v\n%s", err, screenText(a))
	}
	if id.Name != "alice" || a.sess.id == nil {
		t.Fatal("the new identity is not the session's")
	}
	if _, err := os.Stat(cardPath); err != nil {
		t.Fatal(err)
	}
}

// TestCreateRefusesWeakPassphrase: no caller of identity.Create can skip the
// rule; nil (no passphrase, drills) stays an explicit choice.
func TestCreateRefusesWeakPassphrase(t *testing.T) {
	id, err := identity.NewIdentity("bob")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, _, err := identity.Create(dir, id, []byte("password1"), 10); !errors.Is(err, identity.ErrWeakPassphrase) {
		t.Fatalf("weak passphrase: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused passphrase left %d files", len(entries))
	}
}
