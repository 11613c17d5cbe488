package ceremony

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/internal/boundedio"
)

// InboxReport says what an inbox seems to hold for a party, from envelope
// file names and the work dir's plaintext files only: no identity, no
// passphrase. It is advisory. Names are not authenticated (anyone can name
// a file anything), so a caller uses it to say "waiting for X" without
// unlocking the identity, and unlocks only when there may be something to
// do; Step then runs every real check.
type InboxReport struct {
	// Status is the work dir's status (state, round needed, from whom).
	Status *Status
	// Round is the envelope header round needed now (for confirmations:
	// the confirmation round); 0 when the ceremony has ended.
	Round int
	// Paths describes each inbox path given, and Files lists every regular
	// file found (directories one level deep), sorted: what Step reads.
	Paths []InboxPath
	Files []string
	// Present are the expected senders with an envelope for this round
	// addressed to this party or to all; Missing the others.
	Present, Missing []Party
	// Counts of other envelope names found: of other sessions, of rounds
	// this party already took, of later rounds, addressed to other
	// parties, and sent by this party itself.
	OtherSession, Taken, Later, NotForMe, Own int
	// Unnamed are .age files whose names are not envelope names (a share,
	// a backup shard, a renamed envelope): only decrypting them can tell,
	// and Ready does not count them unless the officer named the file
	// itself with --inbox FILE (Named).
	Unnamed []string
	// Named is set when an Unnamed file was given as an --inbox path of
	// its own: the officer asked for that file, so the step opens it.
	Named bool
	// Ignored are files Step never reads (hidden names, names not ending
	// in .age: a plan, a GIF, an editor's backup).
	Ignored []string
	// OutboxIncomplete is set when an envelope this party sent (per its
	// log) is missing from or differs in its outbox: a step with the
	// identity rewrites it.
	OutboxIncomplete bool
}

// InboxPath is one --inbox argument.
type InboxPath struct {
	Path string
	// Missing: nothing at the path (an unmounted stick, a typo).
	Missing bool
	// Dir: a directory, searched one level deep; Subdirs are its
	// subdirectories, which are not searched.
	Dir     bool
	Subdirs []string
	// Files is the number of regular files considered.
	Files int
}

// Ready reports whether a step with the identity may do something: every
// expected sender seems present, or the outbox needs rewriting. Unnamed
// files do not count: a key share or backup shard on the stick is one, and
// would make every officer unlock for nothing; a renamed envelope must get
// its name back (the waiting message says so), or be given as a path of
// its own.
func (r *InboxReport) Ready() bool {
	if r.Status.State.Ended() {
		return false
	}
	return len(r.Missing) == 0 || r.OutboxIncomplete || r.Named
}

// MissingPaths returns the inbox paths that do not exist.
func (r *InboxReport) MissingPaths() []string {
	var out []string
	for _, p := range r.Paths {
		if p.Missing {
			out = append(out, p.Path)
		}
	}
	return out
}

// InspectInbox looks at the inbox paths for the party of work dir dir.
// Directories are read one level deep, as Step reads them.
func InspectInbox(dir string, inbox []string) (*InboxReport, error) {
	st, err := ReadStatus(dir)
	if err != nil {
		return nil, err
	}
	r := &InboxReport{Status: st}
	files, err := r.listInbox(inbox)
	if err != nil {
		return nil, err
	}
	r.Files = files
	explicit := map[string]bool{}
	for _, ip := range r.Paths {
		if !ip.Missing && !ip.Dir {
			explicit[ip.Path] = true
		}
	}
	if st.State.Ended() {
		return r, nil
	}
	p := st.Plan
	ph, err := phases(p.Curve, p.Protocol, st.Role)
	if err != nil {
		return nil, err
	}
	r.Round = st.Next
	if st.State == StateConfirming {
		r.Round = ph[len(ph)-1].Round + 1
	}
	flow := flowName(p.Curve, p.Protocol)
	var prefix [4]byte
	copy(prefix[:], p.Session[:4])
	me := st.Me.Slot
	present := map[int]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".age") {
			r.Ignored = append(r.Ignored, f)
			continue
		}
		info, ok := envelope.ParseFileName(name)
		switch {
		case !ok:
			r.Unnamed = append(r.Unnamed, f)
			r.Named = r.Named || explicit[f]
		case info.SessionPrefix != prefix || info.Protocol != flow:
			r.OtherSession++
		case info.From == me:
			r.Own++
		case info.To != envelope.ToAll && info.To != me:
			r.NotForMe++
		case info.Round < r.Round:
			r.Taken++
		case info.Round > r.Round:
			r.Later++
		default:
			present[info.From] = true
		}
	}
	for _, party := range st.NextFrom {
		if present[party.Slot] {
			r.Present = append(r.Present, party)
		} else {
			r.Missing = append(r.Missing, party)
		}
	}
	r.OutboxIncomplete = outboxIncomplete(dir)
	return r, nil
}

func (r *InboxReport) listInbox(inbox []string) ([]string, error) {
	var files []string
	for _, p := range inbox {
		ip := InboxPath{Path: p}
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ip.Missing = true
		case err != nil:
			return nil, fmt.Errorf("inbox: %w", err)
		case !fi.IsDir():
			ip.Files = 1
			files = append(files, p)
		default:
			ip.Dir = true
			entries, err := os.ReadDir(p)
			if err != nil {
				return nil, fmt.Errorf("inbox: %w", err)
			}
			for _, e := range entries {
				switch {
				case e.IsDir():
					ip.Subdirs = append(ip.Subdirs, filepath.Join(p, e.Name()))
				case e.Type().IsRegular():
					ip.Files++
					files = append(files, filepath.Join(p, e.Name()))
				}
			}
		}
		r.Paths = append(r.Paths, ip)
	}
	sort.Strings(files)
	return files, nil
}

// outboxIncomplete compares the envelopes the log says this party sent
// with the outbox. Any doubt (no log, an unreadable one) says incomplete,
// which only means that the identity is unlocked and Step decides.
func outboxIncomplete(dir string) bool {
	data, err := boundedio.ReadFile(filepath.Join(dir, logFile), MaxLogSize)
	if err != nil {
		return true
	}
	l, err := ParseLog(data)
	if err != nil {
		return true
	}
	for _, e := range l.Entries {
		var name string
		var digest []byte
		if _, err := fmt.Sscanf(e.Text, "sent %s digest %x", &name, &digest); err != nil {
			continue
		}
		if filepath.Base(name) != name {
			return true
		}
		got, err := boundedio.ReadFile(filepath.Join(dir, "outbox", name), envelope.MaxEnvelopeSize)
		if err != nil {
			return true
		}
		sum := sha256.Sum256(got)
		if !bytes.Equal(sum[:], digest) {
			return true
		}
	}
	return false
}
