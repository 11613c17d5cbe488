// Package tui is coldsig's guided terminal interface for ceremony officers.
//
// It drives the very same operations as the CLI (ceremony.Join, Step,
// ReadStatus; identity, plan, backup and qr) and holds no ceremony logic
// of its own: every screen ends on the engine call the matching CLI
// command makes. What it adds is the officer's side: the identity is
// unlocked once per session and kept in memory only, the plan is shown
// and confirmed before anything runs, and the ceremony screen watches the
// inbox and steps as soon as the needed envelopes are there.
//
// Update and View never touch files or the clock: everything that does
// (reading the inbox, a ceremony step, scrypt, prime search) runs in a
// tea.Cmd off the UI goroutine and comes back as a message, so the models
// are unit-tested by feeding messages and reading views.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/identity"
)

// Options configure a TUI session.
type Options struct {
	// Identity is the officer's secret identity file (NAME.key). It is
	// unlocked once, the first time a task needs it.
	Identity string
	// WorkDir, when set, opens the ceremony screen on that work directory
	// directly (Identity and Inbox are then needed too).
	WorkDir string
	// Inbox is where envelopes arrive (the mounted stick); it is also the
	// default inbox of ceremonies joined in this session.
	Inbox []string
	// Dir is where new work directories and files go by default, and where
	// "resume" looks first. Empty means the current directory.
	Dir string
	// Poll is how often the ceremony screen looks at the inbox (default 1 s).
	Poll time.Duration
	// NoAutoStep starts the ceremony screen with auto-step off.
	NoAutoStep bool
	// plain renders without any style (golden tests).
	plain bool
}

// session is what the TUI keeps for the whole run. The unlocked identity
// lives here, in memory only: it is never written and never logged.
type session struct {
	idPath string
	id     *identity.Identity
	// prompts counts passphrase prompts shown this session (the promise
	// is one per session; tests read it).
	prompts int
	// Remembered paths, offered as defaults so an officer types less.
	inbox      string
	lastShare  string
	preparams  string
	lastPublic string
	// warn is a standing warning about the identity (unencrypted, or
	// readable by others), shown on the home screen.
	warn string
}

// screen is one page of the TUI. Screens keep their own state and are
// updated through the app, which routes messages and owns navigation.
type screen interface {
	// setID/id tag the screen so that an asynchronous result reaches the
	// screen that asked for it, wherever it is on the stack.
	setID(int)
	id() int
	init(a *App) tea.Cmd
	update(a *App, msg tea.Msg) tea.Cmd
	// view returns the title, body and footer; the app frames them.
	view(a *App) (title, body, footer string)
	// typing is true while a text field has the focus: q and ? are then
	// characters, not commands.
	typing() bool
	// help lists the screen's keys for the ? overlay, as key/what pairs.
	help() []string
}

type base struct{ sid int }

// scroller is embedded by screens whose body can be taller than the
// terminal; pgup/pgdn (and ↑/↓ where the screen has no other use for
// them) move it.
type scroller struct{ off int }

type scrollable interface{ offset() int }

// fullScreen is a screen that needs every line of the terminal.
type fullScreen interface{ fullScreen() bool }

func (s *scroller) offset() int { return s.off }

// scroll handles the scrolling keys; it reports whether k was one.
func (s *scroller) scroll(a *App, k tea.KeyPressMsg, arrows bool, sc screen) bool {
	page := max(1, a.h-6)
	switch k.String() {
	case "pgdown", " ", "ctrl+d":
		s.off += page
	case "pgup", "ctrl+u":
		s.off -= page
	case "down", "j":
		if !arrows {
			return false
		}
		s.off++
	case "up", "k":
		if !arrows {
			return false
		}
		s.off--
	case "home", "g":
		if !arrows {
			return false
		}
		s.off = 0
	default:
		return false
	}
	_, body, footer := sc.view(a)
	s.off = clampOff(s.off, len(wrapLines(body, a.w)), bodyRoom(a.h, footer))
	return true
}

