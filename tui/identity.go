package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// testOnlyScryptLogN, when non-zero, lowers the scrypt work factor of
// identities created by the TUI. Only this package's tests set it; the
// shipped binary has no way to.
var testOnlyScryptLogN int

// createIdentityScreen makes NAME.key and NAME.card, like 'coldsig
// identity new', and keeps the new identity unlocked for the session (it
// was just typed: asking again would be a second prompt).
type createIdentityScreen struct {
	base
	f       form
	busy    bool
	errText string
	spin    spinner.Model
	// generated is a passphrase coldsig made (both passphrase fields left
	// empty), shown once until the officer says it is written down.
	generated string
}

type createdMsg struct {
	id             *identity.Identity
	keyPath, cardP string
	err            error
}

func newCreateIdentity() *createIdentityScreen {
	return &createIdentityScreen{
		f: newForm(
			fieldSpec{label: "Your name (as the other officers will read it)", hint: "1-64 letters, digits, '.', '_' or '-'"},
			fieldSpec{label: "Folder for NAME.key and NAME.card", value: "."},
			fieldSpec{label: "New passphrase", secret: true, hint: "protects NAME.key; leave both empty and coldsig makes one (8 random words)"},
			fieldSpec{label: "Repeat the passphrase", secret: true},
		),
		spin: spinner.New(spinner.WithSpinner(spinner.Line)),
	}
}

func (s *createIdentityScreen) typing() bool        { return !s.busy && s.generated == "" }
func (s *createIdentityScreen) init(a *App) tea.Cmd { return nil }

func (s *createIdentityScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case spinner.TickMsg:
		return spinOn(&s.spin, s.busy, m)
	case createdMsg:
		s.busy = false
		if m.err != nil {
			s.errText = m.err.Error()
			return nil
		}
		a.sess.id, a.sess.idPath = m.id, m.keyPath
		return replace(newCardScreenFor(m.id.Card(), fmt.Sprintf("Created %s (secret: keep it offline) and %s (public: give it to the other officers).", termsafe.Path(m.keyPath), termsafe.Path(m.cardP))))
	case tea.KeyPressMsg:
		if s.busy {
			return nil
		}
		if s.generated != "" {
			return s.confirmGenerated(a, m.String())
		}
		if m.String() == "esc" {
			s.f.reset()
			return pop()
		}
		done, cmd := s.f.update(m)
		if !done {
			return cmd
		}
		return s.submit(a)
	}
	return nil
}

func (s *createIdentityScreen) submit(a *App) tea.Cmd {
	name, dir := s.f.value(0), s.f.value(1)
	p1, p2 := []byte(s.f.raw(2)), []byte(s.f.raw(3))
	switch {
	case identity.ValidName(name) != nil:
		s.errText = identity.ValidName(name).Error()
		s.f.setFocus(0)
		return nil
	case dir == "":
		s.errText = "Give a folder."
		s.f.setFocus(1)
		return nil
	case len(p1) == 0 && len(p2) == 0:
		// coldsig makes one: shown once, written only when the officer
		// says it is written down (as 'identity new --generate-passphrase').
		g, err := identity.GeneratePassphrase()
		if err != nil {
			s.errText = err.Error()
			return nil
		}
		s.generated, s.errText = g, ""
		return nil
	case string(p1) != string(p2):
		s.errText = "The two passphrases differ; type them again."
		s.f.fields[2].input.Reset()
		s.f.fields[3].input.Reset()
		s.f.setFocus(2)
		return nil
	}
	// The rule 'coldsig identity new' applies (identity.Create applies it
	// again): said here before scrypt runs.
	if err := identity.CheckPassphrase(p1); err != nil {
		s.errText = err.Error() + ". Use several unrelated words (not a quotation), or leave both passphrase fields empty and coldsig makes one."
		s.f.fields[2].input.Reset()
		s.f.fields[3].input.Reset()
		s.f.setFocus(2)
		return nil
	}
	s.f.fields[2].input.Reset()
	s.f.fields[3].input.Reset()
	clear(p2)
	return s.create(name, dir, p1)
}

// confirmGenerated answers "Have you written it down?" for a generated
// passphrase: y creates the identity with it, n or esc drops it (nothing
// written) and goes back to the form.
func (s *createIdentityScreen) confirmGenerated(a *App, k string) tea.Cmd {
	switch k {
	case "y":
		p := []byte(s.generated)
		s.generated = ""
		return s.create(s.f.value(0), s.f.value(1), p)
	case "n", "esc":
		s.generated = ""
		s.errText = "Nothing was written: the passphrase was not confirmed as written down."
		s.f.setFocus(2)
	}
	return nil
}

