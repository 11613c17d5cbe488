package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/plan"
)

// ceremonyScreen shows one party's ceremony and drives it: it watches the
// inbox and runs ceremony.Step as soon as something new is there
// (auto-step), or when the officer presses s. Step itself decides whether
// the needed envelopes are all present; when some are missing it changes
// nothing and names who, which this screen shows.
type ceremonyScreen struct {
	base
	workdir string
	inbox   []string
	auto    bool
	spin    spinner.Model

	status    *ceremony.Status
	desc      *plan.Description
	statusErr error
	// inboxSig is what the inbox looked like at the last step attempt;
	// a step is tried again only when it changes (or on s).
	inboxSig  string
	inboxN    int
	inboxErr  error
	report    *ceremony.InboxReport
	stepping  bool
	stepStart time.Time
	now       time.Time
	// again asks for one more step after a step that advanced: the next
	// round's envelopes may be in the inbox already.
	again bool

	// Outcome of the last step.
	last      *ceremony.Report
	accepted  []string
	skipped   int
	warnings  []string
	waiting   *ceremony.WaitingError
	aborted   *ceremony.AbortedError
	lastErr   error
	lastWhen  time.Time
	copyNote  string
	joinNote  string
	announced bool
}

// Messages of the ceremony screen.
type (
	statusMsg struct {
		st   *ceremony.Status
		desc *plan.Description
		err  error
	}
	scanMsg struct {
		sig    string
		files  []string
		report *ceremony.InboxReport
		err    error
	}
	stepMsg struct {
		rep    *ceremony.Report
		err    error
		events []ceremony.Event
	}
	tickMsg   time.Time
	copiedMsg struct {
		note string
		err  error
	}
)

