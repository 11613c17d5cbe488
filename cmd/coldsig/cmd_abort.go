package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
)

func init() { register(newAbortCommand) }

type abortOptions struct {
	workdir string
	reason  string
}

func newAbortCommand() *cobra.Command {
	opts := &abortOptions{}
	cmd := &cobra.Command{
		Use:   "abort --workdir DIR [--reason TEXT]",
		Short: "Abort this party's ceremony and destroy its state",
		Long: `Abort this party's ceremony: its encrypted state (with every secret of the
session) is destroyed and a record of the abort is kept for 'coldsig status'.
There is no undo. A retry needs a new plan, with a new session id; the other
parties must abort too.

EXAMPLES
  coldsig abort --workdir alice-kg --reason "bob's laptop failed"

EXIT STATUS
  0 aborted; 1 an error (for example an already finished ceremony).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "workdir"); err != nil {
				return err
			}
			st, err := ceremony.ReadStatus(opts.workdir)
			if err != nil {
				return err
			}
			if st.State.Ended() {
				return statusEndError(st)
			}
			if err := ceremony.Abort(opts.workdir, opts.reason); err != nil {
				return err
			}
			fmt.Fprintf(getEnv(cmd).stdout, "aborted: the state in %s is destroyed; a retry needs a new plan\n", opts.workdir)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.workdir, "workdir", "", "the party's work `DIR`")
	cmd.Flags().StringVar(&opts.reason, "reason", "", "why, for the record")
	return cmd
}
