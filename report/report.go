// Package report builds the printable record of a ceremony from party work
// directories: the plan the officers confirmed, what each party did and
// when, the envelopes it sent and accepted (by digest), the transcript
// words, the results, the software that ran, and lines for the witnesses'
// signatures. An auditor files it; several parties' directories in one
// report show whether their transcripts agree.
//
// A report reads only the non-secret files of a work directory (plan.txt,
// session.txt, progress.txt, log.txt and result/{public,signature}.json and
// result/transcript.txt); it never opens state/, share.age or an identity,
// so it cannot print a secret.
package report

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/buildinfo"
	pluralpkg "github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// Party is what one work directory says about its party's ceremony.
type Party struct {
	Dir    string
	Status *ceremony.Status
	Plan   *plan.Description
	// Steps are the party's joins and steps, in order, from its log.
	Steps []Step
	// Envelopes are the envelopes it sent and accepted, in log order.
	Envelopes []Envelope
	// LogHead is the log's chain head (it differs between parties).
	LogHead [32]byte
	// Receipt, Public and Signature are the results (nil when absent).
	Receipt   *ceremony.Receipt
	Public    *keyshare.Public
	Signature *ceremony.SignatureFile
	// Problems are inconsistencies between this directory's own files,
	// which an auditor must see (a log edited after the result, ...).
	Problems []string

	transcriptHex string // the log's transcript entry
}

// Step is one invocation that changed the work directory.
type Step struct {
	Time time.Time // zero when the log has no time for it
	// What happened, in words ("joined; sent 1 envelope", ...).
	Summary string
}

// Envelope is one envelope sent or accepted.
type Envelope struct {
	Time      time.Time
	Direction string // "sent" or "received"
	// Round is the protocol round; 0 for a confirmation.
	Round int
	// Peer names the other end: "all", or a party as "name (party N)".
	Peer   string
	File   string // sent envelopes: the outbox file name
	Digest string // hex SHA-256 as the log records it
}

// Name is the party's name and slot.
func (p *Party) Name() string { return p.Status.Me.String() }