func newCeremony(workdir string, inbox []string, auto bool) *ceremonyScreen {
	return &ceremonyScreen{workdir: workdir, inbox: inbox, auto: auto,
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

func (c *ceremonyScreen) init(a *App) tea.Cmd {
	if len(c.inbox) == 0 && a.sess.inbox != "" {
		c.inbox = []string{a.sess.inbox}
	}
	cmds := []tea.Cmd{c.tick(a)}
	if c.status == nil {
		cmds = append(cmds, c.readStatus(a))
	}
	return tea.Batch(cmds...)
}

func (c *ceremonyScreen) readStatus(a *App) tea.Cmd {
	dir := c.workdir
	var me [32]byte
	if a.sess.id != nil {
		me = a.sess.id.Card().Fingerprint()
	}
	return async(c, func() tea.Msg {
		st, err := ceremony.ReadStatus(dir)
		if err != nil {
			return statusMsg{err: err}
		}
		d, err := plan.Describe(st.Plan, me)
		return statusMsg{st, d, err}
	})
}

func (c *ceremonyScreen) tick(a *App) tea.Cmd {
	id := c.id()
	return tea.Tick(a.opts.Poll, func(t time.Time) tea.Msg { return toMsg{id, tickMsg(t)} })
}

// scan looks at the inbox without the identity (ceremony.InspectInbox:
// envelope names only) and fingerprints what is there.
func (c *ceremonyScreen) scan() tea.Cmd {
	paths, dir := c.inbox, c.workdir
	return async(c, func() tea.Msg {
		rep, err := ceremony.InspectInbox(dir, paths)
		if err != nil {
			return scanMsg{err: err}
		}
		return scanMsg{sig: filesSig(rep.Files), files: rep.Files, report: rep}
	})
}

func (c *ceremonyScreen) step(a *App, files []string) tea.Cmd {
	c.stepping, c.stepStart = true, c.now
	dir, id, ledger := c.workdir, a.sess.id, ceremony.LedgerPath(a.sess.idPath)
	return tea.Batch(c.spin.Tick, async(c, func() tea.Msg {
		var events []ceremony.Event
		rep, err := ceremony.Step(context.Background(), ceremony.StepOptions{
			Options: ceremony.Options{WorkDir: dir, Identity: id, Observe: func(e ceremony.Event) {
				events = append(events, e)
			}},
			Inbox:  files,
			Ledger: ledger,
		})
		return stepMsg{rep: rep, err: err, events: events}
	}))
}

func (c *ceremonyScreen) ended() bool {
	return c.status != nil && c.status.State.Ended()
}

func (c *ceremonyScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case tickMsg:
		c.now = time.Time(m)
		if c.ended() {
			return nil
		}
		return tea.Batch(c.tick(a), c.scan())
	case spinner.TickMsg:
		return spinOn(&c.spin, c.stepping, m)
	case statusMsg:
		c.status, c.desc, c.statusErr = m.st, m.desc, m.err
		if m.st != nil {
			// Offer this ceremony's results as the defaults of the next
			// one (a signing right after the keygen).
			for _, r := range m.st.Results {
				switch filepath.Base(r) {
				case "share.age":
					a.sess.lastShare = r
				case "public.json":
					a.sess.lastPublic = r
				}
			}
		}
		if c.ended() && !c.announced {
			c.announced = true
			return func() tea.Msg { return farewellMsg(c.farewell()) }
		}
		if m.err == nil && !c.ended() {
			return tea.Batch(func() tea.Msg { return farewellMsg(c.farewell()) }, c.scan())
		}
		return nil
	case scanMsg:
		c.inboxErr = m.err
		c.inboxN = len(m.files)
		if m.report != nil {
			c.report = m.report
		}
		if m.err != nil || c.stepping || c.status == nil || c.ended() || a.sess.id == nil {
			return nil
		}
		// Auto-step when the inbox changed and, going by the envelope
		// names, every needed envelope may be there; s (again) steps
		// regardless, and Step itself checks everything.
		changed := m.sig != c.inboxSig
		if c.again || (c.auto && changed && (m.report == nil || m.report.Ready())) {
			c.inboxSig, c.again = m.sig, false
			return c.step(a, m.files)
		}
		return nil
	case forceStepMsg:
		c.again = true
		return c.scan()
	case stepMsg:
		c.stepping = false
		c.lastWhen = c.now
		c.record(m)
		return c.readStatus(a)
	case copiedMsg:
		if m.err != nil {
			c.copyNote = a.st.bad.Render("✗ copy failed: " + m.err.Error())
		} else {
			c.copyNote = a.st.ok.Render("✓ " + m.note)
		}
		return nil
	case copyToMsg:
		return c.copyOutbox(string(m))
	case resumedMsg:
		return c.readStatus(a)
	case tea.KeyPressMsg:
		switch m.String() {
		case "a":
			c.auto = !c.auto
			if c.auto {
				c.inboxSig = "" // look again now
				return c.scan()
			}
		case "s":
			if !c.stepping && !c.ended() {
				return func() tea.Msg { return toMsg{c.id(), forceStepMsg{}} }
			}
		case "r":
			c.inboxSig = ""
			return tea.Batch(c.readStatus(a), c.scan())
		case "c":
			if c.status != nil && len(c.status.Outbox) > 0 {
				return push(newCopyTo(c, a))
			}
		case "g":
			if c.status != nil && len(c.status.Outbox) > 0 {
				return push(newQRShow(c.status.Outbox))
			}
		case "esc", "h":
			return home(c.homeNote())
		}
	}
	return nil
}

type (
	forceStepMsg struct{}
	copyToMsg    string
)

// record keeps the outcome of a step for the screen.
func (c *ceremonyScreen) record(m stepMsg) {
	c.last, c.waiting, c.aborted, c.lastErr = m.rep, nil, nil, nil
	c.accepted, c.warnings, c.skipped = nil, nil, 0
	for _, e := range m.events {
		switch e.Kind {
		case ceremony.EventAccepted:
			c.accepted = append(c.accepted, termsafe.String(e.Detail))
		case ceremony.EventSkipped:
			c.skipped++
		case ceremony.EventWarning:
			c.warnings = append(c.warnings, termsafe.String(e.Detail))
		}
	}
	var we *ceremony.WaitingError
	var ae *ceremony.AbortedError
	switch {
	case m.err == nil:
		if !m.rep.Finished {
			c.again = true
		}
	case errors.As(m.err, &we):
		c.waiting = we
	case errors.As(m.err, &ae):
		c.aborted = ae
	case errors.Is(m.err, ceremony.ErrEnded):
	default:
		c.lastErr = m.err
	}
}

func (c *ceremonyScreen) homeNote() string {
	if c.status == nil {
		return ""
	}
	return fmt.Sprintf("left the ceremony in %s (%s); the state is safe, resume it any time", termsafe.Path(c.workdir), c.status.State)
}

// farewell is printed after the TUI ends: where the ceremony stands.
func (c *ceremonyScreen) farewell() string {
	st := c.status
	if st == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "coldsig: %s: %s %s, %s\n", termsafe.Path(c.workdir), st.Plan.Curve, st.Plan.Protocol, st.State)
	switch st.State {
	case ceremony.StateFinished:
		for _, l := range resultLines(st) {
			b.WriteString("coldsig: " + l + "\n")
		}
	case ceremony.StateAborted:
	default:
		fmt.Fprintf(&b, "coldsig: the state is safe; resume with: coldsig tui --workdir %s --identity KEY --inbox PATH\n", c.workdir)
	}
	return b.String()
}

