package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/backup"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
)

func init() { register(newBackupCommand) }

func newBackupCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up a key share to custodians (K-of-M), verify and restore shards",
		Long: `Back up this party's key share so that any K of M custodians can restore it
and fewer learn nothing about it.

'backup split' encrypts the share under a fresh random key, splits that key
K-of-M (Shamir) and writes one shard per custodian, age-encrypted to the
custodian's card (or to a passphrase). Every shard carries a manifest signed
by the share owner's identity, so a damaged, altered or foreign shard is
detected and named before anything is combined.

'backup verify' is the custodian's check that a shard is intact.
'backup restore' rebuilds the share from any K shards.
'coldsig drill restore' proves a backup restores the right share.`,
		Args: exactArgs(0, "a subcommand (split, verify, restore)"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newBackupSplitCommand(), newBackupVerifyCommand(), newBackupRestoreCommand())
	return cmd
}

// backupKeyFlags are how the commands that open shards get the custodians'
// secrets: identity files (each possibly passphrase-encrypted) and, for
// shards encrypted to a passphrase, that passphrase.
type backupKeyFlags struct {
	identities  []string
	passFiles   []string
	shardPasses []string
}

func (f *backupKeyFlags) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.identities, "identity", nil, "a custodian's identity `KEY` file (repeat for each custodian present)")
	fl.StringArrayVar(&f.passFiles, "passphrase-file", nil, "passphrase `FILE` for an encrypted --identity: once for all, or once per --identity in the same order (also $"+passphraseFileEnv+")")
	fl.StringArrayVar(&f.shardPasses, "shard-passphrase-file", nil, "passphrase `FILE` of a shard encrypted to a passphrase (repeatable; default: asked on the terminal per shard)")
}

// keys loads every --identity and the --shard-passphrase-file
// passphrases, and asks on the terminal for the passphrase of a shard
// encrypted to one when no file is given.
func (f *backupKeyFlags) keys(cmd *cobra.Command) (*backup.Keys, error) {
	if len(f.passFiles) > 1 && len(f.passFiles) != len(f.identities) {
		return nil, usageErrorf("%d --passphrase-file for %d --identity; give one for all or one per identity", len(f.passFiles), len(f.identities))
	}
	k := &backup.Keys{}
	for i, path := range f.identities {
		var pass passphraseFlags
		switch len(f.passFiles) {
		case 1:
			pass.file = f.passFiles[0]
		case len(f.identities):
			pass.file = f.passFiles[i]
		}
		id, err := loadIdentity(cmd, path, &pass)
		if err != nil {
			return nil, err
		}
		k.Identities = append(k.Identities, id.X25519)
	}
	for _, p := range f.shardPasses {
		pass, err := readPassphraseFile(cmd, p)
		if err != nil {
			return nil, err
		}
		k.Passphrases = append(k.Passphrases, pass)
	}
	k.Passphrase = func(label string) ([]byte, error) {
		return promptPassphrase(cmd, fmt.Sprintf("Passphrase for shard %s: ", label))
	}
	return k, nil
}

// readShards reads each shard file once, labelled for printing (a file
// name on a stick is anyone's choice).
func readShards(paths []string) ([]backup.File, error) {
	var files []backup.File
	seen := map[string]bool{}
	for _, path := range paths {
		if seen[path] {
			return nil, usageErrorf("%s: given twice", termsafe.Path(path))
		}
		seen[path] = true
		data, err := readShardFile(path)
		if err != nil {
			return nil, err
		}
		files = append(files, backup.File{Label: termsafe.Path(path), Data: data})
	}
	return files, nil
}

// lockedHint says what is missing when a shard could not be unlocked.
func lockedHint(err error) string {
	if errors.Is(err, backup.ErrIdentityMissing) {
		return "give the custodian's identity with --identity KEY (a shard encrypted to a passphrase asks for it, or takes --shard-passphrase-file)"
	}
	return "give the custodian's identity with --identity KEY"
}

// firstLocked returns the first error of a shard that could not be
// unlocked, or nil.
func firstLocked(rs []backup.Rejected) error {
	for _, r := range rs {
		if backup.Locked(r.Err) {
			return r.Err
		}
	}
	return nil
}

func readShardFile(path string) ([]byte, error) { return backup.ReadShardFile(path) }

// --- split ---

type backupSplitOptions struct {
	identity        string
	pass            passphraseFlags
	threshold       int
	custodians      []string
	passCustodians  []string
	passCustodianFs []string
	out             string
	paper           bool
	qr              bool
}