// create writes the identity off the UI goroutine; p1 is cleared after.
func (s *createIdentityScreen) create(name, dir string, p1 []byte) tea.Cmd {
	s.busy, s.errText = true, ""
	return tea.Batch(s.spin.Tick, async(s, func() tea.Msg {
		defer clear(p1)
		if err := atomicfile.PrepareDir(dir); err != nil {
			return createdMsg{err: err}
		}
		key, card := identity.Paths(dir, name)
		for _, p := range []string{key, card} {
			if _, err := os.Lstat(p); err == nil {
				return createdMsg{err: fmt.Errorf("%s already exists; not overwritten (choose another name or folder; never delete a key that may hold a share)", p)}
			}
		}
		id, err := identity.NewIdentity(name)
		if err != nil {
			return createdMsg{err: err}
		}
		key, card, err = identity.Create(dir, id, p1, testOnlyScryptLogN)
		if err != nil {
			return createdMsg{err: err}
		}
		return createdMsg{id: id, keyPath: key, cardP: card}
	}))
}

func (s *createIdentityScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	b.WriteString("A new party identity: NAME.key holds your secret keys (encrypted with\nthe passphrase), NAME.card the public half you give the other officers.\n\n")
	if s.generated != "" {
		b.WriteString("The passphrase for NAME.key (shown once; write it down now, on paper,\nword for word):\n\n")
		b.WriteString("    " + a.st.words.Render(s.generated) + "\n\n")
		b.WriteString("Have you written it down? y creates the identity with it; n writes nothing.\n")
		return "create my identity", b.String(), a.st.keyHint("y", "written down: create", "n/esc", "back, nothing written")
	}
	b.WriteString(s.f.view(a.st))
	if s.busy {
		b.WriteString("\n" + s.spin.View() + " creating (scrypt takes a second or two) ...\n")
	}
	if s.errText != "" {
		b.WriteString("\n" + a.st.bad.Render("✗ "+termsafe.String(s.errText)) + "\n")
	}
	return "create my identity", b.String(), a.st.keyHint("tab/enter", "next field", "enter", "(last) create", "esc", "back")
}

func (s *createIdentityScreen) help() []string {
	return []string{"tab/enter", "next field", "shift+tab", "previous field", "esc", "back, nothing written"}
}

// cardScreen shows a card's fingerprint words to read aloud.
type cardScreen struct {
	base
	card *identity.Card
	note string
}

func newCardScreen() screen { return &cardScreen{} }

func newCardScreenFor(c *identity.Card, note string) *cardScreen {
	return &cardScreen{card: c, note: note}
}

func (s *cardScreen) init(a *App) tea.Cmd {
	if s.card == nil && a.sess.id != nil {
		s.card = a.sess.id.Card()
	}
	return nil
}

func (s *cardScreen) update(a *App, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && (k.String() == "esc" || k.String() == "enter") {
		return home("")
	}
	return nil
}

func (s *cardScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	if s.note != "" {
		b.WriteString(a.st.ok.Render("✓ "+s.note) + "\n\n")
	}
	if c := s.card; c != nil {
		fmt.Fprintf(&b, "name          %s\n", termsafe.String(c.Name))
		fmt.Fprintf(&b, "recipient     %s\n", c.Recipient)
		fmt.Fprintf(&b, "signing key   %x\n", []byte(c.SigningKey))
		fmt.Fprintf(&b, "fingerprint   %s\n\n", c.FingerprintHex())
		fmt.Fprintf(&b, "card words    %s\n\n", a.st.words.Render(c.FingerprintWords()))
		b.WriteString("Read the card words aloud to the other officers: they must match the\ncard they hold for you before anyone writes a plan with it.\n")
	}
	return "my card", b.String(), a.st.keyHint("enter/esc", "home")
}

func (s *cardScreen) help() []string { return []string{"enter/esc", "back home"} }

// preparamsScreen generates ECDSA pre-parameters like 'coldsig
// preparams', encrypted to the officer's own card.
type preparamsScreen struct {
	base
	f       form
	busy    bool
	start   time.Time
	now     time.Time
	cancel  context.CancelFunc
	errText string
	done    string
	spin    spinner.Model
}

type (
	preparamsDoneMsg struct {
		path string
		err  error
	}
	ppTickMsg time.Time
)