func (b *base) setID(i int)  { b.sid = i }
func (b *base) id() int      { return b.sid }
func (b *base) typing() bool { return false }

// App is the root bubbletea model.
type App struct {
	opts   Options
	st     styles
	sess   *session
	stack  []screen
	nextID int
	w, h   int
	// showHelp overlays the key list of the top screen.
	showHelp bool
	// farewell is printed after the program ends (the alternate screen is
	// gone by then): where things stand and how to resume.
	farewell string
}

// New builds the root model.
func New(o Options) *App {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	a := &App{opts: o, st: newStyles(o.plain), sess: &session{idPath: o.Identity}, w: 80, h: 24}
	if len(o.Inbox) > 0 {
		a.sess.inbox = o.Inbox[0]
	}
	a.push(newHome())
	if o.WorkDir != "" {
		wd, inbox := o.WorkDir, o.Inbox
		a.push(a.needIdentity(func() screen { return newCeremony(wd, inbox, !o.NoAutoStep) }))
	} else if o.Identity != "" {
		a.push(a.needIdentity(nil))
	}
	return a
}

// Prompts reports how many passphrase prompts the session showed.
func (a *App) Prompts() int { return a.sess.prompts }

// Farewell is the text to print once the program has ended.
func (a *App) Farewell() string { return a.farewell }

func (a *App) push(s screen) {
	a.nextID++
	s.setID(a.nextID)
	a.stack = append(a.stack, s)
}

func (a *App) top() screen { return a.stack[len(a.stack)-1] }

func (a *App) find(id int) screen {
	for _, s := range a.stack {
		if s.id() == id {
			return s
		}
	}
	return nil
}

// Navigation messages. Screens return them as commands; only the app
// changes the stack.
type (
	pushMsg    struct{ s screen }
	replaceMsg struct{ s screen }
	popMsg     struct{}
	homeMsg    struct{ note string }
	// toMsg carries an asynchronous result back to the screen that asked.
	toMsg struct {
		to  int
		msg tea.Msg
	}
	// farewellMsg sets the text printed after exit.
	farewellMsg string
	// popToMsg closes the top screen and hands msg to screen to.
	popToMsg struct {
		to  int
		msg tea.Msg
	}
)

// popTo closes the top screen and delivers msg to the screen with id to.
func popTo(to int, msg tea.Msg) tea.Cmd { return func() tea.Msg { return popToMsg{to, msg} } }

func push(s screen) tea.Cmd    { return func() tea.Msg { return pushMsg{s} } }
func replace(s screen) tea.Cmd { return func() tea.Msg { return replaceMsg{s} } }
func pop() tea.Cmd             { return func() tea.Msg { return popMsg{} } }
func home(note string) tea.Cmd { return func() tea.Msg { return homeMsg{note} } }

// async runs f off the UI goroutine for screen s and delivers its result
// to s. A panic in f becomes an error on that screen instead of killing
// the session (the engine's operations are transactional, so the state on
// disk is whatever the last committed step left).
func async(s screen, f func() tea.Msg) tea.Cmd {
	id := s.id()
	return func() (m tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				m = toMsg{id, errMsg{fmt.Errorf("internal error (please report it): %v\n%s", r, firstLines(string(debug.Stack()), 12))}}
			}
		}()
		return toMsg{id, f()}
	}
}

// errMsg is a failed asynchronous operation.
type errMsg struct{ err error }

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// Init starts the top screen.
func (a *App) Init() tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range a.stack {
		cmds = append(cmds, s.init(a))
	}
	return tea.Batch(cmds...)
}

