package main

import (
	"context"
	"fmt"
	"time"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
)

func init() { register(newPreparamsCommand) }

type preparamsOptions struct {
	card   string
	output string
}

func newPreparamsCommand() *cobra.Command {
	opts := &preparamsOptions{}
	cmd := &cobra.Command{
		Use:   "preparams --card CARD -o FILE",
		Short: "Generate ECDSA pre-parameters ahead of a keygen or reshare",
		Long: `Generate the safe primes and Paillier key that an ECDSA (secp256k1) keygen,
or a new member of an ECDSA reshare, needs. This takes 20 s to a few minutes;
do it before the ceremony, not while the other officers wait.

Pre-parameters are secret (they hold a Paillier secret key) and single use:
the file is encrypted to the officer's own card, and 'coldsig join' deletes
it once the ceremony has consumed it. Generate one file per ceremony.

EXAMPLES
  coldsig preparams --card alice.card -o alice.pp

EXIT STATUS
  0 the file was written; 1 an error (nothing written); 2 bad usage.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPreparams(cmd, opts) },
	}
	cmd.Flags().StringVar(&opts.card, "card", "", "encrypt to the owner's `CARD` (the officer who will use them)")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the pre-parameters to `FILE` (must not exist)")
	return cmd
}

// testOnlyPreParams, when set, replaces the safe-prime search. Only test
// files in this package set it (through testMainHooks, to hand out the
// committed TEST-ONLY fixtures so that a simulated ceremony does not spend
// minutes finding primes); the shipped binary always generates.
var testOnlyPreParams func(context.Context, func(time.Duration)) (*ecdsakeygen.LocalPreParams, error)

func runPreparams(cmd *cobra.Command, opts *preparamsOptions) error {
	if err := requireFlags(cmd, "card", "output"); err != nil {
		return err
	}
	card, err := identity.LoadCard(opts.card)
	if err != nil {
		return err
	}
	if err := checkAbsent(opts.output, "choose another -o FILE"); err != nil {
		return err
	}
	e := getEnv(cmd)
	fmt.Fprintf(e.stderr, "coldsig: generating pre-parameters for %s (safe primes; 20 s to a few minutes)\n", card.Name)
	generate := ceremony.GeneratePreParams
	if testOnlyPreParams != nil {
		generate = testOnlyPreParams
	}
	// On a terminal a ticker rewrites one line every second; in a log a
	// line every 30 s (a \r there would make one garbled line).
	tty := isTerminal(e.stderr)
	pp, err := generate(cmd.Context(), func(d time.Duration) {
		switch s := int(d.Seconds()); {
		case tty:
			fmt.Fprintf(e.stderr, "\rcoldsig: searching for safe primes... %3ds", s)
		case s > 0 && s%30 == 0:
			fmt.Fprintf(e.stderr, "coldsig: still searching for safe primes (%d s)\n", s)
		}
	})
	if tty {
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		return err
	}
	data, err := ceremony.SealPreParams(pp, card.Recipient)
	if err != nil {
		return err
	}
	if err := atomicfile.Create(opts.output, data, 0o600); err != nil {
		return createError(opts.output, err, "choose another -o FILE")
	}
	fmt.Fprintf(e.stdout, "wrote %s (for %s, single use)\n", opts.output, card.Name)
	return nil
}
