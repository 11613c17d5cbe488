package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"filippo.io/age"

	"github.com/coldsig/coldsig/backup"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/qr"
)

// taskScreen is a form that runs one operation and shows its outcome:
// the backup, drill and QR-receive tasks. Custodian identities named in
// the form are unlocked one by one (each custodian types their own
// passphrase) before the operation runs.
type taskScreen struct {
	base
	title, intro string
	f            form
	// custodianField is the index of a field listing custodians'
	// identity files (-1: none).
	custodianField int
	custodians     []*identity.Identity
	pending        []string
	// work builds the operation from the form; it runs off the UI
	// goroutine and returns the lines to show.
	work    func(a *App, t *taskScreen) (func() ([]string, error), error)
	busy    bool
	spin    spinner.Model
	result  []string
	errText string
}

type (
	taskDoneMsg struct {
		lines []string
		err   error
	}
	custodianMsg struct{ id *identity.Identity }
)

func (t *taskScreen) typing() bool        { return !t.busy && t.result == nil }
func (t *taskScreen) init(a *App) tea.Cmd { return nil }

func (t *taskScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case spinner.TickMsg:
		return spinOn(&t.spin, t.busy, m)
	case custodianMsg:
		t.custodians = append(t.custodians, m.id)
		return t.next(a)
	case taskDoneMsg:
		t.busy, t.custodians = false, nil
		if m.err != nil {
			t.errText = m.err.Error()
			return nil
		}
		t.result = m.lines
		return nil
	case tea.KeyPressMsg:
		if t.busy {
			return nil
		}
		if t.result != nil {
			if m.String() == "esc" || m.String() == "enter" {
				return home("")
			}
			return nil
		}
		if m.String() == "esc" {
			t.custodians = nil
			return pop()
		}
		done, cmd := t.f.update(m)
		if !done {
			return cmd
		}
		t.errText, t.custodians, t.pending = "", nil, nil
		if t.custodianField >= 0 {
			t.pending = strings.Fields(t.f.value(t.custodianField))
		}
		return t.next(a)
	}
	return nil
}

// next unlocks the next custodian, or runs the operation.
func (t *taskScreen) next(a *App) tea.Cmd {
	if len(t.pending) > 0 {
		path := t.pending[0]
		t.pending = t.pending[1:]
		id := t.id()
		return push(newCustodianUnlock(path, func(cid *identity.Identity) tea.Cmd {
			return popTo(id, custodianMsg{cid})
		}))
	}
	run, err := t.work(a, t)
	if err != nil {
		t.errText, t.custodians = err.Error(), nil
		return nil
	}
	t.busy = true
	return tea.Batch(t.spin.Tick, async(t, func() tea.Msg {
		lines, err := run()
		return taskDoneMsg{lines, err}
	}))
}

func (t *taskScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	b.WriteString(t.intro + "\n\n")
	switch {
	case t.result != nil:
		for _, l := range t.result {
			b.WriteString(l + "\n")
		}
	case t.busy:
		b.WriteString(t.spin.View() + " working ...\n")
	default:
		b.WriteString(t.f.view(a.st))
	}
	footer := a.st.keyHint("tab/enter", "next field", "enter", "(last) run", "esc", "back")
	if t.result != nil {
		footer = a.st.keyHint("enter/esc", "home")
	}
	if t.errText != "" {
		footer = a.st.bad.Render("✗ "+termsafe.String(t.errText)) + "\n" + footer
	}
	return t.title, b.String(), footer
}

func (t *taskScreen) help() []string {
	return []string{"tab/enter", "next field", "enter", "on the last field: run", "esc", "back, nothing done"}
}

func newTask(title, intro string, custodianField int, fields ...fieldSpec) *taskScreen {
	return &taskScreen{title: title, intro: intro, f: newForm(fields...), custodianField: custodianField,
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// paths splits a field of space-separated paths; a folder stands for the
// files in it.
func paths(v string) ([]string, error) {
	return listFiles(strings.Fields(v))
}

// readShardFiles reads shard files (a shard, its paper form or a QR page
// text) with their size limit, labelled for the officer.
func readShardFiles(ps []string) ([]backup.File, error) {
	var out []backup.File
	for _, p := range ps {
		data, err := backup.ReadShardFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, backup.File{Label: termsafe.Path(p), Data: data})
	}
	return out, nil
}

func yes(v string) bool { return strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "y") }

