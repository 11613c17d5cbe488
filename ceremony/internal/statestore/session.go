package statestore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/internal/textrec"
)

// SessionMagic is the magic line of DIR/session.txt.
const SessionMagic = "coldsig/state-session/v1"

// Values of Status.Status.
const (
	StatusJoined   = "joined"
	StatusFinished = "finished"
	StatusAborted  = "aborted"
)

const maxText = 1000

// recordText makes an abort reason or culprit storable: reasons embed file
// names from a shared stick, and an abort must never fail because a name
// holds a control character or is longer than the record allows (the
// session would stay live after proof of misbehaviour). Unprintable runes
// are escaped, the text is cut to maxText bytes on a rune boundary, and
// edge spaces are trimmed; see abortReason for an empty one.
func recordText(s string) string {
	s = strings.TrimSpace(termsafe.Line(s))
	if len(s) > maxText {
		const more = "... (cut)"
		cut := maxText - len(more)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut]) + more
	}
	return s
}

// Status is the non-secret record of a party's participation in a session
// (DIR/session.txt), plus the newest step found on disk.
type Status struct {
	Binding Binding
	// Status is StatusJoined, StatusFinished or StatusAborted.
	Status string
	// Step is the last committed step once ended; while joined it is the
	// newest step file name in state/ (0 if none), not verified.
	Step uint64
	// Reason and Culprit are set for aborted sessions (Culprit optional).
	Reason  string
	Culprit string
	// Results are the result file names of a finished session, in result/.
	Results []string
}

// Ended reports whether the session finished or aborted.
func (s *Status) Ended() bool { return s.Status != StatusJoined }

func (s *Status) check() error {
	if err := s.Binding.validate(); err != nil {
		return err
	}
	switch s.Status {
	case StatusJoined:
		if s.Step != 0 || s.Reason != "" || s.Culprit != "" || len(s.Results) != 0 {
			return errors.New("a joined record has no step, reason, culprit or result")
		}
	case StatusFinished:
		if s.Reason != "" || s.Culprit != "" {
			return errors.New("a finished record has no reason or culprit")
		}
		for i, n := range s.Results {
			if err := ValidName(n); err != nil {
				return err
			}
			if i > 0 && s.Results[i-1] >= n {
				return errors.New("result names not strictly ascending")
			}
		}
	case StatusAborted:
		if s.Reason == "" {
			return errors.New("an aborted record needs a reason")
		}
		if len(s.Results) != 0 {
			return errors.New("an aborted record has no results")
		}
		for _, v := range []string{s.Reason, s.Culprit} {
			if len(v) > maxText {
				return fmt.Errorf("text longer than %d bytes", maxText)
			}
		}
	default:
		return fmt.Errorf("unknown status %q", s.Status)
	}
	return nil
}

func (s *Status) encode() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	w := textrec.NewWriter(SessionMagic)
	w.Hex("session", s.Binding.Session[:])
	w.Uint("party", uint64(s.Binding.Party))
	w.String("protocol", s.Binding.Protocol)
	w.String("status", s.Status)
	if s.Ended() {
		w.Uint("step", s.Step)
	}
	if s.Status == StatusAborted {
		w.String("reason", s.Reason)
		if s.Culprit != "" {
			w.String("culprit", s.Culprit)
		}
	}
	for _, n := range s.Results {
		w.String("result", n)
	}
	return w.Bytes()
}

// maxSessionRecord bounds session.txt: a reason and a culprit of at most
// maxText bytes each and a few result names.
const maxSessionRecord = 64 << 10

func parseStatus(data []byte) (*Status, error) {
	if len(data) > maxSessionRecord {
		return nil, fmt.Errorf("session record larger than %d bytes", maxSessionRecord)
	}
	rec, err := textrec.Parse(data, SessionMagic)
	if err != nil {
		return nil, err
	}
	r := rec.Reader()
	s := &Status{}
	copy(s.Binding.Session[:], r.Hex("session", 32))
	s.Binding.Party = r.IntIn("party", 0, maxParty)
	prf := r.Field("protocol")
	if r.Err() == nil {
		if err := validProtocol(prf.Value); err != nil {
			r.Fail(prf, "%v", err)
		}
		s.Binding.Protocol = prf.Value
	}
	stf := r.Field("status")
	s.Status = stf.Value
	if r.Err() == nil {
		switch s.Status {
		case StatusJoined:
		case StatusFinished, StatusAborted:
			s.Step = r.Uint("step")
		default:
			r.Fail(stf, "status: %q is not joined, finished or aborted", s.Status)
		}
	}
	if r.Err() == nil && s.Status == StatusAborted {
		f := r.Field("reason")
		s.Reason = f.Value
		if len(f.Value) > maxText {
			r.Fail(f, "reason: longer than %d bytes", maxText)
		}
		if f, ok := optionalField(r, "culprit"); ok {
			s.Culprit = f.Value
			if len(f.Value) > maxText {
				r.Fail(f, "culprit: longer than %d bytes", maxText)
			}
		}
	}
	if r.Err() == nil && s.Status == StatusFinished {
		for r.Err() == nil && r.Peek() == "result" {
			f := r.Field("result")
			if err := ValidName(f.Value); err != nil {
				r.Fail(f, "result: %v", err)
			} else if n := len(s.Results); n > 0 && s.Results[n-1] >= f.Value {
				r.Fail(f, "result: names not strictly ascending")
			}
			s.Results = append(s.Results, f.Value)
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

func optionalField(r *textrec.Reader, key string) (textrec.Field, bool) {
	if r.Peek() != key {
		return textrec.Field{}, false
	}
	return r.Field(key), true
}

func readSessionRecord(dir string) (*Status, error) {
	path := filepath.Join(dir, sessionFile)
	if err := noSymlink(path); err != nil {
		return nil, err
	}
	data, err := boundedio.ReadFile(path, maxSessionRecord)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", dir, ErrNotJoined)
		}
		return nil, err
	}
	s, err := parseStatus(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadStatus reads a work directory's session record without any key, for
// status displays and the re-join check. While the session is joined,
// Step is the newest step file name present (not verified). It returns an
// error wrapping ErrNotJoined if the directory holds no session record.
func ReadStatus(dir string) (*Status, error) {
	s, err := readSessionRecord(dir)
	if err != nil {
		return nil, err
	}
	if !s.Ended() {
		steps, _, err := listState(filepath.Join(dir, stateDir))
		if err != nil {
			return nil, err
		}
		if len(steps) > 0 {
			s.Step = steps[len(steps)-1]
		}
	}
	s.Results = slices.Clone(s.Results)
	return s, nil
}