func newBackupSplitCommand() *cobra.Command {
	var opts backupSplitOptions
	cmd := &cobra.Command{
		Use:   "split SHARE --identity KEY --threshold K --custodian CARD... -o DIR",
		Short: "Split a key share into K-of-M shards, one per custodian",
		Long: `Split SHARE (this party's share.age) into one shard per custodian, any
--threshold K of which restore it. The share is decrypted with --identity (the
share owner's identity, which also signs every shard's manifest), encrypted
under a fresh random key, and that key is split with Shamir's scheme. The
plaintext share is never written.

Custodians are given as cards (--custodian CARD, the shard is encrypted to the
card) or, for a custodian without an identity, by name (--custodian-passphrase
NAME, the shard is encrypted to a passphrase asked twice on the terminal; for
scripts, --custodian-passphrase-file NAME=FILE). Shards are numbered in that
order: cards first, then passphrase custodians.

The shards are written to DIR (created 0700) as shard-<i>-<custodian>.age;
--paper also writes shard-<i>-<custodian>.txt, a printable form in an
alphabet safe to type back (Crockford base32) with a checksum on every line;
--qr writes shard-<i>-<custodian>.qr/, the same shard file as numbered QR
pages to print (UR frames of up to 1000 bytes; a quarter more pages than
the minimum, chosen so that any one page can be lost), each labelled with
the backup id, custodian, shard and page k of n; 'coldsig qr decode DIR -o
SHARD' reads them back. Every page is decoded and checked before anything
is written. Nothing is written unless every shard is made and a
trial restore succeeded. Give each custodian their file, and have them run
'coldsig backup verify' on it.

EXAMPLES
  coldsig backup split share.age --identity alice.key --threshold 2 \
      --custodian carol.card --custodian dave.card --custodian-passphrase erin -o backup/
  coldsig backup split share.age --identity alice.key --threshold 3 \
      --custodian c1.card --custodian c2.card --custodian c3.card \
      --custodian c4.card --custodian c5.card -o backup/ --paper

EXIT STATUS
  0  all shards written
  1  the share, an identity or a card was rejected, or a write failed
  2  bad flags or arguments`,
		Args: exactArgs(1, "one SHARE"),
		RunE: func(cmd *cobra.Command, args []string) error { return runBackupSplit(cmd, &opts, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.identity, "identity", "", "the share owner's identity `KEY` file")
	fl.IntVar(&opts.threshold, "threshold", 0, "`K`, the number of shards needed to restore")
	fl.StringArrayVar(&opts.custodians, "custodian", nil, "a custodian's `CARD` file (repeat)")
	fl.StringArrayVar(&opts.passCustodians, "custodian-passphrase", nil, "a custodian `NAME` whose shard is encrypted to a passphrase (repeat)")
	fl.StringArrayVar(&opts.passCustodianFs, "custodian-passphrase-file", nil, "`NAME=FILE`: like --custodian-passphrase, passphrase read from FILE")
	fl.StringVarP(&opts.out, "output", "o", "", "write the shards into `DIR`")
	fl.BoolVar(&opts.paper, "paper", false, "also write each shard's printable form (.txt)")
	fl.BoolVar(&opts.qr, "qr", false, "also write each shard as printable QR images (.qr/ directory)")
	opts.pass.addFlags(fl)
	return cmd
}

type splitCustodian struct {
	name      string
	recipient func() (age.Recipient, error)
}

func runBackupSplit(cmd *cobra.Command, opts *backupSplitOptions, sharePath string) error {
	e := getEnv(cmd)
	if opts.identity == "" {
		return usageErrorf("--identity is required").withHint("give the share owner's KEY file: the one share.age is encrypted to")
	}
	if opts.out == "" {
		return usageErrorf("-o DIR is required")
	}
	var custs []splitCustodian
	for _, path := range opts.custodians {
		card, err := identity.LoadCard(path)
		if err != nil {
			return withHint(err, "give each custodian's NAME.card with --custodian")
		}
		custs = append(custs, splitCustodian{card.Name, func() (age.Recipient, error) { return card.Recipient, nil }})
	}
	passFor := func(name, file string) func() (age.Recipient, error) {
		return func() (age.Recipient, error) {
			var pass []byte
			var err error
			if file != "" {
				pass, err = readNewPassphraseFile(cmd, file, custodianStrongerPass)
			} else {
				pass, err = backupNewPassphrase(cmd, name)
			}
			if err != nil {
				return nil, err
			}
			return identity.ScryptRecipient(pass, testOnlyScryptLogN)
		}
	}
	for _, name := range opts.passCustodians {
		custs = append(custs, splitCustodian{name, passFor(name, "")})
	}
	for _, nf := range opts.passCustodianFs {
		name, file, ok := strings.Cut(nf, "=")
		if !ok || file == "" {
			return usageErrorf("--custodian-passphrase-file %q: want NAME=FILE", nf)
		}
		custs = append(custs, splitCustodian{name, passFor(name, file)})
	}
	var names []string
	for _, c := range custs {
		names = append(names, c.name)
	}
	split := backup.Options{Threshold: opts.threshold, Custodians: names}
	if err := split.Check(); err != nil {
		if len(custs) < 2 {
			return usageErrorf("%v", err).withHint("add --custodian CARD or --custodian-passphrase NAME")
		}
		return usageErrorf("%v", err)
	}
	// Check every output name before asking for anything.
	for i, name := range names {
		f := backup.FilesOf(opts.out, i+1, name)
		for _, p := range []string{f.Shard, f.Paper, f.QRDir} {
			if _, err := os.Lstat(p); err == nil {
				return existsError(p, "write the backup into a new -o DIR")
			}
		}
	}
	shareData, err := keyshare.ReadShareFile(sharePath)
	if err != nil {
		return err
	}
	owner, err := loadIdentity(cmd, opts.identity, &opts.pass)
	if err != nil {
		return err
	}
	shards, err := backup.SplitSealed(shareData, owner, split)
	if errors.Is(err, backup.ErrOpenShare) {
		return withHint(fmt.Errorf("%s: %w", sharePath, err), "--identity must be the identity the share was encrypted to")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", sharePath, err)
	}
	var recipients []age.Recipient
	for _, c := range custs {
		r, err := c.recipient()
		if err != nil {
			return err
		}
		recipients = append(recipients, r)
	}
	// A missing DIR is made by backup.Write, and removed again if the
	// backup fails; an existing one must not be writable by others.
	if _, err := os.Stat(opts.out); err == nil {
		if err := prepareDir(opts.out); err != nil {
			return err
		}
	}
	if opts.qr {
		qrMemory()
	}
	files, err := backup.Write(cmd.Context(), opts.out, shards, recipients, backup.WriteOptions{Paper: opts.paper, QR: opts.qr})
	if err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return withHint(err, "write the backup into a new -o DIR")
		}
		return err
	}
	s := shards[0]
	digest, _ := s.ManifestDigest()
	fmt.Fprintf(e.stdout, "backup %s of key %s party %d (%s): %d-of-%d\n", s.BackupIDHex(), s.KeyID, s.Party, s.Owner.Name, s.Threshold, s.Shards())
	fmt.Fprintf(e.stdout, "manifest: %s\n", identity.DigestWords(digest))
	for i, f := range files {
		fmt.Fprintf(e.stdout, "wrote %s (custodian %s)\n", f.Shard, names[i])
		if opts.paper {
			fmt.Fprintf(e.stdout, "wrote %s (printable)\n", f.Paper)
		}
		if opts.qr {
			fmt.Fprintf(e.stdout, "wrote %s/ (printable QR images, each verified)\n", f.QRDir)
		}
	}
	return nil
}

