package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/termsafe"
)

func init() { register(newEnvelopeCommand) }

func newEnvelopeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "envelope",
		Short: "Inspect round-message envelopes",
		Long: `An envelope carries one round message from one party to one party or to all.
It is a plain age file encrypted to its recipients; inside is a readable
coldsig/envelope/v1 record signed with the sender's key.`,
		Args: exactArgs(0, "a subcommand"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newEnvelopeInspectCommand())
	return cmd
}

type envelopeInspectOptions struct {
	identity string
	cards    []string
	pass     passphraseFlags
}

func newEnvelopeInspectCommand() *cobra.Command {
	var opts envelopeInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect FILE --identity KEY [--card CARD]...",
		Short: "Decrypt an envelope and show its header, digest and signature status",
		Long: `Decrypt FILE with the secret identity KEY and show the envelope's header
(session, protocol, round, sender and recipient slots, sequence number, echo),
the payload size and the envelope digest (hex and words).

The signature is checked against the cards given with --card (repeatable):
the envelope names its sender only by slot, so inspect reports which of the
given cards signed it. Without --card the signature is not checked, and the
output says so. Nothing is written.

EXAMPLES
  coldsig envelope inspect cs-5e5e5e5e-eddsa-keygen-r02-p1-to-all.age --identity bob.key
  coldsig envelope inspect inbox/cs-5e5e5e5e-eddsa-keygen-r02-p1-to-p2.age --identity bob.key --card alice.card --card carol.card

EXIT STATUS
  0  shown (and, with --card, the signature is valid)
  1  not an envelope, not for this identity, damaged, or the signature does
     not verify with any given card
  2  bad flags or arguments`,
		Args: exactArgs(1, "one envelope FILE"),
		RunE: func(cmd *cobra.Command, args []string) error { return runEnvelopeInspect(cmd, &opts, args[0]) },
	}
	cmd.Flags().StringVar(&opts.identity, "identity", "", "the secret identity `KEY` to decrypt with (required)")
	cmd.Flags().StringArrayVar(&opts.cards, "card", nil, "a party's `CARD` to check the signature against (repeatable)")
	opts.pass.addFlags(cmd.Flags())
	return cmd
}

func runEnvelopeInspect(cmd *cobra.Command, opts *envelopeInspectOptions, path string) error {
	if opts.identity == "" {
		return usageErrorf("--identity KEY is required").withHint("give the NAME.key of a party the envelope is encrypted to")
	}
	var cards []*identity.Card
	for _, p := range opts.cards {
		c, err := identity.LoadCard(p)
		if err != nil {
			return err
		}
		cards = append(cards, c)
	}
	data, err := boundedio.ReadFile(path, envelope.MaxEnvelopeSize)
	if err != nil {
		return err
	}
	me, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	env, err := envelope.Open(data, me)
	if err != nil {
		if errors.Is(err, envelope.ErrNotForMe) {
			return withHint(fmt.Errorf("%s: not encrypted to %s (%s)", path, me.Name, opts.identity), "inspect it with the identity of a recipient")
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	out := getEnv(cmd).stdout
	fmt.Fprintf(out, "file:        %s\n", termsafe.Path(path))
	fmt.Fprintf(out, "session:     %x\n", env.Session)
	fmt.Fprintf(out, "protocol:    %s\n", env.Protocol)
	fmt.Fprintf(out, "round:       %d\n", env.Round)
	fmt.Fprintf(out, "from:        party %d\n", env.From)
	if env.To == envelope.ToAll {
		fmt.Fprintf(out, "to:          all\n")
	} else {
		fmt.Fprintf(out, "to:          party %d\n", env.To)
	}
	fmt.Fprintf(out, "seq:         %d\n", env.Seq)
	fmt.Fprintf(out, "echo:        %x\n", env.Echo)
	fmt.Fprintf(out, "payload:     %d bytes\n", len(env.Payload))
	fmt.Fprintf(out, "digest:      %x\n", env.Digest)
	fmt.Fprintf(out, "words:       %s\n", env.DigestWords())
	if len(cards) == 0 {
		fmt.Fprintf(out, "signature:   NOT CHECKED (give the sender's card with --card)\n")
		return nil
	}
	for i, c := range cards {
		if env.Verify(c) == nil {
			fmt.Fprintf(out, "signature:   valid, signed by %s (%s, card %s)\n", c.Name, termsafe.Path(opts.cards[i]), c.FingerprintWords())
			return nil
		}
	}
	fmt.Fprintf(out, "signature:   INVALID\n")
	return fmt.Errorf("%s: signature does not verify with any given card (%s)", path, strings.Join(opts.cards, ", "))
}
