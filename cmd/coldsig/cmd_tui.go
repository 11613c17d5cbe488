package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/coldsig/coldsig/tui"
)

func init() { register(newTUICommand) }

type tuiOptions struct {
	identity   string
	workdir    string
	inbox      []string
	dir        string
	noAutoStep bool
}

func newTUICommand() *cobra.Command {
	opts := &tuiOptions{}
	cmd := &cobra.Command{
		Use:   "tui [--identity KEY] [--workdir DIR --inbox PATH]",
		Short: "Guided ceremony screens for officers (the CLI is the scriptable layer beneath)",
		Long: `Open coldsig's guided terminal interface.

Home lists an officer's tasks, each ending on the same engine call as the
coldsig command named here: create an identity (identity new), read your
card's words (identity show), generate pre-parameters (preparams), join a
keygen, signing or reshare from a plan file (join: the plan's words, every
party with its card words and "(you)", t-of-n and exactly what is signed
are shown, and nothing runs until you answer y), resume a ceremony (status
/ step), show envelopes as animated QR codes (qr encode), receive a file
from QR frames (qr decode), split your share among backup custodians
(backup split), verify backup shards (backup verify), restore a share from
them (backup restore) and run a disaster-recovery drill (drill restore).

Your identity's passphrase is asked once per session, the first time a
task needs it; the unlocked identity stays in this program's memory only.

--workdir DIR opens the ceremony screen on a work directory directly. It
shows the plan words, "round k of N", who has sent and who is missing,
the outbox envelopes to carry (c copies them to a folder such as the
stick, g shows them as animated QR), and the outcome of every step. It
watches the inbox and steps as soon as the needed envelopes are there
(auto-step, toggled with a); s steps now, r rescans, ? lists the keys, q
quits. Quitting is safe at any moment: every step is written all or
nothing. At the end it shows the transcript words to compare aloud, and
the public key and address, or the signature and what was signed.

Works at 80x24 and larger, with the keyboard only; NO_COLOR is honoured.

EXAMPLES
  coldsig tui --identity alice.key --inbox /media/stick
  coldsig tui --workdir alice-kg --identity alice.key --inbox /media/stick

EXIT STATUS
  0 the officer quit; 1 the terminal could not be used or an error ended
  the session; 2 bad usage.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runTUI(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.identity, "identity", "", "your secret identity `KEY` file (unlocked once, when first needed)")
	f.StringVar(&opts.workdir, "workdir", "", "open the ceremony screen on this work `DIR`")
	f.StringArrayVar(&opts.inbox, "inbox", nil, "where envelopes arrive (`PATH`, e.g. the stick; repeatable)")
	f.StringVar(&opts.dir, "dir", "", "`DIR` for new work directories and files, and to resume from (default: the current one)")
	f.BoolVar(&opts.noAutoStep, "no-auto-step", false, "start the ceremony screen with auto-step off")
	return cmd
}

func runTUI(cmd *cobra.Command, opts *tuiOptions) error {
	if opts.workdir != "" && (opts.identity == "" || len(opts.inbox) == 0) {
		return usageErrorf("--workdir needs --identity and --inbox").withHint("coldsig tui --workdir DIR --identity KEY --inbox PATH")
	}
	e := getEnv(cmd)
	in, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return withHint(errors.New("tui needs a terminal on stdin"), "run it in a terminal, or use the coldsig commands in scripts")
	}
	out, ok := e.stdout.(*os.File)
	if !ok || !term.IsTerminal(int(out.Fd())) {
		return withHint(errors.New("tui needs a terminal on stdout"), "run it in a terminal, or use the coldsig commands in scripts")
	}
	app, err := tui.Run(cmd.Context(), tui.Options{
		Identity: opts.identity, WorkDir: opts.workdir, Inbox: opts.inbox, Dir: opts.dir, NoAutoStep: opts.noAutoStep,
	}, in, out)
	if app != nil && app.Farewell() != "" {
		fmt.Fprint(e.stderr, app.Farewell())
	}
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
