package ceremony

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/coldsig/coldsig/internal/textrec"
)

// logTime is the text of the entry that dates the entries after it: one
// per join or step that changed the work dir, from the laptop's clock
// (which the runbooks check against a reference before a ceremony). Times
// are for the human record only; nothing in the protocol depends on them.
func logTime(t time.Time) string { return "time " + t.UTC().Format(time.RFC3339) }

// Log event kinds, from the entry texts the engine writes (docs/format.md,
// "Log").
const (
	LogTime         = "time"
	LogJoined       = "joined"
	LogSent         = "sent"
	LogAccepted     = "accepted"
	LogConfirmation = "confirmation"
	LogTranscript   = "transcript"
	LogOther        = "other"
)

// LogEvent is one log entry, interpreted. Fields not meaningful for the
// kind are zero. An entry the reader does not understand is LogOther with
// its text, so a newer engine's entries still show.
type LogEvent struct {
	Kind   string
	Text   string
	Time   time.Time // LogTime
	Round  int       // LogAccepted
	From   int       // LogAccepted, LogConfirmation: sender slot
	To     string    // LogAccepted: "all" or "party N"
	File   string    // LogSent: outbox file name
	Digest string    // LogSent, LogAccepted, LogConfirmation: envelope digest; LogTranscript: transcript digest (hex)
}

// Event interprets the entry's text.
func (e LogEntry) Event() LogEvent {
	ev := LogEvent{Kind: LogOther, Text: e.Text}
	f := strings.Fields(e.Text)
	isHex := func(s string) bool { b, err := hex.DecodeString(s); return err == nil && len(b) == 32 }
	switch {
	case len(f) == 2 && f[0] == "time":
		if t, err := time.Parse(time.RFC3339, f[1]); err == nil {
			ev.Kind, ev.Time = LogTime, t
		}
	case len(f) >= 1 && f[0] == "joined":
		ev.Kind = LogJoined
	case len(f) == 4 && f[0] == "sent" && f[2] == "digest" && isHex(f[3]):
		ev.Kind, ev.File, ev.Digest = LogSent, f[1], f[3]
	case len(f) == 7 && f[0] == "accepted" && f[1] == "confirmation" && f[3] == "party" && f[5] == "digest" && isHex(f[6]):
		if from, err := strconv.Atoi(f[4]); err == nil {
			ev.Kind, ev.From, ev.Digest = LogConfirmation, from, f[6]
		}
	case len(f) >= 9 && f[0] == "accepted" && f[1] == "round" && f[3] == "from" && f[4] == "party" && f[6] == "to" &&
		f[len(f)-2] == "digest" && isHex(f[len(f)-1]):
		round, err1 := strconv.Atoi(f[2])
		from, err2 := strconv.Atoi(f[5])
		if err1 == nil && err2 == nil {
			ev.Kind, ev.Round, ev.From, ev.Digest = LogAccepted, round, from, f[len(f)-1]
			ev.To = strings.Join(f[7:len(f)-2], " ")
		}
	case len(f) == 2 && f[0] == "transcript" && isHex(f[1]):
		ev.Kind, ev.Digest = LogTranscript, f[1]
	}
	return ev
}

// Receipt is result/transcript.txt: what a finished party agreed on.
type Receipt struct {
	Session         [32]byte
	Plan            [32]byte // plan fingerprint
	Transcript      [32]byte
	TranscriptWords string
	LogHead         [32]byte // this party's own log chain head
}

// ParseReceipt decodes result/transcript.txt.
func ParseReceipt(data []byte) (*Receipt, error) {
	rec, err := textrec.Parse(data, receiptMagic)
	if err != nil {
		return nil, err
	}
	r := rec.Reader()
	var rc Receipt
	copy(rc.Session[:], r.Hex("session", 32))
	copy(rc.Plan[:], r.Hex("plan", 32))
	copy(rc.Transcript[:], r.Hex("transcript", 32))
	wf := r.Field("transcript-words")
	copy(rc.LogHead[:], r.Hex("log-head", 32))
	if err := r.Done(); err != nil {
		return nil, err
	}
	rc.TranscriptWords = wf.Value
	return &rc, nil
}
