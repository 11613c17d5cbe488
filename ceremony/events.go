package ceremony

import "fmt"

// EventKind classifies progress reports.
type EventKind int

const (
	// EventInfo is a plain progress line.
	EventInfo EventKind = iota
	// EventAccepted: an inbound envelope passed every check.
	EventAccepted
	// EventSkipped: a file in the inbox was not for this step (another
	// party, session or round); Detail says why. Not an error.
	EventSkipped
	// EventComputing: tss-lib is computing the next round (may take
	// seconds for ECDSA keygen and resharing).
	EventComputing
	// EventWrote: an output file was written; Path names it.
	EventWrote
	// EventWarning: something the officer should read.
	EventWarning
)

// Event is one progress report. The CLI prints them; the TUI renders them.
type Event struct {
	Kind   EventKind
	Round  int
	Slot   int    // the party concerned, if any
	Path   string // the file concerned, if any
	Detail string
}

func (e Event) String() string {
	switch e.Kind {
	case EventWrote:
		return fmt.Sprintf("wrote %s", e.Path)
	case EventSkipped:
		return fmt.Sprintf("skipped %s: %s", e.Path, e.Detail)
	case EventAccepted:
		return fmt.Sprintf("accepted %s", e.Detail)
	}
	return e.Detail
}

// Observer receives events. It must not block for long: it is called from
// the ceremony goroutine.
type Observer func(Event)

func (o Observer) emit(e Event) {
	if o != nil {
		o(e)
	}
}