func (c *ceremonyScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	st := c.status
	if st == nil {
		if c.statusErr != nil {
			b.WriteString(a.st.bad.Render("✗ "+c.statusErr.Error()) + "\n")
		} else {
			b.WriteString("reading " + termsafe.Path(c.workdir) + " ...\n")
		}
		return "ceremony", b.String(), a.st.keyHint("esc", "home", "q", "quit")
	}
	d := c.desc
	fmt.Fprintf(&b, "%s %s  %s  you: %s, %s\n", d.Curve, d.Protocol, tOfN(d), termsafe.String(st.Me.String()), st.Role)
	fmt.Fprintf(&b, "plan words  %s\n", a.st.words.Render(d.Words))
	inbox := termsafe.Path(strings.Join(c.inbox, ", "))
	if !c.ended() {
		inbox += fmt.Sprintf(" (%d files)", c.inboxN)
	}
	fmt.Fprintf(&b, "work dir    %s   inbox %s\n", termsafe.Path(c.workdir), inbox)
	b.WriteString("\n")
	switch st.State {
	case ceremony.StateFinished:
		b.WriteString(a.st.ok.Render("✓ FINISHED") + "\n")
		for _, l := range resultLines(st) {
			b.WriteString("  " + l + "\n")
		}
		b.WriteString("\nRead the transcript words aloud: every officer must see the same.\n")
		return "ceremony finished", b.String(), a.st.keyHint("esc", "home", "q", "quit")
	case ceremony.StateAborted:
		b.WriteString(a.st.bad.Render("✗ ABORTED: "+termsafe.String(st.Reason)) + "\n")
		if st.Culprit != "" {
			b.WriteString("  culprit: " + termsafe.String(st.Culprit) + "\n")
		}
		b.WriteString("\nThe state is destroyed; a retry needs a new plan. Keep every envelope\nas evidence and ask the culprit's officer what happened.\n")
		return "ceremony aborted", b.String(), a.st.keyHint("esc", "home", "q", "quit")
	}
	fmt.Fprintf(&b, "%s\n", a.st.title.Render(roundLabel(st)))
	c.partiesView(a, &b)
	if n := len(st.Outbox); n > 0 {
		fmt.Fprintf(&b, "\noutbox: %s to carry to the others (c copy, g QR):\n", plural.Count(n, "envelope"))
		for i, o := range st.Outbox {
			if i == 3 && n > 4 {
				fmt.Fprintf(&b, "  … and %d more in %s\n", n-3, termsafe.Path(filepath.Join(c.workdir, "outbox")))
				break
			}
			b.WriteString("  " + termsafe.Path(filepath.Base(o)) + "\n")
		}
	}
	if c.copyNote != "" {
		b.WriteString(c.copyNote + "\n")
	}
	if c.joinNote != "" {
		b.WriteString(a.st.dim.Render(c.joinNote) + "\n")
	}
	b.WriteString("\n" + c.outcomeView(a))
	auto := "auto-step ON: steps when the envelopes arrive"
	if !c.auto {
		auto = "auto-step OFF: s steps"
	}
	footer := a.st.dim.Render(auto+" · quitting is safe at any moment") + "\n" +
		a.st.keyHint("s", "step", "a", "auto", "r", "rescan", "c", "copy", "g", "QR", "?", "keys", "q", "quit")
	return "ceremony", b.String(), footer
}

