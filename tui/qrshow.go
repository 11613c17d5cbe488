package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/qr"
)

// qrShowScreen shows files as animated QR codes in the terminal, one file
// at a time, with the same fountain-coded UR frames 'coldsig qr encode'
// makes. The fragment size is chosen so that a frame fits the terminal;
// the receiving officer films it ('zbarcam --raw | coldsig qr decode -o
// INBOX/NAME', NAME shown above the code).
type qrShowScreen struct {
	base
	files  []string
	cur    int
	enc    *qr.Encoder
	encFor string // file and terminal size the encoder was made for
	frame  string
	// lastFrame is the UR text of the code on screen.
	lastFrame string
	seq       int
	fps       int
	errText   string
}

type (
	qrEncMsg struct {
		key string
		enc *qr.Encoder
		err error
	}
	qrTickMsg struct{}
)

func newQRShow(files []string) *qrShowScreen { return &qrShowScreen{files: files, fps: 5} }

func (s *qrShowScreen) key(a *App) string {
	return fmt.Sprintf("%s@%dx%d", s.files[s.cur], a.w, a.h)
}

func (s *qrShowScreen) init(a *App) tea.Cmd { return tea.Batch(s.load(a), s.tick()) }

func (s *qrShowScreen) tick() tea.Cmd {
	id := s.id()
	return tea.Tick(time.Second/time.Duration(max(1, s.fps)), func(time.Time) tea.Msg { return toMsg{id, qrTickMsg{}} })
}

// load reads the current file and picks the largest fragment whose frames
// fit the terminal (two modules per character cell vertically).
func (s *qrShowScreen) load(a *App) tea.Cmd {
	key, path := s.key(a), s.files[s.cur]
	rows, cols := a.h-2, a.w
	return async(s, func() tea.Msg {
		data, err := boundedio.ReadFile(path, qr.MaxPayload)
		if err != nil {
			return qrEncMsg{key: key, err: err}
		}
		for frag := 400; frag >= qr.MinFragmentLen; frag = frag * 4 / 5 {
			enc, err := qr.NewEncoder(data, &qr.Options{MaxFragmentLen: frag})
			if err != nil {
				return qrEncMsg{key: key, err: err}
			}
			m, err := qr.Modules(enc.Next())
			if err != nil {
				continue
			}
			if (len(m)+1)/2 <= rows && len(m) <= cols {
				enc, _ = qr.NewEncoder(data, &qr.Options{MaxFragmentLen: frag})
				return qrEncMsg{key: key, enc: enc}
			}
		}
		return qrEncMsg{key: key, err: fmt.Errorf("the terminal (%dx%d) is too small for a QR code; enlarge it", cols, rows+4)}
	})
}

func (s *qrShowScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case qrEncMsg:
		if m.key != s.key(a) {
			return nil // the file or the terminal changed meanwhile
		}
		s.enc, s.encFor, s.errText, s.seq = m.enc, m.key, "", 0
		if m.err != nil {
			s.enc, s.errText = nil, m.err.Error()
		}
		return nil
	case qrTickMsg:
		if s.enc != nil {
			f := s.enc.Next()
			if t, err := qr.TerminalANSI(f); err == nil {
				s.frame, s.lastFrame, s.seq = t, f, s.seq+1
			}
		}
		return s.tick()
	case tea.WindowSizeMsg:
		return s.load(a)
	case tea.KeyPressMsg:
		switch m.String() {
		case "esc":
			return pop()
		case "n", "right":
			s.cur = (s.cur + 1) % len(s.files)
			s.enc, s.frame = nil, ""
			return s.load(a)
		case "p", "left":
			s.cur = (s.cur + len(s.files) - 1) % len(s.files)
			s.enc, s.frame = nil, ""
			return s.load(a)
		case "+":
			s.fps = min(s.fps+1, 15)
		case "-":
			s.fps = max(s.fps-1, 1)
		}
	}
	return nil
}

// fullScreen: the code needs every line (at 80x24 a code of 41 modules
// square fits, which is what carries a useful fragment).
func (s *qrShowScreen) fullScreen() bool { return s.errText == "" && s.frame != "" }

func (s *qrShowScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	name := termsafe.Path(filepath.Base(s.files[s.cur]))
	title := fmt.Sprintf("QR %d/%d %s", s.cur+1, len(s.files), name)
	if s.enc != nil {
		title += fmt.Sprintf(" (%d parts, #%d)", s.enc.SeqLen(), s.seq)
	}
	switch {
	case s.errText != "":
		b.WriteString(a.st.bad.Render("✗ "+termsafe.String(s.errText)) + "\n")
	case s.frame == "":
		b.WriteString("preparing the code ...\n")
	default:
		// Black on white whatever the terminal's theme (with NO_COLOR the
		// terminal's own colours: scan on a light theme).
		b.WriteString(strings.TrimRight(s.frame, "\n"))
	}
	return title, b.String(), a.st.keyHint("n/p", "file", "+/-", "speed", "esc", "back")
}

func (s *qrShowScreen) help() []string {
	return []string{"n / p", "next / previous file", "+ / -", "faster / slower", "esc", "back",
		"receiver", "zbarcam --raw | coldsig qr decode -o INBOX/<file name>"}
}

// qrSendPickScreen asks which file or folder to show as QR.
type qrSendPickScreen struct {
	base
	f       form
	errText string
}

type qrFilesMsg struct {
	files []string
	err   error
}

func newQRSendPick(a *App) *qrSendPickScreen {
	return &qrSendPickScreen{f: newForm(fieldSpec{label: "File or folder to show as QR (e.g. a work dir's outbox/)"})}
}

func (s *qrSendPickScreen) typing() bool        { return true }
func (s *qrSendPickScreen) init(a *App) tea.Cmd { return nil }

func (s *qrSendPickScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case qrFilesMsg:
		if m.err != nil {
			s.errText = m.err.Error()
			return nil
		}
		if len(m.files) == 0 {
			s.errText = "no files there"
			return nil
		}
		return replace(newQRShow(m.files))
	case tea.KeyPressMsg:
		if m.String() == "esc" {
			return pop()
		}
		done, cmd := s.f.update(m)
		if !done || s.f.value(0) == "" {
			return cmd
		}
		p := s.f.value(0)
		return async(s, func() tea.Msg {
			files, err := listFiles([]string{p})
			return qrFilesMsg{files, err}
		})
	}
	return nil
}

func (s *qrSendPickScreen) view(a *App) (string, string, string) {
	body := s.f.view(a.st)
	if s.errText != "" {
		body += "\n" + a.st.bad.Render("✗ "+termsafe.String(s.errText)) + "\n"
	}
	return "QR send", body, a.st.keyHint("enter", "show", "esc", "back")
}

func (s *qrSendPickScreen) help() []string { return []string{"enter", "show as QR", "esc", "back"} }
