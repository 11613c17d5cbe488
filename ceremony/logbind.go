package ceremony

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/envelope"
)

// The state (encrypted, authenticated, in DIR/state/) and the log
// (DIR/log.txt, plain) are written by every step, in this order: the new
// state is committed, then the log gets the step's lines, the last of which
// is "committed step N". Each state records the log head those lines give
// (partyState.LogHead) and the lines themselves. So at the start of every
// step, with S the state's step and L the last step the log says was
// committed:
//
//   - L == S and the heads agree: the normal case;
//   - L == S-1 and the log plus the state's lines gives the recorded head:
//     a crash (or a full disk) came between the commit and the log write;
//     the log is completed and the step goes on;
//   - L > S: the state is older than what the log says was committed and
//     sent. The state directory was rolled back (copied back, restored from
//     a backup). Stepping would compute a round already sent again, with
//     new randomness: a second, different message for one round, which
//     leaks signing nonces. Refused, and the hint never says to recompute;
//   - anything else: the log is not the one this state wrote (truncated,
//     edited, replaced or deleted). Refused.
//
// The outbox is checked too (statestore.CheckOutbox): an envelope of this
// party that the state never made is the same proof of a rollback, even
// when the log was rolled back with the state.

// ErrRolledBack means the state is older than what this party already
// committed and sent.
var ErrRolledBack = errors.New("the state was rolled back")

// ErrLogMismatch means log.txt is not the log this state wrote.
var ErrLogMismatch = errors.New("log.txt does not match the state")

// IncompleteError means an operation committed a step (the state
// advanced) but could not finish what comes after (writing the outbox,
// the log, the progress record). Running the same command again finishes
// it without recomputing anything: the committed envelopes are written
// again byte for byte and the log is completed from the state.
type IncompleteError struct {
	Step uint64
	Err  error
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("step %d is committed but not complete: %v", e.Step, e.Err)
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// afterCommit words an error that happened after the commit point.
func afterCommit(step uint64, err error) error {
	if err == nil {
		return nil
	}
	var ce *statestore.CommittedError
	if errors.As(err, &ce) {
		return &IncompleteError{Step: ce.Step, Err: ce.Err}
	}
	return &IncompleteError{Step: step, Err: err}
}

const committedPrefix = "committed step "

// lastCommitted is the highest step the log says was committed (0 if
// none); the markers must count up from 1 without gaps.
func (l *Log) lastCommitted() (uint64, error) {
	var last uint64
	for _, e := range l.Entries {
		rest, ok := strings.CutPrefix(e.Text, committedPrefix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || strconv.FormatUint(n, 10) != rest || n != last+1 {
			return 0, fmt.Errorf("%w: entry %q out of sequence", ErrLogMismatch, e.Text)
		}
		last = n
	}
	return last, nil
}

func (l *Log) clone() *Log {
	return &Log{Entries: append([]LogEntry(nil), l.Entries...)}
}

// bindLog appends a step's lines and the commit marker for step to a copy
// of log, and records the result in st before st is committed. The caller
// writes the returned log after the commit.
func bindLog(st *partyState, log *Log, step uint64, lines []string) *Log {
	lines = append(lines, committedPrefix+strconv.FormatUint(step, 10))
	next := log.clone()
	for _, l := range lines {
		next.Append(l)
	}
	st.LogHead, st.LogLines = next.Head(), lines
	return next
}

// checkLog holds log against the state at store.Step() (see above) and
// returns the log to continue with. A log completed after an interrupted
// step is written back (and reported); if that write fails the step stays
// incomplete.
func (s *session) checkLog(store *statestore.Store, st *partyState, log *Log) (*Log, error) {
	if st.LogHead == ([32]byte{}) {
		// A state written before logs were bound: nothing to hold it to.
		return log, nil
	}
	path := filepath.Join(s.dir, logFile)
	S := store.Step()
	L, err := log.lastCommitted()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case L == S && log.Head() == st.LogHead:
		return log, nil
	case L > S:
		return nil, fmt.Errorf("%s: %w: the state is at step %d, but %s records step %d as committed (and its envelopes as sent); the state directory was replaced by an older copy. Running step with it would compute a round again and send a second, different message for a round already sent, which can leak the key. Put back the newest state (step %d) if you still have it; otherwise abort the session ('coldsig abort --workdir %s') and start again with a new plan",
			s.dir, ErrRolledBack, S, logFile, L, L, s.dir)
	case L+1 == S:
		repaired := log.clone()
		for _, l := range st.LogLines {
			repaired.Append(l)
		}
		if repaired.Head() != st.LogHead {
			break
		}
		if err := s.writeMeta(repaired, st.Phase); err != nil {
			return nil, afterCommit(S, fmt.Errorf("completing %s: %w", path, err))
		}
		s.obs.emit(Event{Kind: EventWarning, Detail: fmt.Sprintf("%s lacked the entries of step %d (an interrupted or failed write); completed from the state", path, S)})
		return repaired, nil
	}
	return nil, fmt.Errorf("%s: %w: the state is at step %d and records the log as it was then, but the log records step %d (it was truncated, edited, replaced or deleted). The log is this party's record of what it sent; put back the original log.txt, or abort the session ('coldsig abort --workdir %s')",
		path, ErrLogMismatch, S, L, s.dir)
}

// checkOutbox refuses an outbox holding an envelope of this party for
// this session that the state never made (see statestore.CheckOutbox).
func (s *session) checkOutbox(store *statestore.Store) error {
	err := store.CheckOutbox(func(name string) bool {
		info, ok := envelope.ParseFileName(name)
		return ok && info.From == s.me && info.Protocol == s.flow && [4]byte(s.plan.Session[:4]) == info.SessionPrefix
	})
	if errors.Is(err, statestore.ErrOutboxAhead) {
		return fmt.Errorf("%w: %w; the state directory was replaced by an older copy, or the file was written by another copy of this work directory. Running step would compute a round again and could send a second, different message for a round already sent. Put back the newest state if you still have it; otherwise abort the session ('coldsig abort --workdir %s')", ErrRolledBack, err, s.dir)
	}
	return err
}
