package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/envelope"
	pluralpkg "github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/internal/termsafe"
)

func init() { register(newStepCommand) }

type stepOptions struct {
	identity string
	workdir  string
	inbox    []string
	qr       string
	verbose  bool
	pass     passphraseFlags
}

func newStepCommand() *cobra.Command {
	opts := &stepOptions{}
	cmd := &cobra.Command{
		Use:   "step --workdir DIR --identity KEY --inbox PATH",
		Short: "Advance this party by one round with the envelopes found in PATH",
		Long: `Advance this party's ceremony by one round.

Before it asks for the passphrase, step says what PATH seems to hold from
the file names alone (envelopes there for this round and from whom, your
own, rounds already taken, other sessions, files that are not envelopes,
subfolders, which are not searched) and, if someone's envelope is missing,
stops there (exit status 3) without unlocking anything. Files that are not
envelopes and envelopes of other rounds are counted on one line; --verbose
names each. An .age file without an envelope name is opened only when the
step runs anyway, or when you name that file itself with --inbox FILE: one
encrypted to you that is not an envelope (a key share
or backup shard) is named and skipped; move it off the stick.

step then looks through PATH (a directory, for example a USB stick shared by
many parties, rounds and sessions, or single envelope files; --inbox may be
repeated) for exactly the envelopes this party needs now, checks them
(signature, session, round, the protocol checks tss-lib lacks), runs the
round and writes the next envelopes to DIR/outbox/.

If envelopes are missing, nothing changes and step names the parties whose
envelopes for which round are missing (exit status 3). Running step again
after it succeeded recomputes nothing: it waits for the next round, and
writes the envelopes it already made to DIR/outbox again if they went
missing, byte for byte. A different envelope for a round already taken is
refused and aborts the session, because using it would re-run the round
with other inputs and reuse signing nonces.

When the protocol ends, every party sends a confirmation; the step that
has all confirmations writes the result to DIR/result/ (public.json and
share.age, or signature.json) and destroys the state. Compare the printed
transcript words with the other officers. step on a finished ceremony
changes nothing, says where the results are and exits 0, so a script may
run step until it stops returning 3.

--qr DIR also writes each new envelope as an animated QR GIF,
DIR/<envelope>.gif (5 fps, looping; every frame decoded and checked before
it is written; an identical existing GIF is kept, another is never
overwritten). Show it on a screen; the receiving officer runs
'coldsig qr decode FRAMES -o INBOX/<envelope>' (the name without .gif).
A step that waits writes in DIR the GIFs of the envelopes this party sent
last where they are missing, so that a --qr failure after a committed step
(exit status 5) is completed by running the same command again.

EXAMPLES
  coldsig step --workdir alice-kg --identity alice.key --inbox /media/stick
  coldsig step --workdir alice-kg --identity alice.key --inbox inbox --qr alice-qr
  # bob, filming alice-qr/cs-1a2b3c4d-eddsa-keygen-r02-p1-to-p2.age.gif on alice's screen:
  zbarcam --raw | coldsig qr decode -o inbox/cs-1a2b3c4d-eddsa-keygen-r02-p1-to-p2.age

EXIT STATUS
  0 advanced, finished, or already finished (nothing to do);
  3 waiting for envelopes, nothing changed;
  4 the session is aborted (culprit named); 5 the step was committed but
  not completed (disk full, read-only work dir, a --qr failure after the
  step): fix it and run step again, which completes it without
  recomputing; 1 other errors, nothing changed; 2 bad usage.`,
		Args: exactArgs(0, "no arguments (use --inbox)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runStep(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.workdir, "workdir", "", "this party's work `DIR`")
	f.StringVar(&opts.identity, "identity", "", "this party's secret identity `KEY` file")
	f.StringArrayVar(&opts.inbox, "inbox", nil, "directory or envelope `PATH` to take envelopes from (repeatable)")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "name every inbox file not used, and why")
	addQROutFlag(f, &opts.qr)
	opts.pass.addFlags(f)
	return cmd
}

func runStep(cmd *cobra.Command, opts *stepOptions) error {
	if err := requireFlags(cmd, "workdir", "identity", "inbox"); err != nil {
		return err
	}
	if err := checkQROutDir(opts.qr); err != nil {
		return err
	}
	// Look before unlocking: the names on the stick and the plaintext plan
	// say whether there is anything to do, so an officer is not asked for
	// a passphrase (and does not wait for scrypt) to learn that bob's
	// envelope is not there yet. Only Step's checks are binding.
	in, err := ceremony.InspectInbox(opts.workdir, opts.inbox)
	if err != nil {
		return err
	}
	e := getEnv(cmd)
	if in.Status.State == ceremony.StateFinished {
		fmt.Fprintf(e.stderr, "coldsig: %s: ceremony already finished; nothing to do; the results are in %s\n",
			termsafe.Path(opts.workdir), termsafe.Path(filepath.Join(opts.workdir, "result")))
		return nil
	}
	if in.Status.State.Ended() {
		return statusEndError(in.Status)
	}
	if missing := in.MissingPaths(); len(missing) > 0 {
		return withHint(fmt.Errorf("inbox %s: nothing there", termsafe.Path(missing[0])),
			"is the stick mounted, and is this its path? ('ls "+termsafe.Path(missing[0])+"'); nothing was changed")
	}
	printInbox(e.stderr, in, opts.verbose)
	if !in.Ready() {
		return waitingQR(cmd, opts, in, &ceremony.WaitingError{Round: in.Status.Next, Missing: in.Missing})
	}
	id, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	rep, err := ceremony.Step(cmd.Context(), ceremony.StepOptions{
		Options: ceremony.Options{WorkDir: opts.workdir, Identity: id, Observe: observer(cmd, opts.verbose)},
		Inbox:   in.Files,
		Ledger:  ceremony.LedgerPath(opts.identity),
	})
	if err != nil {
		var we *ceremony.WaitingError
		if errors.As(err, &we) {
			return waitingQR(cmd, opts, in, err)
		}
		return stepError(err, in, opts.workdir)
	}
	printReport(e.stdout, rep)
	return writeOutboxQR(cmd, opts.qr, rep)
}

// waitingQR completes a --qr output a committed step could not finish
// (exit 5: "run the same command again") before saying that step waits:
// the GIFs of the envelopes this party sent last are made where they are
// missing (identical ones are kept, other files never replaced).
func waitingQR(cmd *cobra.Command, opts *stepOptions, in *ceremony.InboxReport, waiting error) error {
	if dir := opts.qr; dir != "" {
		if last := envelope.LastRound(in.Status.Outbox); len(last) > 0 {
			if err := writeOutboxQR(cmd, dir, &ceremony.Report{Outbox: last}); err != nil {
				return err
			}
		}
	}
	return stepError(waiting, in, opts.workdir)
}

// printInbox says what the inbox seems to hold, before anything is
// unlocked: one line per inbox directory, one for the envelopes needed
// now, and one summary each for envelopes not needed now, files that are
// not envelopes and .age files without an envelope name (verbose: those
// files one by one).
func printInbox(w io.Writer, in *ceremony.InboxReport, verbose bool) {
	for _, p := range in.Paths {
		if !p.Dir {
			continue
		}
		line := fmt.Sprintf("coldsig: inbox %s: %s", termsafe.Path(p.Path), plural(p.Files, "file"))
		if n := len(p.Subdirs); n > 0 {
			var names []string
			for _, d := range p.Subdirs {
				names = append(names, termsafe.Path(filepath.Base(d)))
			}
			line += fmt.Sprintf("; %s not searched: %s", plural(n, "subfolder"), strings.Join(names, ", "))
		}
		fmt.Fprintln(w, line)
	}
	what := fmt.Sprintf("round %d", in.Status.Next)
	if in.Status.State == ceremony.StateConfirming {
		what = "confirmation"
	}
	if len(in.Present) > 0 {
		fmt.Fprintf(w, "coldsig: %s envelopes there from %s\n", what, partyList(in.Present))
	}
	var other []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{in.Own, "sent by you"},
		{in.Taken, "of rounds you already took"},
		{in.Later, "of later rounds"},
		{in.NotForMe, "for other parties"},
		{in.OtherSession, "of other sessions"},
	} {
		if c.n > 0 {
			other = append(other, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(w, "coldsig: also there (not needed now): %s\n", strings.Join(other, ", "))
	}
	if n := len(in.Ignored); n > 0 {
		what := "files that are not envelopes"
		if n == 1 {
			what = "file that is not an envelope"
		}
		fmt.Fprintf(w, "coldsig: ignored %d %s (envelope names end in .age)%s\n", n, what, namesFollow(verbose))
		if verbose {
			for _, f := range in.Ignored {
				fmt.Fprintf(w, "coldsig:   ignored %s\n", termsafe.Path(f))
			}
		}
	}
	if n := len(in.Unnamed); n > 0 {
		when := "opened by the step"
		if !in.Ready() {
			when = "not opened while envelopes are missing"
		}
		fmt.Fprintf(w, "coldsig: %s without an envelope name (%s)%s\n", plural(n, ".age file"), when, namesFollow(verbose))
		if verbose {
			for _, f := range in.Unnamed {
				fmt.Fprintf(w, "coldsig:   unnamed %s\n", termsafe.Path(f))
			}
		}
	}
}

func namesFollow(verbose bool) string {
	if verbose {
		return ":"
	}
	return " (--verbose names them)"
}

// plural says "1 file", "2 files".
func plural(n int, noun string) string { return pluralpkg.Count(n, noun) }

func partyList(ps []ceremony.Party) string {
	var s []string
	for _, p := range ps {
		s = append(s, termsafe.String(p.String()))
	}
	return strings.Join(s, ", ")
}

func stepError(err error, in *ceremony.InboxReport, workdir string) error {
	var we *ceremony.WaitingError
	var ae *ceremony.AbortedError
	switch {
	case errors.As(err, &we):
		hint := "copy their envelopes into the inbox and run step again; nothing was changed"
		switch {
		case in != nil && in.Own > 0 && len(in.Present) == 0 && isOwnOutbox(in, workdir):
			hint = "this inbox is your own outbox, which holds only the envelopes you sent; give the stick or folder with the other parties' envelopes; nothing was changed"
		case in != nil && hasSubdirs(in):
			hint = "subfolders are not searched: give each with its own --inbox if the envelopes are there; nothing was changed"
		case in != nil && len(in.Unnamed) > 0:
			hint = "copy their envelopes into the inbox and run step again; if one of the .age files without an envelope name is a renamed envelope, give it back its name ('coldsig envelope inspect FILE' shows it); nothing was changed"
		}
		return withCode(withHint(waitingText(we), hint), exitWaiting)
	case errors.As(err, &ae):
		hint := "the state is destroyed; a retry needs a new plan ('coldsig plan ...'), and the culprit's officer must be asked what happened"
		if ae.Equivocation {
			hint = "the culprit signed two different envelopes for one round: if its officer joined this plan twice (two work dirs), that is the honest cause; either way the session cannot go on: a new plan is needed, and every envelope of this session is evidence"
		}
		return withCode(withHint(err, hint), exitAborted)
	}
	return err
}

// waitingText words a WaitingError for the "coldsig: waiting:" line.
func waitingText(we *ceremony.WaitingError) error {
	what := fmt.Sprintf("round %d", we.Round)
	if we.Round == 0 {
		what = "confirmation"
	}
	return fmt.Errorf("%s envelopes missing from %s", what, partyList(we.Missing))
}

// isOwnOutbox reports whether an inbox path is the work dir's outbox.
func isOwnOutbox(in *ceremony.InboxReport, workdir string) bool {
	out, err := os.Stat(filepath.Join(workdir, "outbox"))
	if err != nil {
		return false
	}
	for _, p := range in.Paths {
		if fi, err := os.Stat(p.Path); err == nil && os.SameFile(fi, out) {
			return true
		}
	}
	return false
}

func hasSubdirs(in *ceremony.InboxReport) bool {
	for _, p := range in.Paths {
		if len(p.Subdirs) > 0 {
			return true
		}
	}
	return false
}

func statusEndError(st *ceremony.Status) error {
	if st.State == ceremony.StateAborted {
		msg := fmt.Sprintf("%s: session aborted: %s", st.WorkDir, st.Reason)
		if st.Culprit != "" {
			msg += "; culprit: " + st.Culprit
		}
		return withCode(withHint(errors.New(msg), "a retry needs a new plan"), exitAborted)
	}
	return withHint(fmt.Errorf("%s: ceremony already finished", st.WorkDir), "the results are in "+filepath.Join(st.WorkDir, "result"))
}
