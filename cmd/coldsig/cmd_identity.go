package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
)

func init() { register(newIdentityCommand) }

func newIdentityCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "identity",
		Short: "Create and show party identities (NAME.key) and cards (NAME.card)",
		Long: `A party identity is the pair of keys a party uses in every ceremony: an age
X25519 key that other parties encrypt round messages to, and an Ed25519 key
that signs the messages this party sends.

NAME.key holds both secret keys, encrypted with a passphrase. NAME.card holds
the public halves and is handed to the other parties. Every party reads the
card's fingerprint words aloud before a ceremony, so that a card swapped on
the way is noticed.`,
		Args: exactArgs(0, "a subcommand"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newIdentityNewCommand(), newIdentityShowCommand())
	return cmd
}

type identityNewOptions struct {
	dir          string
	noPassphrase bool
	generate     bool
	pass         passphraseFlags
}

func newIdentityNewCommand() *cobra.Command {
	var opts identityNewOptions
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create NAME.key (secret, passphrase-encrypted) and NAME.card (public)",
		Long: `Create a new party identity: NAME.key, the secret keys encrypted with a
passphrase (age scrypt), mode 0600; and NAME.card, the public card to give to
the other parties. Existing files are never overwritten.

NAME is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or
digit.

The passphrase is asked twice on the terminal (three tries). A passphrase
an offline attacker could guess is refused: NAME.key can be copied and
attacked for as long as a copy exists, so zxcvbn's estimate of the guesses
needed must be at least 2^56 (docs/format.md, "Passphrase strength").
--generate-passphrase makes one instead: 8 words drawn at random from the
256 bytewords (64 bits), shown once on the terminal to be written down.

For unattended drills, give a file holding the passphrase with
--passphrase-file FILE or COLDSIG_PASSPHRASE_FILE=FILE (a path, never the
passphrase itself, so it does not show in the process environment).
--no-passphrase writes the secret keys unencrypted: for drills and tests
only.

EXAMPLES
  coldsig identity new alice
  coldsig identity new alice --dir /media/alice-key
  coldsig identity new alice --generate-passphrase
  coldsig identity new drill-1 --passphrase-file /run/drill/pass

EXIT STATUS
  0  both files written
  1  a file already exists, or the passphrase or a write failed
  2  bad name, flags or arguments`,
		Args: exactArgs(1, "one NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return runIdentityNew(cmd, &opts, args[0]) },
	}
	cmd.Flags().StringVar(&opts.dir, "dir", ".", "write the files into `DIR` (created 0700 if missing)")
	cmd.Flags().BoolVar(&opts.noPassphrase, "no-passphrase", false, "write the secret keys UNENCRYPTED (drills and tests only)")
	cmd.Flags().BoolVar(&opts.generate, "generate-passphrase", false, "make a strong passphrase (8 random words) and show it once to write down")
	opts.pass.addFlags(cmd.Flags())
	return cmd
}

func runIdentityNew(cmd *cobra.Command, opts *identityNewOptions, name string) error {
	e := getEnv(cmd)
	if err := identity.ValidName(name); err != nil {
		return usageErrorf("%v", err).withHint("use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if n := countTrue(opts.noPassphrase, opts.pass.file != "", opts.generate); n > 1 {
		return usageErrorf("--no-passphrase, --passphrase-file and --generate-passphrase exclude each other")
	}
	if _, tty := stdinTerminal(cmd); opts.generate && !tty {
		return usageErrorf("--generate-passphrase shows the passphrase on the terminal, and stdin is not a terminal").
			withHint("run it on the officer's terminal, or give --passphrase-file FILE in scripts")
	}
	if err := prepareDir(opts.dir); err != nil {
		return err
	}
	keyPath, cardPath := identity.Paths(opts.dir, name)
	// Check both names before asking for a passphrase, so a typo costs
	// nothing; Create re-checks atomically.
	for _, p := range []string{keyPath, cardPath} {
		if _, err := os.Lstat(p); err == nil {
			return existsError(p, "choose another NAME or --dir; never delete a key that may hold a share")
		}
	}
	id, err := identity.NewIdentity(name)
	if err != nil {
		return err
	}
	var pass []byte
	switch {
	case opts.generate:
		if pass, err = showGeneratedPassphrase(cmd, keyPath); err != nil {
			return err
		}
	case !opts.noPassphrase:
		if pass, err = opts.pass.readNew(cmd, keyPath, identityStrongerPass); err != nil {
			return err
		}
	}
	if _, _, err := identity.Create(opts.dir, id, pass, testOnlyScryptLogN); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return withHint(err, "choose another NAME or --dir")
		}
		return err
	}
	card := id.Card()
	if opts.noPassphrase {
		fmt.Fprintf(e.stderr, "coldsig: WARNING: %s is NOT encrypted: anyone who reads it can act as %s. Use it for drills and tests only.\n", keyPath, name)
	}
	fmt.Fprintf(e.stdout, "created %s (secret, keep it offline)\ncreated %s (public, give it to the other parties)\n", keyPath, cardPath)
	printCard(e.stdout, card)
	return nil
}

