package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// resumeScreen finds the work directories under a folder (the folder
// itself and two levels down) and opens the chosen one on the ceremony
// screen.
type resumeScreen struct {
	base
	f       form
	stage   int // 0 form, 1 searching, 2 list
	found   []found
	cursor  int
	errText string
}

type found struct {
	dir string
	st  *ceremony.Status
}

type foundMsg struct {
	list []found
	err  error
}

func newResume(a *App) *resumeScreen {
	return &resumeScreen{f: newForm(
		fieldSpec{label: "Look for ceremonies under folder", value: a.opts.Dir},
		fieldSpec{label: "Inbox: where the other parties' envelopes arrive (the stick)", value: a.sess.inbox},
	)}
}

func (s *resumeScreen) typing() bool        { return s.stage == 0 }
func (s *resumeScreen) init(a *App) tea.Cmd { return nil }

// findWorkDirs lists work directories at most depth levels below root.
func findWorkDirs(root string, depth int) ([]found, error) {
	var out []found
	var walk func(dir string, d int) error
	walk = func(dir string, d int) error {
		if st, err := ceremony.ReadStatus(dir); err == nil {
			out = append(out, found{dir, st})
			return nil
		}
		if d == depth {
			return nil
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			if d == 0 {
				return err
			}
			return nil
		}
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				if err := walk(filepath.Join(dir, e.Name()), d+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	// Ceremonies that still need the officer first.
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].st) < rank(out[j].st) })
	return out, nil
}

func rank(st *ceremony.Status) int {
	switch st.State {
	case ceremony.StateRunning, ceremony.StateConfirming:
		return 0
	case ceremony.StateFinished:
		return 1
	}
	return 2
}

func (s *resumeScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case foundMsg:
		s.stage, s.cursor = 2, 0
		s.found, s.errText = m.list, ""
		if m.err != nil {
			s.stage, s.errText = 0, m.err.Error()
		}
		return nil
	case tea.KeyPressMsg:
		switch s.stage {
		case 0:
			if m.String() == "esc" {
				return pop()
			}
			done, cmd := s.f.update(m)
			if !done || s.f.value(0) == "" {
				return cmd
			}
			if v := s.f.value(1); v != "" {
				a.sess.inbox = v
			}
			root := s.f.value(0)
			s.stage = 1
			return async(s, func() tea.Msg {
				l, err := findWorkDirs(root, 2)
				return foundMsg{l, err}
			})
		case 2:
			switch m.String() {
			case "up", "k":
				if s.cursor > 0 {
					s.cursor--
				}
			case "down", "j":
				if s.cursor < len(s.found)-1 {
					s.cursor++
				}
			case "esc":
				s.stage = 0
			case "enter":
				if len(s.found) == 0 {
					return nil
				}
				return replace(newCeremony(s.found[s.cursor].dir, splitInbox(a.sess.inbox), !a.opts.NoAutoStep))
			}
		}
	}
	return nil
}

func (s *resumeScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	switch s.stage {
	case 0:
		b.WriteString(s.f.view(a.st))
	case 1:
		b.WriteString("looking for work directories ...\n")
	case 2:
		if len(s.found) == 0 {
			b.WriteString("No work directory found there (a work directory holds plan.txt).\n")
		}
		for i, f := range s.found {
			mark := "  "
			if i == s.cursor {
				mark = "› "
			}
			p := f.st.Plan
			fmt.Fprintf(&b, "%s%-30s %s %s, %s (%s)\n", mark, termsafe.Path(f.dir), p.Curve, p.Protocol, f.st.State, termsafe.String(f.st.Me.Name))
		}
	}
	if s.errText != "" {
		b.WriteString("\n" + a.st.bad.Render("✗ "+termsafe.String(s.errText)) + "\n")
	}
	footer := a.st.keyHint("tab/enter", "next field", "enter", "(last) search", "esc", "back")
	if s.stage == 2 {
		footer = a.st.keyHint("↑/↓", "choose", "enter", "open", "esc", "search again")
	}
	return "resume a ceremony", b.String(), footer
}

func (s *resumeScreen) help() []string {
	return []string{"enter", "search / open the ceremony", "↑/↓", "choose", "esc", "back"}
}
