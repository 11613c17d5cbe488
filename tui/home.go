package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/internal/termsafe"
)

// homeScreen lists the officer's tasks. Each leads through a guided flow
// to the same engine call the matching CLI command makes.
type homeScreen struct {
	base
	cursor int
	note   string
}

type task struct {
	label string
	cli   string // the CLI command beneath, shown so officers learn it
	open  func(a *App) screen
}

func tasks() []task {
	return []task{
		{"Create my identity", "coldsig identity new", func(a *App) screen { return newCreateIdentity() }},
		{"Read my card's words", "coldsig identity show", func(a *App) screen { return a.needIdentity(func() screen { return newCardScreen() }) }},
		{"Generate pre-parameters (secp256k1, ahead of time)", "coldsig preparams", func(a *App) screen { return a.needIdentity(func() screen { return newPreparams() }) }},
		{"Join a keygen, signing or reshare from a plan file", "coldsig join", func(a *App) screen { return a.needIdentity(func() screen { return newJoin(a) }) }},
		{"Resume a ceremony found under a folder", "coldsig status / step", func(a *App) screen { return a.needIdentity(func() screen { return newResume(a) }) }},
		{"Show envelopes as animated QR (send)", "coldsig qr encode", func(a *App) screen { return newQRSendPick(a) }},
		{"Receive a file from QR frames", "coldsig qr decode", func(a *App) screen { return newQRReceive(a) }},
		{"Backup: split my share among custodians", "coldsig backup split", func(a *App) screen { return a.needIdentity(func() screen { return newBackupSplit(a) }) }},
		{"Backup: verify shards", "coldsig backup verify", func(a *App) screen { return newBackupVerify(a) }},
		{"Backup: restore a share from shards", "coldsig backup restore", func(a *App) screen { return newBackupRestore(a) }},
		{"Disaster-recovery drill", "coldsig drill restore", func(a *App) screen { return newDrill(a) }},
	}
}

// TaskCommands lists, for each home task, the coldsig command whose engine
// call it makes (help that lists the tasks is checked against it).
func TaskCommands() []string {
	var out []string
	for _, t := range tasks() {
		out = append(out, t.cli)
	}
	return out
}

func newHome() *homeScreen { return &homeScreen{} }

func (h *homeScreen) init(a *App) tea.Cmd { return nil }

func (h *homeScreen) update(a *App, msg tea.Msg) tea.Cmd {
	ts := tasks()
	switch m := msg.(type) {
	case noteMsg:
		h.note = string(m)
	case tea.KeyPressMsg:
		switch m.String() {
		case "up", "k":
			h.cursor = (h.cursor + len(ts) - 1) % len(ts)
		case "down", "j", "tab":
			h.cursor = (h.cursor + 1) % len(ts)
		case "enter", " ":
			h.note = ""
			return push(ts[h.cursor].open(a))
		default:
			// Digits 1-9 and letters a-c for the rest choose a task
			// directly.
			if i := shortcutIndex(m.String()); i >= 0 && i < len(ts) {
				h.cursor, h.note = i, ""
				return push(ts[i].open(a))
			}
		}
	}
	return nil
}

const shortcuts = "123456789abc"

func shortcutIndex(k string) int {
	if len(k) != 1 {
		return -1
	}
	return strings.Index(shortcuts, k)
}

func (h *homeScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	who := "no identity unlocked yet"
	if id := a.sess.id; id != nil {
		who = fmt.Sprintf("you are %s, unlocked for this session\ncard words  %s", termsafe.String(id.Name), a.st.words.Render(id.Card().FingerprintWords()))
	} else if a.sess.idPath != "" {
		who = "identity " + termsafe.Path(a.sess.idPath) + " (locked; unlocked when a task needs it)"
	}
	b.WriteString(who + "\n")
	if a.sess.warn != "" {
		b.WriteString(a.st.warn.Render("! "+a.sess.warn) + "\n")
	}
	b.WriteString("\n")
	for i, t := range tasks() {
		mark := "  "
		label := t.label
		if i == h.cursor {
			mark = "› "
			label = a.st.sel.Render(label)
		}
		fmt.Fprintf(&b, "%s%c  %s\n", mark, shortcuts[i], label)
	}
	b.WriteString("\n" + a.st.dim.Render("beneath: "+tasks()[h.cursor].cli) + "\n")
	if h.note != "" {
		b.WriteString("\n" + h.note + "\n")
	}
	return "home", b.String(), a.st.keyHint("↑/↓", "choose", "enter", "open", "?", "keys", "q", "quit")
}

func (h *homeScreen) help() []string {
	return []string{"↑/↓ j/k", "move", "enter", "open the task", "1-9, a-c", "open a task directly"}
}
