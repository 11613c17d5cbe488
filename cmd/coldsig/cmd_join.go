package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

func init() { register(newJoinCommand) }

type joinOptions struct {
	identity  string
	workdir   string
	preparams string
	share     string
	committee string
	yes       bool
	qr        string
	pass      passphraseFlags
}

func newJoinCommand() *cobra.Command {
	opts := &joinOptions{}
	cmd := &cobra.Command{
		Use:   "join PLAN --identity KEY --workdir DIR [--preparams FILE] [--share SHARE]",
		Short: "Join a ceremony: check the plan, create this party's state, run round 1",
		Long: `Join a ceremony described by PLAN as the party whose identity is KEY.

join shows the plan (fingerprint words, parties with "(you)" on your row,
and for a signing exactly what will be signed) and asks whether the words
match what the other officers read aloud; only "y" goes on. --yes skips the
question, for scripts run after the words were compared; without a terminal
join refuses to run without --yes. Then join checks that the inputs fit,
creates the party's encrypted state in DIR and writes the round-1
envelopes to DIR/outbox/. Copy them to the other parties (USB stick or
'coldsig qr encode'), then run 'coldsig step' as envelopes arrive. --qr
DIR also writes each envelope as an animated QR GIF, DIR/<envelope>.gif, to
show on a screen; the receiver rebuilds it with 'coldsig qr decode'.

  keygen, secp256k1      --preparams FILE (from 'coldsig preparams'; deleted once used)
  sign                   --share SHARE (your share.age from the key's result/)
  reshare, old member    --share SHARE
  reshare, new member    --preparams FILE for secp256k1
  member of both reshare committees: run join twice, with --committee old and
  --committee new, each with its own --workdir.

A work directory belongs to one party of one ceremony, and a party joins a
session once: join records every session in KEY.joins beside the identity
(keep it with the key) and refuses a second work directory for the same
session, naming the first, because a second join would start the protocol
again with fresh secrets and the others would abort the session as an
equivocation. Joining the same work directory again re-emits round 1; once
round 1 is committed, a work directory whose state was deleted cannot be
joined again (the session then needs a new plan).

EXAMPLES
  coldsig join keygen.plan --identity alice.key --workdir alice-kg --preparams alice.pp
  coldsig join sign.plan --identity alice.key --share alice-kg/result/share.age --workdir alice-sg
  coldsig join keygen.plan --identity alice.key --workdir alice-kg --qr alice-qr
  coldsig join --yes keygen.plan --identity drill.key --workdir drill-kg --preparams drill.pp

EXIT STATUS
  0 joined (or already joined: the round-1 envelopes are re-emitted);
  1 an error or the plan was not confirmed, nothing changed; 2 bad usage
  (also: no terminal and no --yes); 5 joined (step 1 committed) but not
  completed (disk full, read-only work dir, a --qr failure after the
  step): fix it and run join again, which writes the same envelopes.`,
		Args: exactArgs(1, "the PLAN file"),
		RunE: func(cmd *cobra.Command, args []string) error { return runJoin(cmd, opts, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.identity, "identity", "", "this party's secret identity `KEY` file")
	f.StringVar(&opts.workdir, "workdir", "", "this party's work `DIR` for the ceremony (created 0700)")
	f.StringVar(&opts.preparams, "preparams", "", "pre-parameters `FILE` (ECDSA keygen, new reshare members)")
	f.StringVar(&opts.share, "share", "", "this party's key `SHARE` (share.age) for signing or as an old reshare member")
	f.StringVar(&opts.committee, "committee", "", "`old|new`: which committee this work dir is for (members of both)")
	f.BoolVar(&opts.yes, "yes", false, "do not ask whether the plan's words match (scripts, after the words were compared)")
	addQROutFlag(f, &opts.qr)
	opts.pass.addFlags(f)
	return cmd
}

func runJoin(cmd *cobra.Command, opts *joinOptions, planPath string) error {
	if err := requireFlags(cmd, "identity", "workdir"); err != nil {
		return err
	}
	if _, tty := stdinTerminal(cmd); !tty && !opts.yes {
		return usageErrorf("join asks whether the plan's words match, and stdin is not a terminal").
			withHint("compare the words of 'coldsig plan show " + planPath + "' aloud with the other officers, then run join with --yes")
	}
	if err := checkQROutDir(opts.qr); err != nil {
		return err
	}
	e := getEnv(cmd)
	var committee ceremony.Role
	switch opts.committee {
	case "":
	case "old":
		committee = ceremony.RoleOld
	case "new":
		committee = ceremony.RoleNew
	default:
		return usageErrorf("--committee must be old or new, not %q", opts.committee)
	}
	p, err := plan.Load(planPath)
	if err != nil {
		return err
	}
	id, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	jo := ceremony.JoinOptions{
		Options:   ceremony.Options{WorkDir: opts.workdir, Identity: id, Observe: observer(cmd, false)},
		Plan:      p,
		Ledger:    ceremony.LedgerPath(opts.identity),
		Committee: committee,
	}
	// Everything that can be checked is checked before the question, so an
	// officer who answers y is not then told an input is wrong. First the
	// officer's place in the plan (and which committee), then the inputs.
	n, err := ceremony.InputsFor(p, id.Card(), committee)
	if err != nil {
		return joinError(err)
	}
	if n.Committee {
		// CheckJoin names the choice to make (ErrCommittee).
		if err := ceremony.CheckJoin(jo); err != nil {
			return joinError(err)
		}
	}
	// The work directory and the ledger before the inputs: a work
	// directory deleted after its join committed must be named as such,
	// not as pre-parameters missing (that join consumed them).
	if err := ceremony.CheckJoinTarget(jo); err != nil {
		return joinError(err)
	}
	// A work directory that holds a state already (a repeated join, or one
	// that committed and then failed with exit 5) goes on from it without
	// inputs: the first run deleted the pre-parameters it used.
	_, statErr := ceremony.ReadStatus(opts.workdir)
	resumed := statErr == nil
	if opts.preparams != "" && !resumed {
		if jo.PreParams, err = loadPreParams(opts.preparams, id); err != nil {
			return err
		}
	}
	if opts.share != "" && !resumed {
		if jo.Share, err = loadShare(opts.share, id); err != nil {
			return joinShareError(err, opts.share, id, p, n)
		}
	}
	if err := ceremony.CheckJoin(jo); err != nil {
		return joinError(err)
	}
	d, err := plan.Describe(p, id.Card().Fingerprint())
	if err != nil {
		return err
	}
	printDescription(e.stdout, d, "")
	if !opts.yes {
		ok, err := confirm(cmd, "Do these words match what the other officers read aloud?")
		if err != nil {
			return err
		}
		if !ok {
			return withHint(errors.New("not joined: the plan was not confirmed; nothing was done"),
				"if the words differ, someone holds another plan: stop and find out why before anyone joins")
		}
	}
	rep, joinErr := ceremony.Join(cmd.Context(), jo)
	if opts.preparams != "" && jo.PreParams != nil {
		// Before any error is returned: a join that committed and then
		// failed (exit 5) used them too.
		switch used, err := ceremony.RetirePreParams(opts.preparams, rep, joinErr); {
		case err != nil:
			fmt.Fprintf(e.stderr, "coldsig: warning: could not delete used pre-parameters %s: %v; delete it by hand\n", termsafe.Path(opts.preparams), err)
		case used:
			fmt.Fprintf(e.stderr, "coldsig: deleted used pre-parameters %s\n", termsafe.Path(opts.preparams))
		case joinErr == nil:
			fmt.Fprintf(e.stderr, "coldsig: %s was not used (this party had already joined); it was left in place\n", termsafe.Path(opts.preparams))
		}
	} else if opts.preparams != "" && resumed {
		fmt.Fprintf(e.stderr, "coldsig: %s was not read: this work directory holds the join already\n", termsafe.Path(opts.preparams))
	}
	if joinErr != nil {
		return joinError(joinErr)
	}
	printReport(e.stdout, rep)
	return writeOutboxQR(cmd, opts.qr, rep)
}

func joinError(err error) error {
	switch {
	case errors.Is(err, ceremony.ErrNotInPlan):
		return withHint(err, "check that --identity is your key and PLAN the plan for this ceremony ('coldsig plan show PLAN')")
	case errors.Is(err, ceremony.ErrCommittee):
		return withHint(err, "add --committee old or --committee new, with a separate --workdir for each")
	case errors.Is(err, ceremony.ErrJoinedElsewhere):
		var je *ceremony.JoinedElsewhereError
		errors.As(err, &je)
		return withHint(err, fmt.Sprintf("go on in that work directory: 'coldsig status --workdir %s', then 'coldsig step'; if it is lost, the session cannot go on for you: abort it there and ask for a new plan", je.Entry.WorkDir))
	case errors.Is(err, ceremony.ErrWrongShare):
		return withHint(err, "give the share.age from your result/ directory of this key's latest keygen or reshare")
	}
	return err
}

// joinShareError names a --share that is not encrypted to this identity
// for what it is (someone else's share, or a share a new member need not
// bring) instead of age's "no identity matched".
func joinShareError(err error, path string, id *identity.Identity, p *plan.Plan, n *ceremony.Needs) error {
	if !errors.Is(err, keyshare.ErrNotYours) {
		return err
	}
	err = fmt.Errorf("%s: this share is not encrypted to %s", path, id.Name)
	switch {
	case n.Share:
		return withHint(err, "give the share.age from your own result/ directory of this key's latest keygen or reshare")
	case p.Protocol == plan.Reshare:
		return withHint(err, "this reshare takes no share from you (new members join without --share)")
	default:
		return withHint(err, fmt.Sprintf("this %s takes no share: join without --share", p.Protocol))
	}
}

func loadPreParams(path string, id *identity.Identity) (*ecdsakeygen.LocalPreParams, error) {
	return ceremony.LoadPreParams(path, id.X25519)
}

func loadShare(path string, id *identity.Identity) (*keyshare.Share, error) {
	return keyshare.LoadShare(path, id.X25519)
}

func printReport(w io.Writer, r *ceremony.Report) {
	if r.Replayed {
		fmt.Fprintln(w, "this step was already taken; its envelopes were written again unchanged")
	}
	if len(r.Outbox) > 0 {
		fmt.Fprintf(w, "outbox    %s to hand on:\n", plural(len(r.Outbox), "envelope"))
		for _, p := range r.Outbox {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if r.Finished {
		fmt.Fprintf(w, "FINISHED  transcript %s\n", identity.DigestWords(r.Transcript))
		fmt.Fprintf(w, "          %x\n", r.Transcript)
		fmt.Fprintln(w, "          compare the transcript words with every other officer")
		if r.Result != nil {
			printResult(w, r.Result)
		}
		for _, p := range r.Results {
			fmt.Fprintf(w, "result    %s\n", p)
		}
	}
}

// observer prints progress events on stderr; skipped files only when
// verbose (step's inbox summary counts them). Events carry file names from
// the inbox (anyone who can write to the stick chooses them, and they are
// printed before any signature is checked); Event.String escapes the name
// and the whole line is escaped again here.
func observer(cmd *cobra.Command, verbose bool) ceremony.Observer {
	e := getEnv(cmd)
	return func(ev ceremony.Event) {
		line := termsafe.Line(strings.TrimSpace(ev.String()))
		switch ev.Kind {
		case ceremony.EventWarning:
			fmt.Fprintf(e.stderr, "coldsig: warning: %s\n", line)
		case ceremony.EventSkipped:
			if verbose {
				fmt.Fprintf(e.stderr, "coldsig: %s\n", line)
			}
		case ceremony.EventComputing, ceremony.EventAccepted:
			fmt.Fprintf(e.stderr, "coldsig: %s\n", line)
		}
	}
}