// --- verify ---

type backupVerifyOptions struct {
	keys   backupKeyFlags
	public string
}

func newBackupVerifyCommand() *cobra.Command {
	var opts backupVerifyOptions
	cmd := &cobra.Command{
		Use:   "verify SHARD... --identity KEY",
		Short: "Check that shards are intact, without restoring anything",
		Long: `Open each SHARD with the custodian's --identity (or its passphrase) and check
it on its own: the owner's signature over the manifest, the shard's part
against its commitment, and the encrypted share against its hash. A shard in
printable form (.txt) is read too, and each line's checksum is checked.

Each shard's report shows the manifest words: every shard of one backup
shows the same words, so custodians can compare them aloud. With --public,
also check that the backup is of that key and signed by the party's card.

EXAMPLES
  coldsig backup verify shard-2-carol.age --identity carol.key
  coldsig backup verify shard-3-erin.txt --public public.json

EXIT STATUS
  0  every shard is intact
  1  a shard is damaged, foreign or cannot be opened
  2  bad flags or arguments`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("backup verify takes one or more SHARD files").withHint("see 'coldsig backup verify --help'")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runBackupVerify(cmd, &opts, args) },
	}
	opts.keys.addFlags(cmd)
	cmd.Flags().StringVar(&opts.public, "public", "", "also check the shards against the key's `public.json`")
	return cmd
}