// Load reads one party's work directory.
func Load(dir string) (*Party, error) {
	st, err := ceremony.ReadStatus(dir)
	if err != nil {
		return nil, err
	}
	desc, err := plan.Describe(st.Plan, [32]byte{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	p := &Party{Dir: dir, Status: st, Plan: desc}
	if err := p.readLog(); err != nil {
		return nil, err
	}
	if err := p.readResults(); err != nil {
		return nil, err
	}
	p.check()
	return p, nil
}

// partyName names slot as "name (party N)" from the plan's roster.
func (p *Party) partyName(slot int) string {
	r := p.Status.Plan.Roster()
	if slot >= 1 && slot <= len(r) {
		return fmt.Sprintf("%s (party %d)", r[slot-1].Name, slot)
	}
	return fmt.Sprintf("party %d", slot)
}

func (p *Party) readLog() error {
	path := filepath.Join(p.Dir, "log.txt")
	data, err := boundedio.ReadFile(path, ceremony.MaxLogSize)
	if err != nil {
		return err
	}
	l, err := ceremony.ParseLog(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	p.LogHead = l.Head()
	var cur *stepAcc
	var at time.Time
	flush := func() {
		if cur != nil {
			p.Steps = append(p.Steps, Step{Time: cur.time, Summary: cur.summary()})
		}
		cur = nil
	}
	for _, e := range l.Entries {
		ev := e.Event()
		if ev.Kind == ceremony.LogTime {
			flush()
			at = ev.Time
			cur = &stepAcc{time: at}
			continue
		}
		if cur == nil {
			cur = &stepAcc{}
		}
		switch ev.Kind {
		case ceremony.LogJoined:
			cur.joined = true
		case ceremony.LogSent:
			cur.sent++
			p.Envelopes = append(p.Envelopes, Envelope{Time: at, Direction: "sent", Round: roundOf(ev.File),
				Peer: p.peerOf(ev.File), File: ev.File, Digest: ev.Digest})
		case ceremony.LogAccepted:
			cur.received++
			cur.rounds = appendUnique(cur.rounds, ev.Round)
			p.Envelopes = append(p.Envelopes, Envelope{Time: at, Direction: "received", Round: ev.Round,
				Peer: p.partyName(ev.From) + " to " + ev.To, Digest: ev.Digest})
		case ceremony.LogConfirmation:
			cur.confirmations++
			p.Envelopes = append(p.Envelopes, Envelope{Time: at, Direction: "received",
				Peer: p.partyName(ev.From), Digest: ev.Digest})
		case ceremony.LogTranscript:
			cur.transcript = ev.Digest
			p.transcriptHex = ev.Digest
		default:
			cur.other = append(cur.other, ev.Text)
		}
	}
	flush()
	return nil
}

// stepAcc accumulates one step's log entries.
type stepAcc struct {
	time                          time.Time
	joined                        bool
	sent, received, confirmations int
	rounds                        []int
	transcript                    string
	other                         []string
}

func (a *stepAcc) summary() string {
	var parts []string
	if a.joined {
		parts = append(parts, "joined the session")
	}
	if a.received > 0 {
		parts = append(parts, fmt.Sprintf("accepted %s of round %s", plural(a.received, "envelope"), joinInts(a.rounds)))
	}
	if a.confirmations > 0 {
		parts = append(parts, "accepted "+plural(a.confirmations, "confirmation"))
	}
	if a.sent > 0 {
		parts = append(parts, "sent "+plural(a.sent, "envelope"))
	}
	if a.transcript != "" {
		parts = append(parts, "transcript agreed, result written")
	}
	parts = append(parts, a.other...)
	if len(parts) == 0 {
		return "(no entries)"
	}
	return strings.Join(parts, "; ")
}

func plural(n int, what string) string {
	return pluralpkg.Count(n, what)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func appendUnique(xs []int, x int) []int {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// roundOf reads the round from an envelope file name (envelope.FileName:
// cs-<session>-<protocol>-rNN-pX-to-Y.age); 0 when it has none.
func roundOf(name string) int {
	for _, f := range strings.Split(strings.TrimSuffix(name, ".age"), "-") {
		if len(f) == 3 && f[0] == 'r' && f[1] >= '0' && f[1] <= '9' && f[2] >= '0' && f[2] <= '9' {
			return int(f[1]-'0')*10 + int(f[2]-'0')
		}
	}
	return 0
}

// peerOf names the recipient of a sent envelope from its file name.
func (p *Party) peerOf(name string) string {
	i := strings.LastIndex(name, "-to-")
	if i < 0 {
		return "?"
	}
	to := strings.TrimSuffix(name[i+len("-to-"):], ".age")
	if to == "all" {
		return "all"
	}
	var slot int
	if _, err := fmt.Sscanf(to, "p%d", &slot); err == nil {
		return p.partyName(slot)
	}
	return to
}

// readResults takes the results ReadStatus read and checked (public.json,
// or signature.json verified against the plan's key) and reads the
// receipt for the transcript words and the log head. share.age is never
// opened.
func (p *Party) readResults() error {
	st := p.Status
	if st.State != ceremony.StateFinished {
		return nil
	}
	if st.ResultErr != nil {
		p.Problems = append(p.Problems, "the result files cannot be used: "+st.ResultErr.Error())
	}
	if r := st.Result; r != nil {
		p.Public, p.Signature = r.Public, r.Signature
	}
	path := filepath.Join(p.Dir, "result", "transcript.txt")
	data, err := boundedio.ReadFile(path, ceremony.MaxResultFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		p.Receipt, err = ceremony.ParseReceipt(data)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// check compares the directory's own records with each other.
func (p *Party) check() {
	pl := p.Status.Plan
	fp := p.Plan.Fingerprint
	if p.Status.State == ceremony.StateFinished && p.Receipt == nil {
		p.Problems = append(p.Problems, "finished, but result/transcript.txt is missing")
	}
	if rc := p.Receipt; rc != nil {
		if rc.Session != pl.Session {
			p.Problems = append(p.Problems, "the receipt's session is not the plan's")
		}
		if rc.Plan != fp {
			p.Problems = append(p.Problems, "the receipt's plan fingerprint is not plan.txt's")
		}
		if rc.LogHead != p.LogHead {
			p.Problems = append(p.Problems, "log.txt does not end where the receipt says (log-head): the log was changed after the result")
		}
		if identity.DigestWords(rc.Transcript) != rc.TranscriptWords {
			p.Problems = append(p.Problems, "the receipt's transcript words do not match its transcript digest")
		}
		if logged := p.transcriptHex; logged != hex.EncodeToString(rc.Transcript[:]) {
			p.Problems = append(p.Problems, "the transcript in log.txt differs from the receipt's")
		}
	}
	session := hex.EncodeToString(pl.Session[:])
	if pub := p.Public; pub != nil && p.Receipt != nil {
		if pub.Session != session {
			p.Problems = append(p.Problems, "public.json's session is not the plan's")
		}
		if pub.Transcript != hex.EncodeToString(p.Receipt.Transcript[:]) {
			p.Problems = append(p.Problems, "public.json's transcript is not the receipt's")
		}
	}
	if sig := p.Signature; sig != nil && p.Receipt != nil {
		if sig.Session != session {
			p.Problems = append(p.Problems, "signature.json's session is not the plan's")
		}
		if sig.Transcript != hex.EncodeToString(p.Receipt.Transcript[:]) {
			p.Problems = append(p.Problems, "signature.json's transcript is not the receipt's")
		}
	}
}

// Result is the party's result in one line: the public key, or the
// signature, as the other parties must have it too.
func (p *Party) Result() string {
	switch {
	case p.Public != nil:
		return "public key " + p.Public.PublicKey
	case p.Signature != nil && p.Signature.Signature != "":
		return "signature " + p.Signature.Signature
	case p.Signature != nil:
		return "signature r " + p.Signature.R + " s " + p.Signature.S
	}
	return ""
}

// Report is the record of one ceremony from one or more parties' views.
type Report struct {
	Parties   []*Party
	Build     buildinfo.Info
	Generated time.Time
	Agreement Agreement
}

// Agreement says whether several parties' records describe one ceremony
// with one outcome.
type Agreement struct {
	// Compared is false for a single party (nothing to compare).
	Compared bool
	Agree    bool
	// Problems says what differs, in words.
	Problems []string
}

// New builds a report from loaded parties (at least one).
func New(parties []*Party, build buildinfo.Info, generated time.Time) (*Report, error) {
	if len(parties) == 0 {
		return nil, errors.New("a report needs at least one work directory")
	}
	r := &Report{Parties: parties, Build: build, Generated: generated.UTC()}
	r.Agreement = compare(parties)
	return r, nil
}

func compare(ps []*Party) Agreement {
	a := Agreement{Compared: len(ps) > 1, Agree: true}
	if !a.Compared {
		return a
	}
	first := ps[0]
	fp := first.Plan.Fingerprint
	seen := map[string]string{}
	for _, p := range ps {
		key := fmt.Sprintf("%d/%s", p.Status.Me.Slot, p.Status.Role)
		if d, ok := seen[key]; ok {
			a.Problems = append(a.Problems, fmt.Sprintf("%s and %s are the same party (%s)", d, p.Dir, p.Name()))
		}
		seen[key] = p.Dir
		if p.Plan.Fingerprint != fp {
			a.Problems = append(a.Problems, fmt.Sprintf("%s holds another plan than %s", p.Name(), first.Name()))
			continue
		}
		if p.Status.State != ceremony.StateFinished {
			a.Problems = append(a.Problems, fmt.Sprintf("%s is %s, not finished: nothing to compare", p.Name(), p.Status.State))
			continue
		}
		if len(p.Problems) > 0 {
			a.Problems = append(a.Problems, fmt.Sprintf("%s's records are inconsistent (see its section)", p.Name()))
		}
	}
	var ref *Party
	for _, p := range ps {
		if p.Receipt == nil || p.Plan.Fingerprint != fp {
			continue
		}
		if ref == nil {
			ref = p
			continue
		}
		if p.Receipt.Transcript != ref.Receipt.Transcript {
			a.Problems = append(a.Problems, fmt.Sprintf("TRANSCRIPTS DIFFER: %s has %s, %s has %s",
				p.Name(), p.Receipt.TranscriptWords, ref.Name(), ref.Receipt.TranscriptWords))
		}
		if p.Result() != ref.Result() {
			a.Problems = append(a.Problems, fmt.Sprintf("RESULTS DIFFER: %s and %s", p.Name(), ref.Name()))
		}
	}
	a.Agree = len(a.Problems) == 0
	return a
}
