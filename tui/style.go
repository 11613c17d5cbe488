package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// styles are the few looks the screens use. Every meaning is also carried
// by words or markers ("›", "OK", "MISSING"), never by colour alone: with
// NO_COLOR set (or on a terminal without colour) the renderer drops the
// colours and the screens still say everything.
type styles struct {
	title, dim, ok, warn, bad, key, sel, words lipgloss.Style
}

// newStyles builds the styles; plain drops every attribute (tests).
// Colours are downsampled by bubbletea to what the terminal supports, and
// dropped with NO_COLOR.
func newStyles(plain bool) styles {
	if plain {
		return styles{}
	}
	return styles{
		title: lipgloss.NewStyle().Bold(true),
		dim:   lipgloss.NewStyle().Faint(true),
		ok:    lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		warn:  lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		bad:   lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		key:   lipgloss.NewStyle().Bold(true),
		sel:   lipgloss.NewStyle().Bold(true),
		words: lipgloss.NewStyle().Foreground(lipgloss.Color("6")).Bold(true),
	}
}

// frame lays out one screen: a title line, the body and a footer of key
// hints. Body lines are wrapped to the width, never cut, and the body is
// shown from line off on; when it is taller than the room left, the last
// line says how much more there is, so nothing is hidden silently (80x24 is
// the smallest supported size).
func frame(title, body, footer string, w, h, off int) string {
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	foot := strings.Split(strings.TrimRight(footer, "\n"), "\n")
	room := bodyRoom(h, footer)
	lines := wrapLines(body, w)
	off = clampOff(off, len(lines), room)
	lines = lines[off:]
	if len(lines) > room {
		more := len(lines) - room + 1
		lines = append(lines[:room-1], "↓ "+strconv.Itoa(more)+" more lines: pgdn/↓ to read on")
	}
	var sb strings.Builder
	sb.WriteString(fit(title, w))
	sb.WriteByte('\n')
	sb.WriteString(strings.Repeat("─", min(w, 80)))
	sb.WriteByte('\n')
	for _, l := range lines {
		sb.WriteString(l)
		sb.WriteByte('\n')
	}
	for i := len(lines); i < room; i++ {
		sb.WriteByte('\n')
	}
	for i, l := range foot {
		sb.WriteString(fit(l, w))
		if i < len(foot)-1 {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// bodyRoom is the number of body lines a frame of height h shows.
func bodyRoom(h int, footer string) int {
	if h <= 0 {
		h = 24
	}
	return max(1, h-2-len(strings.Split(strings.TrimRight(footer, "\n"), "\n")))
}

// wrapLines splits body into lines of at most w cells.
func wrapLines(body string, w int) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		if ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		out = append(out, strings.Split(ansi.Wrap(l, w, ""), "\n")...)
	}
	return out
}

func clampOff(off, n, room int) int {
	if off > n-room {
		off = n - room
	}
	return max(off, 0)
}

// atEnd reports whether a body shown from off is read to its last line.
func atEnd(body, footer string, w, h, off int) bool {
	n := len(wrapLines(body, w))
	room := bodyRoom(h, footer)
	return n <= room || clampOff(off, n, room)+room >= n
}

// fit cuts a line (which may hold style sequences) to w cells.
func fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w-1, "") + "…"
}

// keyHint renders "k label" pairs for the footer.
func (st styles) keyHint(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, st.key.Render(pairs[i])+" "+pairs[i+1])
	}
	return strings.Join(parts, "  ")
}

// spinOn advances a spinner while busy; an idle spinner stops ticking.
func spinOn(s *spinner.Model, busy bool, m spinner.TickMsg) tea.Cmd {
	if !busy {
		return nil
	}
	var cmd tea.Cmd
	*s, cmd = s.Update(m)
	return cmd
}
