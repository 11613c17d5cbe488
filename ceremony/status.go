package ceremony

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/plan"
)

const progressMagic = "coldsig/progress/v1"

// maxProgressSize bounds progress.txt (two short fields).
const maxProgressSize = 4 << 10

// progressRecord records, in the clear, where the party stands, so that
// status needs no passphrase. It holds nothing the plan does not already
// say publicly.
func progressRecord(s *session, phase int) ([]byte, error) {
	w := textrec.NewWriter(progressMagic)
	w.Uint("slot", uint64(s.me))
	w.Uint("phase", uint64(phase))
	return w.Bytes()
}

// State is where a party's ceremony stands.
type State string

// States, as status prints them (and status --json writes them).
const (
	// StateRunning: the protocol runs; Next and NextFrom say what is needed.
	StateRunning State = "running"
	// StateConfirming: the protocol is done and the party waits for every
	// party's confirmation before the result is released.
	StateConfirming State = "confirming"
	// StateFinished: the result was written.
	StateFinished State = "finished"
	// StateAborted: the state is destroyed; Reason and Culprit say why.
	StateAborted State = "aborted"
)

// Ended reports whether nothing more can happen in the work dir.
func (s State) Ended() bool { return s == StateFinished || s == StateAborted }

// Status describes a work dir without needing the identity.
type Status struct {
	WorkDir string
	Plan    *plan.Plan
	Me      Party
	Role    Role
	State   State
	Step    uint64
	// Next is the round whose envelopes are needed next (0: confirmations),
	// NextFrom who sends them.
	Next     int
	NextFrom []Party
	// Round and Rounds count, for officers, the sets of envelopes this
	// party receives: it waits for the Round-th of Rounds, the
	// confirmations being the last. (Next is tss-lib's round number, which
	// skips numbers for some reshare roles.) Zero once the session ended.
	Round, Rounds int
	// Reason and Culprit explain an abort.
	Reason  string
	Culprit string
	// Results are the result files of a finished ceremony, and Result
	// what they say (nil if they could not be read: ResultErr says why).
	Results   []string
	Result    *Result
	ResultErr error
	// Outbox lists the envelope files waiting in DIR/outbox.
	Outbox []string
	// Problem, when set, is what is wrong with a running ceremony's work
	// dir, found without the identity: the last step was committed but
	// not completed (run step again), or the state is older than the log
	// (rolled back: never step with it). Next and NextFrom are then not
	// what the officer must do, and are left empty.
	Problem string
}

// ReadStatus reports on a work dir. It reads only non-secret files.
func ReadStatus(dir string) (*Status, error) {
	p, err := plan.Load(filepath.Join(dir, planFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: not a coldsig work directory (no %s)", dir, planFile)
		}
		return nil, err
	}
	ss, err := statestore.ReadStatus(dir)
	if err != nil {
		return nil, err
	}
	r, err := newRoster(p)
	if err != nil {
		return nil, err
	}
	slot := ss.Binding.Party
	if slot < 1 || slot > len(r.cards) {
		return nil, fmt.Errorf("%s: session record names party %d, the plan has %d", dir, slot, len(r.cards))
	}
	st := &Status{WorkDir: dir, Plan: p, Role: r.role(slot), Step: ss.Step,
		Me: Party{Slot: slot, Name: r.cards[slot-1].Name}}
	switch ss.Status {
	case statestore.StatusAborted:
		st.State, st.Reason, st.Culprit = StateAborted, ss.Reason, ss.Culprit
		return st, nil
	case statestore.StatusFinished:
		st.State = StateFinished
		for _, n := range ss.Results {
			st.Results = append(st.Results, filepath.Join(dir, "result", n))
		}
		st.Result, st.ResultErr = ReadResult(dir, p)
		return st, nil
	}
	ph, err := phases(p.Curve, p.Protocol, st.Role)
	if err != nil {
		return nil, err
	}
	phase := 0
	data, err := boundedio.ReadFile(filepath.Join(dir, progressFile), maxProgressSize)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		rec, err := textrec.Parse(data, progressMagic)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, progressFile), err)
		}
		rd := rec.Reader()
		rd.Uint("slot")
		phase = int(rd.Uint("phase"))
		if err := rd.Done(); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, progressFile), err)
		}
	}
	committee := FromAll
	st.State = StateRunning
	st.Round, st.Rounds = min(phase, len(ph))+1, len(ph)+1
	if phase >= len(ph) {
		st.State = StateConfirming
	} else {
		st.Next, committee = ph[phase].Round, ph[phase].From
	}
	for _, s := range r.committee(committee, slot) {
		st.NextFrom = append(st.NextFrom, Party{Slot: s, Name: r.cards[s-1].Name})
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "outbox"))
	for _, e := range entries {
		// A temporary file is an envelope a killed step never put in
		// place: not to be handed on (the next step removes it).
		if !atomicfile.IsTemp(e.Name()) {
			st.Outbox = append(st.Outbox, filepath.Join(dir, "outbox", e.Name()))
		}
	}
	st.Problem = progressProblem(dir, ss.Step, phase)
	if st.Problem != "" {
		st.Next, st.NextFrom = 0, nil
	}
	return st, nil
}

// progressProblem compares, without any key, the newest step file (step),
// the progress record (a party at step k+1 has taken phase k) and the
// log's last "committed step" entry. See logbind.go for why they must
// agree.
func progressProblem(dir string, step uint64, phase int) string {
	logged := uint64(0)
	if data, err := boundedio.ReadFile(filepath.Join(dir, logFile), MaxLogSize); err == nil {
		if l, err := ParseLog(data); err == nil {
			logged, _ = l.lastCommitted()
		}
	}
	switch {
	case step == 0:
		return ""
	case logged > step:
		return fmt.Sprintf("the state is at step %d but the log records step %d as committed: the state was rolled back; never run step with it: put back the newest state, or abort the session", step, logged)
	case step > uint64(phase)+1 || (logged > 0 && logged < step):
		return fmt.Sprintf("step %d was committed but not completed (a full disk or a read-only work dir?): run 'coldsig step' again; it completes the step without recomputing anything", step)
	}
	return ""
}

// Abort destroys the party's state for good; a retry needs a new plan (a
// new session id), because this party's secrets for the session are gone.
func Abort(dir, reason string) error {
	if reason == "" {
		reason = "aborted by the officer"
	}
	l, err := lockWorkDir(dir, nil)
	if err != nil {
		return err
	}
	defer l.Close()
	err = statestore.AbortDir(dir, reason, "")
	var ce *statestore.CommittedError
	if errors.As(err, &ce) {
		// The end is recorded, the state not yet destroyed: exit 5, not
		// 1 (nothing changed); abort again finishes it.
		return afterCommit(ce.Step, err)
	}
	return err
}
