package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
)

func init() { register(newShareCommand) }

func newShareCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "share",
		Short: "Manage key shares (retire an old share after a reshare)",
		Args:  exactArgs(0, "a subcommand"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("share needs a subcommand").withHint("see 'coldsig share --help'")
		},
	}
	cmd.AddCommand(newShareRetireCommand(), newShareStatementCommand())
	return cmd
}

type shareRetireOptions struct {
	identity  string
	proof     string
	public    string
	signature string
	pass      passphraseFlags
}

const retireSteps = `Verify before destroy. public.json and signature.json are not signed by
anyone (a session id or a committee field is easy to edit), and the old and
the new committee hold the same key, so a signature alone cannot say which
committee made it. retire therefore needs two proofs:

  --proof      result/reshare-proof.txt from YOUR OWN old-committee work
               dir of the reshare. Your step wrote it when the reshare
               finished: the reshare plan (whose fingerprint words you
               compared aloud), every new member's confirmation of the key,
               each signed with that member's card key, all signed with
               your identity. It proves that this share's committee was
               reshared to the new committee and that every new member
               holds the key.
  --signature  signature.json of a test signing BY THE NEW COMMITTEE of the
               retire statement ('coldsig share statement'), which names the
               key, your share's committee and the new committee, made with
               the key itself: a signature by a child key (a path in
               signature.json) is refused. It proves that the new committee
               can sign. coldsig refuses to sign a
               retire statement unless the signers are the committee it
               names as new, so an old signature, or one by the old
               committee, does not pass.

The officer's steps, after the reshare finished and the transcript words
were compared:
  1. One officer of the new committee makes the statement and the signing
     plan:
       coldsig share statement --old OLD-public.json --new NEW-public.json
       coldsig plan sign --key NEW-public.json --signer ... \
           --message "$(coldsig share statement --old OLD-public.json --new NEW-public.json)" -o retire.plan
  2. The new committee's signers join and step as for any signing; check
     in 'coldsig plan show retire.plan' that the message is the statement.
  3. Each old member retires each old share (and destroys its backups):
       coldsig share retire OLD-SHARE --identity KEY \
           --proof RESHARE-OLD-DIR/result/reshare-proof.txt \
           --signature RETIRE-SIGN-DIR/result/signature.json
`