func runBackupVerify(cmd *cobra.Command, opts *backupVerifyOptions, paths []string) error {
	e := getEnv(cmd)
	var pub *keyshare.Public
	if opts.public != "" {
		var err error
		if pub, err = keyshare.LoadPublic(opts.public); err != nil {
			return err
		}
	}
	keys, err := opts.keys.keys(cmd)
	if err != nil {
		return err
	}
	files, err := readShards(paths)
	if err != nil {
		return err
	}
	cands, rejected, err := keys.Verify(files, pub)
	if err != nil {
		return err
	}
	for _, c := range cands {
		s := c.Shard
		d, _ := s.ManifestDigest()
		fmt.Fprintf(e.stdout, "%s: OK: shard %d of %d (any %d restore), custodian %s\n", c.Label, s.Index, s.Shards(), s.Threshold, s.Custodian())
		fmt.Fprintf(e.stdout, "  backup %s made %s\n", s.BackupIDHex(), s.Created.Format("2006-01-02 15:04:05 UTC"))
		fmt.Fprintf(e.stdout, "  key %s %s, party %d, owner %s (card %s)\n", s.KeyID, s.Curve, s.Party, s.Owner.Name, s.Owner.FingerprintWords())
		fmt.Fprintf(e.stdout, "  manifest: %s\n", identity.DigestWords(d))
	}
	if len(rejected) > 0 {
		for _, r := range rejected[:len(rejected)-1] {
			fmt.Fprintf(e.stderr, "coldsig: error: %s: %s\n", r.Label, termsafe.Line(r.Err.Error()))
		}
		last := rejected[len(rejected)-1]
		err := fmt.Errorf("%s: %w", last.Label, last.Err)
		if backup.Locked(last.Err) {
			return withHint(err, lockedHint(last.Err))
		}
		return err
	}
	return nil
}

// --- restore ---

type backupRestoreOptions struct {
	keys   backupKeyFlags
	to     string
	out    string
	owner  string
	public string
}

func newBackupRestoreCommand() *cobra.Command {
	var opts backupRestoreOptions
	cmd := &cobra.Command{
		Use:   "restore SHARD... --identity KEY... --to CARD -o SHARE",
		Short: "Rebuild a key share from any K shards",
		Long: `Rebuild a key share from K or more shards of one backup. Each custodian
unlocks their own shard: give each custodian's --identity (passphrases are
asked on the terminal, or read with --passphrase-file), and for shards
encrypted to a passphrase type it when asked (or --shard-passphrase-file).

Every shard is checked on its own before anything is combined. A damaged,
altered, duplicate or foreign shard is named and set aside; the restore goes
on if K good shards of one backup remain, and otherwise says how many more
are needed. Shards of two different backups are never mixed.

The restored share is written to SHARE encrypted to --to CARD (normally the
party's new card), crash-safely, and never over an existing file. It is never
written in plaintext. --owner CARD accepts only shards signed by that card.
--public public.json proves, before anything is written, that the restored
share belongs to that key and party (as 'coldsig drill restore' does). Without
--owner or --public, a backup signed by anyone is accepted, and a warning says
so.

EXAMPLES
  coldsig backup restore shard-1-carol.age shard-3-erin.age \
      --identity carol.key --to alice.card -o share.age
  coldsig backup restore backup/*.age --identity carol.key --identity dave.key \
      --to alice-new.card --owner alice.card -o share.age
  coldsig backup restore backup/*.age --identity carol.key \
      --to alice.card --public public.json -o share.age

EXIT STATUS
  0  the share was restored and written
  1  not enough valid shards, a shard was rejected with too few left, the
     share is not of --public's key, or SHARE exists
  2  bad flags or arguments`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("backup restore takes one or more SHARD files").withHint("see 'coldsig backup restore --help'")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runBackupRestore(cmd, &opts, args) },
	}
	opts.keys.addFlags(cmd)
	cmd.Flags().StringVar(&opts.to, "to", "", "encrypt the restored share to this `CARD`")
	cmd.Flags().StringVarP(&opts.out, "output", "o", "", "write the restored share to `SHARE` (must not exist)")
	cmd.Flags().StringVar(&opts.owner, "owner", "", "accept only shards signed by this `CARD` (the share owner's)")
	cmd.Flags().StringVar(&opts.public, "public", "", "check the restored share against the key's `public.json` before writing it")
	return cmd
}