func newPreparams() *preparamsScreen {
	return &preparamsScreen{spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

func (s *preparamsScreen) typing() bool { return !s.busy && s.done == "" }

func (s *preparamsScreen) init(a *App) tea.Cmd {
	s.f = newForm(fieldSpec{label: "Write the pre-parameters to (a new file)",
		value: filepath.Join(a.opts.Dir, a.sess.id.Name+".pp"), hint: "secret and single use: encrypted to your card"})
	return nil
}

func (s *preparamsScreen) tick() tea.Cmd {
	id := s.id()
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return toMsg{id, ppTickMsg(t)} })
}

func (s *preparamsScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case spinner.TickMsg:
		return spinOn(&s.spin, s.busy, m)
	case ppTickMsg:
		if !s.busy {
			return nil
		}
		if s.start.IsZero() {
			s.start = time.Time(m)
		}
		s.now = time.Time(m)
		return s.tick()
	case preparamsDoneMsg:
		s.busy, s.cancel = false, nil
		if m.err != nil {
			s.errText = m.err.Error()
			return nil
		}
		a.sess.preparams = m.path
		s.done = m.path
		return nil
	case tea.KeyPressMsg:
		if s.busy {
			if m.String() == "esc" && s.cancel != nil {
				s.cancel()
			}
			return nil
		}
		if s.done != "" || m.String() == "esc" {
			if m.String() == "esc" || m.String() == "enter" {
				return home(s.homeNote())
			}
			return nil
		}
		done, cmd := s.f.update(m)
		if !done || s.f.value(0) == "" {
			return cmd
		}
		return s.generate(a, s.f.value(0))
	}
	return nil
}

func (s *preparamsScreen) homeNote() string {
	if s.done == "" {
		return ""
	}
	return "pre-parameters ready in " + termsafe.Path(s.done) + " (single use)"
}

func (s *preparamsScreen) generate(a *App, out string) tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	s.busy, s.cancel, s.errText, s.start, s.now = true, cancel, "", time.Time{}, time.Time{}
	card := a.sess.id.Card()
	return tea.Batch(s.spin.Tick, s.tick(), async(s, func() tea.Msg {
		defer cancel()
		if _, err := os.Lstat(out); err == nil {
			return preparamsDoneMsg{err: fmt.Errorf("%s already exists; coldsig never overwrites a file", out)}
		}
		pp, err := ceremony.GeneratePreParams(ctx, nil)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				err = errors.New("cancelled; nothing was written")
			}
			return preparamsDoneMsg{err: err}
		}
		data, err := ceremony.SealPreParams(pp, card.Recipient)
		if err != nil {
			return preparamsDoneMsg{err: err}
		}
		if err := atomicfile.Create(out, data, 0o600); err != nil {
			return preparamsDoneMsg{err: fmt.Errorf("%s: %w", out, err)}
		}
		return preparamsDoneMsg{path: out}
	}))
}

func (s *preparamsScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	b.WriteString("A secp256k1 keygen (and a new member of a secp256k1 reshare) needs\npre-parameters: safe primes and a Paillier key. Finding them takes\ntypically 20 s to a few minutes; do it before the ceremony.\n\n")
	switch {
	case s.busy:
		el := time.Duration(0)
		if !s.start.IsZero() {
			el = s.now.Sub(s.start).Round(time.Second)
		}
		fmt.Fprintf(&b, "%s searching for safe primes ... %s elapsed (typically 20 s – a few minutes)\n", s.spin.View(), el)
		b.WriteString("\nThe screen stays live; esc cancels (nothing is written).\n")
	case s.done != "":
		b.WriteString(a.st.ok.Render("✓ wrote "+termsafe.Path(s.done)) + " (encrypted to your card, single use)\n")
		b.WriteString("\nJoining a ceremony with them deletes the file once they are used.\n")
	default:
		b.WriteString(s.f.view(a.st))
	}
	if s.errText != "" {
		b.WriteString("\n" + a.st.bad.Render("✗ "+termsafe.String(s.errText)) + "\n")
	}
	footer := a.st.keyHint("enter", "generate", "esc", "back")
	if s.busy {
		footer = a.st.keyHint("esc", "cancel")
	} else if s.done != "" {
		footer = a.st.keyHint("enter/esc", "home")
	}
	return "pre-parameters", b.String(), footer
}

func (s *preparamsScreen) help() []string {
	return []string{"enter", "start (or home when done)", "esc", "cancel a search, or go back"}
}