// partiesView says, for the round the party waits for, who has sent and
// who is missing, as the last step found in the inbox.
func (c *ceremonyScreen) partiesView(a *App, b *strings.Builder) {
	st := c.status
	missing := map[int]bool{}
	known := false
	// What the inbox holds by envelope names, for this round...
	if r := c.report; r != nil && r.Status != nil && r.Status.State == st.State && r.Status.Next == st.Next {
		known = true
		for _, p := range r.Missing {
			missing[p.Slot] = true
		}
	}
	// ... and who the last step found missing, which checked them.
	if c.waiting != nil && (c.waiting.Round == st.Next || (c.waiting.Round == 0 && st.State == ceremony.StateConfirming)) {
		known = true
		for _, p := range c.waiting.Missing {
			missing[p.Slot] = true
		}
	}
	for _, p := range st.NextFrom {
		mark := "…  not looked yet"
		switch {
		case c.stepping:
			mark = "…  checking"
		case known && missing[p.Slot]:
			mark = a.st.warn.Render("MISSING")
		case known:
			mark = a.st.ok.Render("received")
		}
		fmt.Fprintf(b, "  %-28s %s\n", termsafe.String(p.String()), mark)
	}
}

func (c *ceremonyScreen) outcomeView(a *App) string {
	var b strings.Builder
	switch {
	case c.stepping:
		el := c.now.Sub(c.stepStart).Round(time.Second)
		if el < 0 {
			el = 0
		}
		fmt.Fprintf(&b, "%s checking envelopes and computing the next round (%s) ...\n", c.spin.View(), el)
	case c.aborted != nil:
		b.WriteString(a.st.bad.Render("✗ "+c.aborted.Error()) + "\n")
	case c.lastErr != nil:
		b.WriteString(a.st.bad.Render("✗ step refused: "+termsafe.String(c.lastErr.Error())) + "\n")
		b.WriteString("  nothing was changed; fix the inbox (or wait) and it is tried again\n")
	case c.waiting != nil:
		var names []string
		for _, p := range c.waiting.Missing {
			names = append(names, termsafe.String(p.Name))
		}
		fmt.Fprintf(&b, "waiting for %s; nothing was changed\n", strings.Join(names, ", "))
	case c.last != nil:
		if c.last.Replayed {
			b.WriteString("this step was already taken; its envelopes were written again unchanged\n")
		} else {
			fmt.Fprintf(&b, "%s stepped: accepted %s, wrote %d\n", a.st.ok.Render("✓"), plural.Count(len(c.accepted), "envelope"), len(c.last.Outbox))
		}
	case c.auto:
		b.WriteString("looking at the inbox ...\n")
	default:
		b.WriteString("press s to step with what is in the inbox\n")
	}
	for _, w := range c.warnings {
		b.WriteString(a.st.warn.Render("! "+w) + "\n")
	}
	if c.inboxErr != nil {
		b.WriteString(a.st.bad.Render("✗ inbox: "+termsafe.String(c.inboxErr.Error())) + "\n")
	}
	return b.String()
}

func (c *ceremonyScreen) help() []string {
	return []string{
		"s", "step now with what is in the inbox",
		"a", "auto-step on/off (on: step as soon as the inbox changes)",
		"r", "rescan the inbox and the work dir",
		"c", "copy the outbox envelopes to a folder (the stick)",
		"g", "show the outbox envelopes as animated QR codes",
		"esc", "back home (the ceremony stays where it is)",
	}
}