// Update routes a message. Ctrl+C always quits: every ceremony operation
// commits all or nothing, so the state on disk is safe at any moment.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch m := msg.(type) {
	case tea.WindowSizeMsg:
		a.w, a.h = m.Width, m.Height
		return a, a.top().update(a, msg)
	case tea.KeyPressMsg:
		if m.String() == "ctrl+c" {
			return a, tea.Quit
		}
		if a.showHelp {
			a.showHelp = false
			return a, nil
		}
		if !a.top().typing() {
			switch m.String() {
			case "?":
				a.showHelp = true
				return a, nil
			case "q":
				return a, tea.Quit
			}
		}
		return a, a.top().update(a, msg)
	case pushMsg:
		a.push(m.s)
		return a, m.s.init(a)
	case replaceMsg:
		a.stack = a.stack[:len(a.stack)-1]
		a.push(m.s)
		return a, m.s.init(a)
	case popMsg:
		if len(a.stack) > 1 {
			a.stack = a.stack[:len(a.stack)-1]
		}
		return a, a.top().update(a, resumedMsg{})
	case popToMsg:
		if len(a.stack) > 1 {
			a.stack = a.stack[:len(a.stack)-1]
		}
		if s := a.find(m.to); s != nil {
			return a, s.update(a, m.msg)
		}
		return a, nil
	case homeMsg:
		a.stack = a.stack[:1]
		return a, a.top().update(a, noteMsg(m.note))
	case farewellMsg:
		a.farewell = string(m)
		return a, nil
	case toMsg:
		if s := a.find(m.to); s != nil {
			return a, s.update(a, m.msg)
		}
		return a, nil
	}
	return a, a.top().update(a, msg)
}

// resumedMsg tells a screen it is on top again; noteMsg carries a line for
// the home screen (what the last task did).
type (
	resumedMsg struct{}
	noteMsg    string
)

// View frames the top screen (or the key overlay) on the alternate screen.
func (a *App) View() tea.View {
	v := tea.NewView(a.render())
	v.AltScreen = true
	return v
}

// render is the screen's text.
func (a *App) render() string {
	s := a.top()
	title, body, footer := s.view(a)
	if a.showHelp {
		body = a.helpView(s)
		footer = "press any key to close this help"
	}
	if fs, ok := s.(fullScreen); ok && fs.fullScreen() && !a.showHelp {
		// The whole terminal for the content (a QR code): one line of
		// title and keys, then the body, nothing cut.
		return fit(title+" · "+footer, a.w) + "\n" + body
	}
	off := 0
	if sc, ok := s.(scrollable); ok && !a.showHelp {
		off = sc.offset()
	}
	return frame(a.st.title.Render("coldsig")+" · "+title, body, footer, a.w, a.h, off)
}

func (a *App) helpView(s screen) string {
	var sb strings.Builder
	sb.WriteString("Keys on this screen\n\n")
	h := s.help()
	for i := 0; i+1 < len(h); i += 2 {
		fmt.Fprintf(&sb, "  %-10s %s\n", h[i], h[i+1])
	}
	sb.WriteString("\n  ?          this help\n")
	if !s.typing() {
		sb.WriteString("  q          quit coldsig tui\n")
	}
	sb.WriteString("  ctrl+c     quit at once\n\n")
	sb.WriteString("Quitting is safe at any moment: every ceremony step is written\n")
	sb.WriteString("all or nothing, and 'coldsig tui --workdir DIR' resumes it.")
	return sb.String()
}

// needIdentity returns the screen that leads to next with the officer's
// identity unlocked: next itself when it already is, else the unlock
// screen (after asking for the file if no --identity was given). A nil
// next returns home.
func (a *App) needIdentity(next func() screen) screen {
	if next == nil {
		next = func() screen { return nil }
	}
	if a.sess.id != nil {
		if s := next(); s != nil {
			return s
		}
	}
	if a.sess.idPath == "" {
		return newIdentityPath(next)
	}
	return newUnlock(a.sess.idPath, next)
}

// ErrInterrupted is returned by Run when the officer quit with Ctrl+C.
var ErrInterrupted = errors.New("interrupted")

// Run runs the TUI on in/out until the officer quits. The terminal is
// restored on every way out, a panic included (bubbletea catches panics
// in Update, View and commands and restores the terminal before the
// error is returned).
func Run(ctx context.Context, o Options, in io.Reader, out io.Writer) (*App, error) {
	a := New(o)
	p := tea.NewProgram(a, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		err = nil
	}
	return a, err
}