// newBackupSplit splits the officer's share among custodians, as 'coldsig
// backup split' does with --custodian cards.
func newBackupSplit(a *App) screen {
	t := newTask("backup: split", "Split your key share into shards for custodians: any K of them restore\nit. Each shard is encrypted to its custodian's card.", -1,
		fieldSpec{label: "Your key share (share.age)", value: a.sess.lastShare},
		fieldSpec{label: "Custodians' cards (space-separated NAME.card files)"},
		fieldSpec{label: "Shards needed to restore (K)", value: "2"},
		fieldSpec{label: "Write the shards into folder (new)", value: filepath.Join(a.opts.Dir, "shards")},
		fieldSpec{label: "Also printable paper forms? (y/n)", value: "y"},
		fieldSpec{label: "Also printable QR pages? (y/n)", value: "n"},
	)
	t.work = func(a *App, t *taskScreen) (func() ([]string, error), error) {
		share, cards, out := t.f.value(0), strings.Fields(t.f.value(1)), t.f.value(3)
		k, err := strconv.Atoi(t.f.value(2))
		if err != nil {
			return nil, fmt.Errorf("K: %q is not a number", t.f.value(2))
		}
		if share == "" || len(cards) < 2 || out == "" {
			return nil, errors.New("give the share, at least two custodians' cards and a folder")
		}
		wo := backup.WriteOptions{Paper: yes(t.f.value(4)), QR: yes(t.f.value(5))}
		owner := a.sess.id
		return func() ([]string, error) {
			var names []string
			var rcpts []age.Recipient
			for _, c := range cards {
				card, err := identity.LoadCard(c)
				if err != nil {
					return nil, err
				}
				names, rcpts = append(names, card.Name), append(rcpts, card.Recipient)
			}
			data, err := keyshare.ReadShareFile(share)
			if err != nil {
				return nil, err
			}
			shards, err := backup.SplitSealed(data, owner, backup.Options{Threshold: k, Custodians: names})
			if errors.Is(err, backup.ErrOpenShare) {
				return nil, fmt.Errorf("%s: %w (the share must be encrypted to your identity)", share, err)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", share, err)
			}
			if err := atomicfile.PrepareDir(out); err != nil {
				return nil, err
			}
			files, err := backup.Write(context.Background(), out, shards, rcpts, wo)
			if err != nil {
				return nil, err
			}
			s := shards[0]
			d, _ := s.ManifestDigest()
			lines := []string{
				fmt.Sprintf("✓ backup %s of key %s, party %d (%s): any %d of %d shards restore it", s.BackupIDHex(), s.KeyID, s.Party, termsafe.String(s.Owner.Name), s.Threshold, s.Shards()),
				"manifest words  " + identity.DigestWords(d), "",
			}
			for i, f := range files {
				lines = append(lines, fmt.Sprintf("  %s  (custodian %s)", termsafe.Path(f.Shard), termsafe.String(names[i])))
			}
			return lines, nil
		}, nil
	}
	return t
}

// newBackupVerify checks shards on their own, as 'coldsig backup verify':
// each custodian unlocks their own shard.
func newBackupVerify(a *App) screen {
	t := newTask("backup: verify", "Check shards one by one (signature, commitment, owner). Each shard opens\nwith its custodian's identity; their passphrases are asked next.", 2,
		fieldSpec{label: "Shard files or a folder (space-separated)"},
		fieldSpec{label: "The key's public.json (optional: checks the shards belong to it)", value: a.sess.lastPublic},
		fieldSpec{label: "Custodians' identity files (space-separated NAME.key)", value: a.sess.idPath},
	)
	t.work = func(a *App, t *taskScreen) (func() ([]string, error), error) {
		ps, err := paths(t.f.value(0))
		if err != nil || len(ps) == 0 {
			return nil, fmt.Errorf("shards: %v", orNone(err))
		}
		pubPath := t.f.value(1)
		keys := custodianKeys(t.custodians)
		return func() ([]string, error) {
			var pub *keyshare.Public
			if pubPath != "" {
				if pub, err = keyshare.LoadPublic(pubPath); err != nil {
					return nil, err
				}
			}
			files, err := readShardFiles(ps)
			if err != nil {
				return nil, err
			}
			cands, rejected, err := keys.Verify(files, pub)
			if err != nil {
				return nil, err
			}
			var lines []string
			for _, c := range cands {
				s := c.Shard
				d, _ := s.ManifestDigest()
				lines = append(lines, fmt.Sprintf("OK    %s: shard %d of %d (any %d restore), custodian %s, manifest %s",
					c.Label, s.Index, s.Shards(), s.Threshold, termsafe.String(s.Custodian()), identity.DigestWords(d)))
			}
			for _, r := range rejected {
				lines = append(lines, fmt.Sprintf("FAIL  %s: %s", r.Label, termsafe.String(r.Err.Error())))
			}
			return lines, nil
		}, nil
	}
	return t
}

