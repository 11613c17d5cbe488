package ceremony

import (
	"fmt"

	"github.com/coldsig/coldsig/internal/termsafe"
)

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

// String renders the event for a terminal. Path may be a file name chosen
// by whoever wrote to the stick, so it is escaped (termsafe.Path); Detail is
// composed by coldsig with any untrusted name in it already escaped.
func (e Event) String() string {
	switch e.Kind {
	case EventWrote:
		return fmt.Sprintf("wrote %s", termsafe.Path(e.Path))
	case EventSkipped:
		return fmt.Sprintf("skipped %s: %s", termsafe.Path(e.Path), e.Detail)
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
