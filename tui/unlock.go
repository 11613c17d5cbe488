package tui

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// unlockScreen asks for the identity's passphrase, once per session. The
// input is masked; a wrong passphrase is said plainly and asked again on
// the same screen (that is a retry, not a new prompt). The decrypted
// identity goes into the session and nowhere else.
type unlockScreen struct {
	base
	path    string
	next    func() screen
	input   textinput.Model
	spin    spinner.Model
	probing bool // reading the file to learn whether it is encrypted
	busy    bool // scrypt is running
	tries   int
	errText string
	warn    string
	// custodian, when set, unlocks someone else's identity for one task
	// (a backup custodian at the officer's laptop): it goes to the task
	// through deliver, never into the session, and is no session prompt.
	custodian bool
	deliver   func(id *identity.Identity) tea.Cmd
}

// newCustodianUnlock asks a custodian for their identity's passphrase and
// hands the identity to deliver, whose command also closes this screen
// (popTo).
func newCustodianUnlock(path string, deliver func(id *identity.Identity) tea.Cmd) *unlockScreen {
	u := newUnlock(path, nil)
	u.custodian, u.deliver = true, deliver
	return u
}

// Messages of the unlock screen.
type (
	probedMsg struct {
		id        *identity.Identity // set for an unencrypted identity
		encrypted bool
		err       error
		warn      string
	}
	unlockedMsg struct {
		id   *identity.Identity
		warn string
	}
	wrongPassMsg struct{}
)

var errNeedPassphrase = errors.New("passphrase needed")

func newUnlock(path string, next func() screen) *unlockScreen {
	in := textinput.New()
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.Prompt = "Passphrase: "
	in.CharLimit = 1024
	in.SetWidth(40)
	noClipboard(&in)
	in.Focus()
	return &unlockScreen{path: path, next: next, input: in, spin: spinner.New(spinner.WithSpinner(spinner.Line)), probing: true}
}

func (u *unlockScreen) typing() bool { return !u.probing && !u.busy }

func (u *unlockScreen) init(a *App) tea.Cmd {
	path := u.path
	return async(u, func() tea.Msg {
		id, err := identity.LoadIdentity(path, func() ([]byte, error) { return nil, errNeedPassphrase })
		switch {
		case errors.Is(err, errNeedPassphrase):
			return probedMsg{encrypted: true}
		case err != nil:
			return probedMsg{err: err}
		}
		return probedMsg{id: id, warn: modeWarning(path) + fmt.Sprintf("%s is NOT encrypted (made with --no-passphrase): for drills and tests only", termsafe.Path(path))}
	})
}

// modeWarning says when a secret file is readable by other users.
func modeWarning(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Sprintf("%s is accessible to other users (mode %04o); run chmod 600 on it. ", termsafe.Path(path), fi.Mode().Perm())
	}
	return ""
}

func (u *unlockScreen) done(a *App, id *identity.Identity, warn string) tea.Cmd {
	if u.custodian {
		return u.deliver(id)
	}
	a.sess.id = id
	if warn != "" {
		a.sess.warn = warn
	}
	if s := u.next(); s != nil {
		return replace(s)
	}
	return pop()
}

func (u *unlockScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case probedMsg:
		u.probing = false
		switch {
		case m.err != nil:
			u.errText = m.err.Error()
			return nil
		case m.id != nil:
			return u.done(a, m.id, m.warn)
		}
		if !u.custodian {
			a.sess.prompts++
		}
		return nil
	case unlockedMsg:
		u.busy = false
		return u.done(a, m.id, m.warn)
	case wrongPassMsg:
		u.busy = false
		u.tries++
		u.errText = fmt.Sprintf("Wrong passphrase (attempt %d). Type it again; nothing was changed.", u.tries)
		return nil
	case errMsg:
		u.busy = false
		u.errText = m.err.Error()
		return nil
	case spinner.TickMsg:
		return spinOn(&u.spin, u.busy || u.probing, m)
	case tea.KeyPressMsg:
		if u.probing || u.busy {
			return nil
		}
		switch m.String() {
		case "esc":
			u.input.Reset()
			return pop()
		case "enter":
			pass := []byte(u.input.Value())
			u.input.Reset()
			if len(pass) == 0 {
				u.errText = "The passphrase is empty. Type it, then press enter."
				return nil
			}
			u.busy, u.errText = true, ""
			path := u.path
			return tea.Batch(u.spin.Tick, async(u, func() tea.Msg {
				id, err := identity.LoadIdentity(path, func() ([]byte, error) { return pass, nil })
				clear(pass)
				switch {
				case errors.Is(err, identity.ErrWrongPassphrase):
					return wrongPassMsg{}
				case err != nil:
					return errMsg{err}
				}
				return unlockedMsg{id: id, warn: strings.TrimSpace(modeWarning(path))}
			}))
		}
		var cmd tea.Cmd
		u.input, cmd = u.input.Update(m)
		return cmd
	}
	return nil
}

func (u *unlockScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	if u.custodian {
		fmt.Fprintf(&b, "Custodian: unlock the identity %s\n\n", termsafe.Path(u.path))
		b.WriteString("It is used for this task only, in this program's memory, and dropped\nafterwards.\n\n")
	} else {
		fmt.Fprintf(&b, "Unlock your identity %s\n\n", termsafe.Path(u.path))
		b.WriteString("The passphrase is asked once for this session. The unlocked identity\n")
		b.WriteString("stays in this program's memory only and is gone when you quit.\n\n")
	}
	switch {
	case u.probing:
		b.WriteString("reading " + termsafe.Path(u.path) + " ...\n")
	case u.busy:
		b.WriteString(u.spin.View() + " unlocking (scrypt takes a second or two) ...\n")
	default:
		b.WriteString(u.input.View() + "\n")
	}
	if u.errText != "" {
		b.WriteString("\n" + a.st.bad.Render("✗ "+u.errText) + "\n")
	}
	return "unlock", b.String(), a.st.keyHint("enter", "unlock", "esc", "back", "ctrl+c", "quit")
}

func (u *unlockScreen) help() []string {
	return []string{"enter", "unlock with the passphrase typed", "esc", "go back without unlocking"}
}

// identityPathScreen asks which identity file to use when the session was
// started without --identity.
type identityPathScreen struct {
	base
	next  func() screen
	input textinput.Model
}

func newIdentityPath(next func() screen) *identityPathScreen {
	in := textinput.New()
	in.Prompt = "Identity file (NAME.key): "
	in.SetWidth(50)
	noClipboard(&in)
	in.Focus()
	return &identityPathScreen{next: next, input: in}
}

func (s *identityPathScreen) typing() bool        { return true }
func (s *identityPathScreen) init(a *App) tea.Cmd { return nil }

func (s *identityPathScreen) update(a *App, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return pop()
		case "enter":
			p := strings.TrimSpace(s.input.Value())
			if p == "" {
				return nil
			}
			a.sess.idPath = p
			return replace(newUnlock(p, s.next))
		}
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

func (s *identityPathScreen) view(a *App) (string, string, string) {
	body := "Which identity is yours? Give the path of your NAME.key file\n(made by 'create my identity' or 'coldsig identity new').\n\n" + s.input.View()
	return "your identity", body, a.st.keyHint("enter", "next", "esc", "back")
}

func (s *identityPathScreen) help() []string {
	return []string{"enter", "use this file", "esc", "go back"}
}
