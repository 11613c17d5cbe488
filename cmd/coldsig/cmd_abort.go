package main

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
)

func init() { register(newAbortCommand) }

type abortOptions struct {
	workdir string
	reason  string
	yes     bool
}

func newAbortCommand() *cobra.Command {
	opts := &abortOptions{}
	cmd := &cobra.Command{
		Use:   "abort --workdir DIR [--reason TEXT] [--yes]",
		Short: "Abort this party's ceremony and destroy its state",
		Long: `Abort this party's ceremony: its encrypted state (with every secret of the
session) is destroyed and a record of the abort is kept for 'coldsig status'.
There is no undo. A retry needs a new plan, with a new session id; the other
parties must abort too.

abort names the ceremony and asks before it destroys anything; only "y"
goes on. --yes skips the question, for scripts; without a terminal abort
refuses to run without --yes. A work directory that is already aborted is
left as it is (exit 0, with the recorded reason).

EXAMPLES
  coldsig abort --workdir alice-kg --reason "bob's laptop failed"
  coldsig abort --yes --workdir alice-kg --reason "bob's laptop failed"

EXIT STATUS
  0 aborted (or already aborted: nothing to do); 1 an error or the question
  not answered y, nothing changed (also: a finished ceremony, which is not
  aborted); 2 bad usage (also: no terminal and no --yes); 5 the abort is
  recorded but the state could not be destroyed yet (run abort again).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runAbort(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.workdir, "workdir", "", "the party's work `DIR`")
	f.StringVar(&opts.reason, "reason", "", "why, for the record (`TEXT`)")
	f.BoolVar(&opts.yes, "yes", false, "do not ask before destroying the state (scripts)")
	return cmd
}

func runAbort(cmd *cobra.Command, opts *abortOptions) error {
	if err := requireFlags(cmd, "workdir"); err != nil {
		return err
	}
	e := getEnv(cmd)
	st, err := ceremony.ReadStatus(opts.workdir)
	if err != nil {
		return err
	}
	switch {
	case st.State == ceremony.StateAborted:
		// What was asked for holds already and nothing is destroyed now:
		// not a failure (an officer told "abort on every laptop" may find
		// step did it already).
		msg := "already aborted: " + termsafe.String(st.Reason)
		if st.Culprit != "" {
			msg += "; culprit: " + termsafe.String(st.Culprit)
		}
		fmt.Fprintf(e.stdout, "%s: %s; nothing to do (a retry needs a new plan)\n", termsafe.Path(opts.workdir), msg)
		return nil
	case st.State.Ended():
		return statusEndError(st)
	}
	if !opts.yes {
		if _, tty := stdinTerminal(cmd); !tty {
			return usageErrorf("abort destroys the state and asks first, and stdin is not a terminal").
				withHint("run it on a terminal, or add --yes to abort without the question")
		}
		fmt.Fprintf(e.stdout, "ceremony  %s %s, session %s\n", st.Plan.Curve, st.Plan.Protocol, hex.EncodeToString(st.Plan.Session[:4]))
		fmt.Fprintf(e.stdout, "me        %s, %s\n", termsafe.String(st.Me.String()), st.Role)
		if st.Rounds > 0 {
			fmt.Fprintf(e.stdout, "state     %s, round %d of %d\n", st.State, st.Round, st.Rounds)
		}
		ok, err := confirm(cmd, fmt.Sprintf("Destroy this party's state in %s? There is no undo.", termsafe.Path(opts.workdir)))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("not aborted: the question was not answered y; nothing was done")
		}
	}
	if err := ceremony.Abort(opts.workdir, opts.reason); err != nil {
		var ie *ceremony.IncompleteError
		if errors.As(err, &ie) {
			return withHint(err, "the abort is recorded and this party will never step again; fix the cause (a read-only or full stick?) and run the same abort again to destroy the state")
		}
		return err
	}
	fmt.Fprintf(e.stdout, "aborted: the state in %s is destroyed; a retry needs a new plan\n", termsafe.Path(opts.workdir))
	return nil
}
