package tui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// listFiles expands paths like an inbox (a directory gives its regular
// files, one level) for the QR send screen.
func listFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// filesSig fingerprints files by name, size and modification time, so the
// ceremony screen steps again only when the inbox changed (a file still
// being copied changes size).
func filesSig(files []string) string {
	h := sha256.New()
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(h, "%s\x00%d\x00%d\n", f, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// copyFiles copies files into dir without ever replacing a file: one that
// is already there with the same bytes counts as copied (the officer
// pressed c twice), one with other bytes is refused.
func copyFiles(files []string, dir string) (copied, same int, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, 0, err
	}
	if !fi.IsDir() {
		return 0, 0, fmt.Errorf("%s: not a folder", dir)
	}
	for _, f := range files {
		data, err := boundedio.ReadFile(f, envelope.MaxEnvelopeSize)
		if err != nil {
			return copied, same, err
		}
		dst := filepath.Join(dir, filepath.Base(f))
		err = atomicfile.Create(dst, data, 0o644)
		if errors.Is(err, atomicfile.ErrExists) {
			old, rerr := boundedio.ReadFile(dst, envelope.MaxEnvelopeSize)
			if rerr == nil && bytes.Equal(old, data) {
				same++
				continue
			}
			return copied, same, fmt.Errorf("%s: another file of that name is already there; not overwritten", dst)
		}
		if err != nil {
			return copied, same, err
		}
		copied++
	}
	return copied, same, nil
}

// copyToScreen asks for the folder to copy the outbox to (the mounted
// stick; the inbox by default, since the stick is usually both).
type copyToScreen struct {
	base
	owner *ceremonyScreen
	f     form
}

func newCopyTo(c *ceremonyScreen, a *App) *copyToScreen {
	def := ""
	if len(c.inbox) > 0 {
		def = c.inbox[0]
	}
	return &copyToScreen{owner: c, f: newForm(fieldSpec{label: "Copy the outbox envelopes to folder", value: def,
		hint: "e.g. the mounted stick; files already there with the same bytes are left as they are"})}
}

func (s *copyToScreen) typing() bool        { return true }
func (s *copyToScreen) init(a *App) tea.Cmd { return nil }

func (s *copyToScreen) update(a *App, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		return pop()
	}
	done, cmd := s.f.update(msg)
	if !done {
		return cmd
	}
	dir := s.f.value(0)
	if dir == "" {
		return nil
	}
	owner := s.owner
	return popTo(owner.id(), copyToMsg(dir))
}

func (c *ceremonyScreen) copyOutbox(dir string) tea.Cmd {
	if c.status == nil {
		return nil
	}
	files := append([]string(nil), c.status.Outbox...)
	return async(c, func() tea.Msg {
		n, same, err := copyFiles(files, dir)
		if err != nil {
			return copiedMsg{err: err}
		}
		return copiedMsg{note: fmt.Sprintf("copied %s to %s (%d already there)", plural.Count(n, "envelope"), termsafe.Path(dir), same)}
	})
}

func (s *copyToScreen) view(a *App) (string, string, string) {
	return "copy outbox", s.f.view(a.st), a.st.keyHint("enter", "copy", "esc", "back")
}

func (s *copyToScreen) help() []string { return []string{"enter", "copy", "esc", "back"} }