// showGeneratedPassphrase makes a passphrase and shows it once on the
// terminal; nothing is written unless the officer says it is written down.
func showGeneratedPassphrase(cmd *cobra.Command, keyPath string) ([]byte, error) {
	p, err := generatePassphrase()
	if err != nil {
		return nil, err
	}
	e := getEnv(cmd)
	fmt.Fprintf(e.stderr, "The passphrase for %s (shown once; write it down now, on paper, word for word):\n\n    %s\n\n", keyPath, p)
	ok, err := confirm(cmd, "Have you written it down?")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("nothing was written: the passphrase was not confirmed as written down")
	}
	return []byte(p), nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// prepareDir readies the directory secret files go to
// (atomicfile.PrepareDir), with the officer's hint.
func prepareDir(dir string) error {
	err := atomicfile.PrepareDir(dir)
	if errors.Is(err, atomicfile.ErrUnsafeDir) {
		return withHint(err, "use a private directory: --dir DIR (created 0700)")
	}
	return err
}

func printCard(w io.Writer, c *identity.Card) {
	fmt.Fprintf(w, "name:        %s\n", c.Name)
	fmt.Fprintf(w, "recipient:   %s\n", c.Recipient)
	fmt.Fprintf(w, "signing key: %x\n", []byte(c.SigningKey))
	fmt.Fprintf(w, "fingerprint: %s\n", c.FingerprintHex())
	fmt.Fprintf(w, "words:       %s\n", c.FingerprintWords())
}

func newIdentityShowCommand() *cobra.Command {
	var pass passphraseFlags
	cmd := &cobra.Command{
		Use:   "show CARD|KEY",
		Short: "Show a card, or the card of a secret identity, with its fingerprint",
		Long: `Show the name, age recipient, signing key and fingerprint of a card
(NAME.card), or of the card belonging to a secret identity (NAME.key, which
asks for its passphrase). Read the fingerprint words aloud to the other
parties: they must match the card they hold.

EXAMPLES
  coldsig identity show bob.card
  coldsig identity show alice.key

EXIT STATUS
  0  shown
  1  the file is unreadable, not a card or identity, or the passphrase is wrong
  2  bad flags or arguments`,
		Args: exactArgs(1, "one CARD or KEY file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := getEnv(cmd)
			path := args[0]
			head, err := boundedio.ReadHead(path, 32)
			if err != nil {
				return err
			}
			if bytes.HasPrefix(head, []byte("coldsig/card/")) {
				c, err := identity.LoadCard(path)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "card:        %s\n", path)
				printCard(e.stdout, c)
				return nil
			}
			if !bytes.HasPrefix(head, []byte("coldsig/identity/")) && !identity.IdentityEncrypted(head) {
				return withHint(fmt.Errorf("%s: not a coldsig card or identity", path), "give a NAME.card or NAME.key file made by 'coldsig identity new'")
			}
			id, err := loadIdentity(cmd, path, &pass)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "identity:    %s\n", path)
			printCard(e.stdout, id.Card())
			return nil
		},
	}
	pass.addFlags(cmd.Flags())
	return cmd
}

// loadIdentity reads a secret identity, asking for its passphrase only if
// it is encrypted, and warns about an unprotected one. Other commands that
// need the party's keys use it too.
func loadIdentity(cmd *cobra.Command, path string, pass *passphraseFlags) (*identity.Identity, error) {
	e := getEnv(cmd)
	asked := false
	id, err := identity.LoadIdentity(path, func() ([]byte, error) {
		asked = true
		return pass.read(cmd, path)
	})
	if err != nil {
		if errors.Is(err, identity.ErrWrongPassphrase) {
			return nil, withHint(err, "check the passphrase (and --passphrase-file or $"+passphraseFileEnv+")")
		}
		if errors.Is(err, identity.ErrNotIdentity) {
			return nil, withHint(err, "give the NAME.key file made by 'coldsig identity new'")
		}
		return nil, err
	}
	if !asked {
		fmt.Fprintf(e.stderr, "coldsig: WARNING: %s is NOT encrypted (made with --no-passphrase): for drills and tests only\n", path)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "coldsig: warning: %s is accessible to other users (mode %04o); run chmod 600 %s\n", path, fi.Mode().Perm(), path)
	}
	return id, nil
}