// restoreShards opens the shard files and combines them, printing every
// rejected shard as a warning.
func restoreShards(cmd *cobra.Command, keys *backupKeyFlags, paths []string, opt *backup.CombineOptions) (*backup.Result, error) {
	e := getEnv(cmd)
	k, err := keys.keys(cmd)
	if err != nil {
		return nil, err
	}
	files, err := readShards(paths)
	if err != nil {
		return nil, err
	}
	res, err := backup.Restore(files, k, opt)
	for _, r := range res.Rejected {
		fmt.Fprintf(e.stderr, "coldsig: warning: %s: set aside: %s\n", r.Label, termsafe.Line(r.Err.Error()))
	}
	if err != nil {
		var ne *backup.NotEnoughError
		if errors.As(err, &ne) {
			if lerr := firstLocked(res.Rejected); lerr != nil {
				return res, withHint(err, lockedHint(lerr))
			}
			return res, withHint(err, "bring more custodians (each with their shard and --identity) and run the restore again")
		}
		return res, err
	}
	return res, nil
}

func runBackupRestore(cmd *cobra.Command, opts *backupRestoreOptions, paths []string) error {
	e := getEnv(cmd)
	if opts.out == "" {
		return usageErrorf("-o SHARE is required")
	}
	if opts.to == "" {
		return usageErrorf("--to CARD is required").withHint("the restored share is only ever written encrypted: give the card of the identity that will hold it")
	}
	if _, err := os.Lstat(opts.out); err == nil {
		return existsError(opts.out, "choose another -o SHARE")
	}
	to, err := identity.LoadCard(opts.to)
	if err != nil {
		return err
	}
	var copt backup.CombineOptions
	if opts.owner != "" {
		if copt.Owner, err = identity.LoadCard(opts.owner); err != nil {
			return err
		}
	}
	var pub *keyshare.Public
	if opts.public != "" {
		if pub, err = keyshare.LoadPublic(opts.public); err != nil {
			return err
		}
	}
	res, err := restoreShards(cmd, &opts.keys, paths, &copt)
	if err != nil {
		return err
	}
	if pub != nil {
		// A shard's signature only proves who made the backup; only the
		// key's public data proves the share is a real share of that key.
		if err := res.Share.Check(pub); err != nil {
			res.Wipe()
			if errors.Is(err, keyshare.ErrWrongKey) {
				err = fmt.Errorf("%s: the restored %w", opts.public, err) // "share does not belong to this key: ..."
			} else {
				err = fmt.Errorf("%s: the restored share cannot be checked against this key: %w", opts.public, err)
			}
			return withHint(err, "check --public and the shards; nothing was written")
		}
	} else if copt.Owner == nil {
		fmt.Fprintf(e.stderr, "coldsig: warning: the shards' owner was not checked (a backup signed by anyone is accepted); give --public public.json or --owner CARD, or run 'coldsig drill restore'\n")
	}
	sealed, err := res.Seal(to.Recipient)
	if err != nil {
		return err
	}
	if err := atomicfile.Create(opts.out, sealed, 0o600); err != nil {
		return createError(opts.out, err, "choose another -o SHARE")
	}
	s := res.Share
	fmt.Fprintf(e.stdout, "restored party %d (%s) of key %s from %s\n", s.Index, s.Name, s.KeyID, strings.Join(res.Used, ", "))
	fmt.Fprintf(e.stdout, "wrote %s (encrypted to %s, card %s)\n", opts.out, to.Name, to.FingerprintWords())
	return nil
}

// backupNewPassphrase asks a custodian for a new shard passphrase, twice.
// It never falls back to $COLDSIG_PASSPHRASE_FILE: that names the owner's
// identity passphrase, which must not become a custodian's.
func backupNewPassphrase(cmd *cobra.Command, custodian string) ([]byte, error) {
	if _, tty := stdinTerminal(cmd); !tty {
		return nil, withHint(errors.New("a passphrase is needed and stdin is not a terminal"), "use --custodian-passphrase-file NAME=FILE in scripts")
	}
	return promptNewPassphrase(cmd, fmt.Sprintf("New passphrase for custodian %s's shard: ", custodian), custodianStrongerPass)
}
