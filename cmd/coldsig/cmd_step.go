package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
)

func init() { register(newStepCommand) }

type stepOptions struct {
	identity string
	workdir  string
	inbox    []string
	qr       string
	pass     passphraseFlags
}

func newStepCommand() *cobra.Command {
	opts := &stepOptions{}
	cmd := &cobra.Command{
		Use:   "step --workdir DIR --identity KEY --inbox PATH",
		Short: "Advance this party by one round with the envelopes found in PATH",
		Long: `Advance this party's ceremony by one round.

step looks through PATH (a directory, for example a USB stick shared by
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
transcript words with the other officers.

--qr DIR also writes each new envelope as an animated QR GIF,
DIR/<envelope>.gif (5 fps, looping; every frame decoded and checked before
it is written; an identical existing GIF is kept, another is never
overwritten). Show it on a screen; the receiving officer runs
'coldsig qr decode FRAMES -o INBOX/<envelope>' (the name without .gif).

EXAMPLES
  coldsig step --workdir alice-kg --identity alice.key --inbox /media/stick
  coldsig step --workdir alice-kg --identity alice.key --inbox inbox --qr alice-qr
  # bob, filming alice-qr/cs-1a2b3c4d-eddsa-keygen-r02-p1-to-p2.age.gif on alice's screen:
  zbarcam --raw | coldsig qr decode -o inbox/cs-1a2b3c4d-eddsa-keygen-r02-p1-to-p2.age

EXIT STATUS
  0 advanced (or finished); 3 waiting for envelopes, nothing changed;
  4 the session is aborted (culprit named); 1 other errors, nothing changed
  (a --qr failure after the step: the step is committed); 2 bad usage.`,
		Args: exactArgs(0, "no arguments (use --inbox)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runStep(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.workdir, "workdir", "", "this party's work `DIR`")
	f.StringVar(&opts.identity, "identity", "", "this party's secret identity `KEY` file")
	f.StringArrayVar(&opts.inbox, "inbox", nil, "directory or envelope `PATH` to take envelopes from (repeatable)")
	addQROutFlag(f, &opts.qr)
	opts.pass.addFlags(f)
	return cmd
}

func runStep(cmd *cobra.Command, opts *stepOptions) error {
	if opts.workdir == "" || opts.identity == "" || len(opts.inbox) == 0 {
		return usageErrorf("step needs --workdir, --identity and --inbox").withHint("see 'coldsig step --help'")
	}
	if err := checkQROutDir(opts.qr); err != nil {
		return err
	}
	files, err := inboxFiles(opts.inbox)
	if err != nil {
		return err
	}
	// Fail on a finished or aborted session before asking for a passphrase.
	if st, err := ceremony.ReadStatus(opts.workdir); err != nil {
		return err
	} else if st.State.Ended() {
		return statusEndError(st)
	}
	id, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	rep, err := ceremony.Step(cmd.Context(), ceremony.StepOptions{
		Options: ceremony.Options{WorkDir: opts.workdir, Identity: id, Observe: observer(cmd)},
		Inbox:   files,
	})
	if err != nil {
		return stepError(err)
	}
	printReport(getEnv(cmd).stdout, rep)
	return writeOutboxQR(cmd, opts.qr, rep)
}

func stepError(err error) error {
	var we *ceremony.WaitingError
	var ae *ceremony.AbortedError
	switch {
	case errors.As(err, &we):
		return withCode(withHint(err, "copy their envelopes into the inbox and run step again; nothing was changed"), exitWaiting)
	case errors.As(err, &ae):
		return withCode(withHint(err, "the state is destroyed; a retry needs a new plan ('coldsig plan ...'), and the culprit's officer must be asked what happened"), exitAborted)
	}
	return err
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

// inboxFiles expands directories (one level) into their files.
func inboxFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