func newShareRetireCommand() *cobra.Command {
	opts := &shareRetireOptions{}
	cmd := &cobra.Command{
		Use:   "retire SHARE --identity KEY --proof reshare-proof.txt --signature SIG.json [--public NEW-public.json]",
		Short: "Destroy an old key share once a new committee holds the key and has proven it can sign",
		Long: `Destroy SHARE, your key share of a committee that a reshare replaced.

` + retireSteps + `
--public NEW-public.json is optional: if given, it must be the new
committee's public key file (same key, the reshare's session).

retire deletes the file (unlink and sync the directory) and says exactly
what it destroyed and which committee now holds the key. SHARE must be the
share file itself: a symbolic link (whose removal would leave the share)
or anything but a regular file is refused. Deleting is not
erasing on SSDs and journaling file systems; the share stays encrypted to
your identity either way. Destroy backup shards of the old share separately.

EXAMPLES
  coldsig share retire alice-kg/result/share.age --identity alice.key \
      --proof alice-rs-old/result/reshare-proof.txt \
      --signature alice-retire-sg/result/signature.json

EXIT STATUS
  0 the share was destroyed; 1 refused or failed (nothing destroyed); 2 bad usage.`,
		Args: exactArgs(1, "the SHARE file"),
		RunE: func(cmd *cobra.Command, args []string) error { return runShareRetire(cmd, opts, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.identity, "identity", "", "the share owner's identity `KEY`")
	f.StringVar(&opts.proof, "proof", "", "`reshare-proof.txt` from your old-committee work dir of the reshare (result/)")
	f.StringVar(&opts.signature, "signature", "", "`signature.json` of the new committee's signing of the retire statement")
	f.StringVar(&opts.public, "public", "", "optional: the new committee's `public.json`, checked against the proof")
	opts.pass.addFlags(f)
	return cmd
}

func runShareRetire(cmd *cobra.Command, opts *shareRetireOptions, path string) error {
	if opts.identity == "" || opts.proof == "" || opts.signature == "" {
		return requireFlags(cmd, "identity", "proof", "signature")
	}
	// retire deletes exactly the name it is given: a symbolic link would
	// be removed while the share it points to stays, and "destroyed" would
	// be false. Only a regular file is retired, and only the file checked.
	before, err := shareFileInfo(path)
	if err != nil {
		return err
	}
	proof, err := ceremony.LoadReshareProof(opts.proof)
	if err != nil {
		return err
	}
	sig, err := ceremony.LoadSignature(opts.signature)
	if err != nil {
		return err
	}
	var pub *keyshare.Public
	if opts.public != "" {
		if pub, err = keyshare.LoadPublic(opts.public); err != nil {
			return err
		}
	}
	id, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	sh, err := loadShare(path, id)
	if err != nil {
		return err
	}
	chk, err := ceremony.CheckRetire(sh, id, proof, sig, pub)
	if err != nil {
		if errors.Is(err, ceremony.ErrRetire) {
			return withHint(fmt.Errorf("%s: %w", path, err), "see 'coldsig share retire --help' for the two proofs retire needs; nothing was destroyed")
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.RemoveChecked(path, before); errors.Is(err, atomicfile.ErrChanged) {
		return fmt.Errorf("%s: the file changed while it was checked; nothing was destroyed", termsafe.Path(path))
	} else if err != nil {
		return err
	}
	p := chk.Plan
	var names []string
	for _, c := range p.New {
		names = append(names, termsafe.String(c.Name))
	}
	out := getEnv(cmd).stdout
	fmt.Fprintf(out, "destroyed %s\n", termsafe.Path(path))
	fmt.Fprintf(out, "  share of party %d (%s) of key %s, %d-of-%d committee of session %s\n", sh.Index, termsafe.String(sh.Name), sh.KeyID, sh.Threshold, sh.Parties, sh.Session)
	fmt.Fprintf(out, "  replaced by the %d-of-%d committee of session %s: %s\n", p.Threshold, len(p.New), chk.NewCommittee, strings.Join(names, ", "))
	fp, err := p.Fingerprint()
	if err == nil {
		fmt.Fprintf(out, "  reshare plan %s (your signed proof; every new member confirmed the key)\n", identity.DigestWords(fp))
	}
	fmt.Fprintln(out, "  the new committee signed the retire statement; the signature verified")
	fmt.Fprintln(out, "  destroy backup shards of this share too, and any other copy")
	return nil
}

// shareFileInfo is the share file's own entry (atomicfile.RegularFile):
// a link or anything but a regular file is refused.
func shareFileInfo(path string) (os.FileInfo, error) {
	fi, err := atomicfile.RegularFile(path)
	switch {
	case errors.Is(err, atomicfile.ErrSymlink):
		return nil, withHint(fmt.Errorf("%s is a symbolic link: retire deletes the file it is given, and would remove only the link while the share stays; nothing was destroyed", termsafe.Path(path)),
			"give the share file itself (the link's target), so that what is reported destroyed is the share")
	case errors.Is(err, atomicfile.ErrNotRegular):
		return nil, fmt.Errorf("%s is not a regular file (%s); nothing was destroyed", termsafe.Path(path), fi.Mode().Type())
	}
	return fi, err
}

type shareStatementOptions struct {
	old, new string
}

func newShareStatementCommand() *cobra.Command {
	opts := &shareStatementOptions{}
	cmd := &cobra.Command{
		Use:   "statement --old OLD-public.json --new NEW-public.json",
		Short: "Print the retire statement the new committee signs before old shares are retired",
		Long: `Print the retire statement for a reshare from the committee of
OLD-public.json to the committee of NEW-public.json (the same key): the text
the new committee signs so that old members can retire their shares with
'coldsig share retire'. Sign it as the message of a signing plan by the new
committee.

` + retireSteps + `
EXAMPLES
  coldsig plan sign --key new/public.json --signer alice.card --signer dave.card --signer erin.card \
      --message "$(coldsig share statement --old old/public.json --new new/public.json)" -o retire.plan

EXIT STATUS
  0 printed; 1 the files are invalid or not two committees of one key; 2 bad usage.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.old == "" || opts.new == "" {
				return requireFlags(cmd, "old", "new")
			}
			oldPub, err := keyshare.LoadPublic(opts.old)
			if err != nil {
				return err
			}
			newPub, err := keyshare.LoadPublic(opts.new)
			if err != nil {
				return err
			}
			text, err := ceremony.RetireStatementFor(oldPub, newPub)
			if err != nil {
				return fmt.Errorf("%s and %s are %w", opts.old, opts.new, err)
			}
			fmt.Fprintln(getEnv(cmd).stdout, text)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.old, "old", "", "the old committee's `public.json` (the one being retired)")
	cmd.Flags().StringVar(&opts.new, "new", "", "the new committee's `public.json` (from the reshare)")
	return cmd
}
