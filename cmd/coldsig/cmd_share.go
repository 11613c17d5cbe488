package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/atomicfile"
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
	cmd.AddCommand(newShareRetireCommand())
	return cmd
}

type shareRetireOptions struct {
	identity  string
	public    string
	signature string
	pass      passphraseFlags
}

func newShareRetireCommand() *cobra.Command {
	opts := &shareRetireOptions{}
	cmd := &cobra.Command{
		Use:   "retire SHARE --identity KEY --public NEW-public.json --signature SIG.json",
		Short: "Destroy an old key share once a new committee has proven it can sign",
		Long: `Destroy SHARE, a key share of a committee that a reshare replaced.

Verify before destroy: retire refuses unless
  - NEW-public.json is the same key (key id and public key) held by another,
    newer committee (the result of the reshare), and
  - SIG.json is a signature made by that new committee's shares ('coldsig
    plan sign --key NEW-public.json', then join and step) that verifies
    under the key.
Until then the old shares are the key's only proven copy: keep them.

retire deletes the file (unlink and sync the directory) and says exactly
what it destroyed. Deleting is not erasing on SSDs and journaling file
systems; the share stays encrypted to your identity either way. Destroy
backup shards of the old share separately ('coldsig backup').

EXAMPLES
  coldsig share retire alice-kg/result/share.age --identity alice.key \
      --public new/public.json --signature test-sign/result/signature.json

EXIT STATUS
  0 the share was destroyed; 1 refused or failed (nothing destroyed); 2 bad usage.`,
		Args: exactArgs(1, "the SHARE file"),
		RunE: func(cmd *cobra.Command, args []string) error { return runShareRetire(cmd, opts, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.identity, "identity", "", "the share owner's identity `KEY`")
	f.StringVar(&opts.public, "public", "", "the new committee's `public.json`")
	f.StringVar(&opts.signature, "signature", "", "a `signature.json` made by the new committee")
	opts.pass.addFlags(f)
	return cmd
}

func runShareRetire(cmd *cobra.Command, opts *shareRetireOptions, path string) error {
	if opts.identity == "" || opts.public == "" || opts.signature == "" {
		return usageErrorf("share retire needs --identity, --public and --signature").withHint("see 'coldsig share retire --help'")
	}
	pub, sig, err := loadPublicAndSignature(opts.public, opts.signature)
	if err != nil {
		return err
	}
	id, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	sh, err := loadShare(path, id)
	if err != nil {
		return err
	}
	if err := ceremony.CheckRetire(sh, pub, sig); err != nil {
		if errors.Is(err, ceremony.ErrRetire) {
			return withHint(fmt.Errorf("%s: %w", path, err), "first reshare, then sign a test message with the new committee and give its public.json and signature.json")
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.Remove(path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out := getEnv(cmd).stdout
	fmt.Fprintf(out, "destroyed %s\n", path)
	fmt.Fprintf(out, "  share of party %d (%s) of key %s, %d-of-%d committee of session %s\n", sh.Index, sh.Name, sh.KeyID, sh.Threshold, sh.Parties, sh.Session)
	fmt.Fprintf(out, "  replaced by the %d-of-%d committee of session %s, whose test signature verified\n", pub.Threshold, len(pub.Parties), pub.Session)
	fmt.Fprintln(out, "  destroy backup shards of this share too, and any other copy")
	return nil
}