func orNone(err error) string {
	if err != nil {
		return err.Error()
	}
	return "none given"
}

func custodianKeys(ids []*identity.Identity) *backup.Keys {
	k := &backup.Keys{}
	for _, id := range ids {
		k.Identities = append(k.Identities, id.X25519)
	}
	return k
}

// newBackupRestore rebuilds a share from K shards, as 'coldsig backup
// restore': written only encrypted, to the card given.
func newBackupRestore(a *App) screen {
	t := newTask("backup: restore", "Rebuild a key share from any K shards. Each custodian unlocks their own\nshard; the share is written encrypted to the card you give.", 4,
		fieldSpec{label: "Shard files or a folder (space-separated)"},
		fieldSpec{label: "The key's public.json (checks the share belongs to it)", value: a.sess.lastPublic},
		fieldSpec{label: "Encrypt the restored share to card", value: strings.TrimSuffix(a.sess.idPath, ".key") + ".card"},
		fieldSpec{label: "Write the restored share to (a new file)", value: filepath.Join(a.opts.Dir, "restored-share.age")},
		fieldSpec{label: "Custodians' identity files (space-separated NAME.key)"},
	)
	t.work = func(a *App, t *taskScreen) (func() ([]string, error), error) {
		ps, err := paths(t.f.value(0))
		if err != nil || len(ps) == 0 {
			return nil, fmt.Errorf("shards: %v", orNone(err))
		}
		pubPath, toPath, out := t.f.value(1), t.f.value(2), t.f.value(3)
		if pubPath == "" {
			return nil, errors.New("give the key's public.json: a restore is checked against the key")
		}
		keys := custodianKeys(t.custodians)
		return func() ([]string, error) {
			pub, err := keyshare.LoadPublic(pubPath)
			if err != nil {
				return nil, err
			}
			to, err := identity.LoadCard(toPath)
			if err != nil {
				return nil, err
			}
			if _, err := os.Lstat(out); err == nil {
				return nil, fmt.Errorf("%s already exists; coldsig never overwrites a file", out)
			}
			files, err := readShardFiles(ps)
			if err != nil {
				return nil, err
			}
			res, err := backup.Restore(files, keys, &backup.CombineOptions{})
			if err != nil {
				return nil, restoreError(err, res)
			}
			defer clear(res.Inner)
			if err := res.Share.Check(pub); err != nil {
				return nil, fmt.Errorf("%s: the restored share does not belong to this key: %w; nothing was written", pubPath, err)
			}
			sealed, err := keyshare.SealInner(res.Inner, to.Recipient)
			if err != nil {
				return nil, err
			}
			if err := atomicfile.Create(out, sealed, 0o600); err != nil {
				return nil, fmt.Errorf("%s: %w", out, err)
			}
			s := res.Share
			return []string{
				fmt.Sprintf("✓ restored party %d (%s) of key %s", s.Index, termsafe.String(s.Name), s.KeyID),
				"  from " + strings.Join(res.Used, ", "),
				fmt.Sprintf("  wrote %s (encrypted to %s, card %s)", termsafe.Path(out), termsafe.String(to.Name), to.FingerprintWords()),
			}, nil
		}, nil
	}
	return t
}

// restoreError adds the shards set aside to a failed restore.
func restoreError(err error, res *backup.Result) error {
	if res == nil || len(res.Rejected) == 0 {
		return err
	}
	var why []string
	for _, r := range res.Rejected {
		why = append(why, fmt.Sprintf("%s: %s", r.Label, r.Err))
	}
	return fmt.Errorf("%w (set aside: %s)", err, strings.Join(why, "; "))
}

// newDrill runs a disaster-recovery drill, as 'coldsig drill restore':
// restore from shards, prove the share belongs to the key, keep nothing.
func newDrill(a *App) screen {
	t := newTask("DR drill", "Restore a share from shards and prove it belongs to the key, without\nsigning and without keeping the share. Each custodian unlocks their shard.", 3,
		fieldSpec{label: "Shard files or a folder (space-separated)"},
		fieldSpec{label: "The key's public.json", value: a.sess.lastPublic},
		fieldSpec{label: "Write the drill record to (optional, a new file)"},
		fieldSpec{label: "Custodians' identity files (space-separated NAME.key)"},
	)
	t.work = func(a *App, t *taskScreen) (func() ([]string, error), error) {
		ps, err := paths(t.f.value(0))
		if err != nil || len(ps) == 0 {
			return nil, fmt.Errorf("shards: %v", orNone(err))
		}
		pubPath, record := t.f.value(1), t.f.value(2)
		if pubPath == "" {
			return nil, errors.New("give the key's public.json")
		}
		keys := custodianKeys(t.custodians)
		return func() ([]string, error) {
			pub, err := keyshare.LoadPublic(pubPath)
			if err != nil {
				return nil, err
			}
			files, err := readShardFiles(ps)
			if err != nil {
				return nil, err
			}
			rec, share, err := backup.Drill(files, keys, pub, time.Now().UTC())
			if err != nil {
				return nil, err
			}
			data, err := rec.Marshal()
			if err != nil {
				return nil, err
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				lines = append(lines, "  "+termsafe.String(l))
			}
			verdict := "✗ FAIL: the backup does not restore a share of this key"
			if share != nil {
				verdict = "✓ PASS: the shards restore a share of this key"
			}
			lines = append([]string{verdict, ""}, lines...)
			if record != "" {
				if err := atomicfile.Create(record, data, 0o644); err != nil {
					return nil, fmt.Errorf("%s: %w", record, err)
				}
				lines = append(lines, "", "wrote the record to "+termsafe.Path(record))
			}
			return lines, nil
		}, nil
	}
	return t
}

// newQRReceive rebuilds a file from QR frames, as 'coldsig qr decode':
// images (PNG, JPEG, every frame of a GIF), folders of them, or text files
// of frames (what 'zbarcam --raw' prints, saved to a file).
func newQRReceive(a *App) screen {
	t := newTask("QR receive", "Rebuild a file from QR frames: photos or screenshots, a GIF, a folder\nof them, or a text file of frames ('zbarcam --raw > frames.txt').", -1,
		fieldSpec{label: "Frames: files or folders (space-separated)"},
		fieldSpec{label: "Write the file to (new; e.g. INBOX/<envelope name>)", hint: "for an envelope, keep the name shown above its code"},
	)
	t.work = func(a *App, t *taskScreen) (func() ([]string, error), error) {
		srcs, out := strings.Fields(t.f.value(0)), t.f.value(1)
		if len(srcs) == 0 || out == "" {
			return nil, errors.New("give the frames and the file to write")
		}
		return func() ([]string, error) {
			if _, err := os.Lstat(out); err == nil {
				return nil, fmt.Errorf("%s already exists; coldsig never overwrites a file", out)
			}
			c := &qr.Collector{}
			var err error
			for _, s := range srcs {
				if err = c.Path(context.Background(), s); err != nil {
					break
				}
			}
			if err != nil && !errors.Is(err, qr.ErrComplete) {
				return nil, err
			}
			d := &c.Decoder
			payload, err := d.Result()
			if errors.Is(err, qr.ErrIncomplete) {
				return nil, fmt.Errorf("%d%% recovered from %d frames (%d skipped, %d of another file): show the remaining frames and run again with all of them",
					int(d.Progress()*100), d.Frames(), c.Skipped(), c.Others())
			}
			if err != nil {
				return nil, err
			}
			if err := atomicfile.Create(out, payload, 0o600); err != nil {
				return nil, fmt.Errorf("%s: %w", out, err)
			}
			return []string{fmt.Sprintf("✓ wrote %s (%d bytes) from %d frames", termsafe.Path(out), len(payload), d.Frames())}, nil
		}, nil
	}
	return t
}
