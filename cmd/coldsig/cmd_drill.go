package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/backup"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
)

func init() { register(newDrillCommand) }

func newDrillCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Disaster-recovery drills",
		Long: `Disaster-recovery drills: prove, before a disaster, that recovery works.

'drill restore' restores a share from its backup shards and proves the
restored share belongs to the key, without signing anything.`,
		Args: exactArgs(0, "a subcommand (restore)"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDrillRestoreCommand())
	return cmd
}

type drillRestoreOptions struct {
	keys   backupKeyFlags
	shards []string
	public string
	record string
	keep   string
	to     string
}

func newDrillRestoreCommand() *cobra.Command {
	var opts drillRestoreOptions
	cmd := &cobra.Command{
		Use:   "restore --backup SHARD... --identity KEY... --public public.json",
		Short: "Restore a share from its backup and prove it belongs to the key",
		Long: `Restore a key share from backup shards (as 'coldsig backup restore' does, with
the custodians unlocking their own shards) and prove that the restored share
belongs to the key of --public: its secret's public point is the key data's
public share for that party, all public shares lie on one polynomial, that
polynomial gives the key's public key, and the party's card matches.

The restored share only ever exists encrypted to a one-time key held in
memory, in a private temporary directory that is removed at the end; with
--keep SHARE it is also written to SHARE encrypted to --to CARD.

The result, PASS or FAIL, is printed and written to a drill record, which
holds nothing secret: --record FILE, by default drill-KEYID8-TIME.txt in the
current directory (KEYID8: the first 8 hex digits of the key id; TIME: UTC,
for example drill-03d0b7d3-20250101T120000Z.txt).

EXAMPLES
  coldsig drill restore --backup shard-1-carol.age --backup shard-2-dave.age \
      --identity carol.key --identity dave.key --public public.json
  coldsig drill restore --backup backup/shard-1-carol.age --backup backup/shard-3-erin.age \
      --identity carol.key --public public.json --record drills/2025-q1.txt

A drill that cannot take place records nothing and is not a FAIL: "no
drill result", exit 3 (as a step waiting for envelopes: nothing happened,
bring what is missing and run it again): a shard that cannot be unlocked
(an identity or passphrase missing or mistyped), too few shards, or shards
of different backups.

EXIT STATUS
  0  PASS: the backup restores a share of this key (recorded)
  1  FAIL: the backup does not restore (damaged or altered shards) or
     restores a share of another key or party (recorded: the record says
     why); or a file could not be read or written
  2  bad flags or arguments
  3  no drill result: a shard could not be unlocked, too few shards, or
     shards of different backups; nothing was recorded`,
		Args: exactArgs(0, "no arguments (shards are given with --backup)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runDrillRestore(cmd, &opts) },
	}
	opts.keys.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.shards, "backup", nil, "a backup `SHARD` file (repeat)")
	fl.StringVar(&opts.public, "public", "", "the key's `public.json`")
	fl.StringVar(&opts.record, "record", "", "write the drill record to `FILE` (must not exist)")
	fl.StringVar(&opts.keep, "keep", "", "keep the restored share in `SHARE`, encrypted to --to")
	fl.StringVar(&opts.to, "to", "", "with --keep: encrypt the kept share to this `CARD`")
	return cmd
}

func runDrillRestore(cmd *cobra.Command, opts *drillRestoreOptions) error {
	e := getEnv(cmd)
	if len(opts.shards) == 0 {
		return usageErrorf("--backup SHARD is required (once per shard)")
	}
	if opts.public == "" {
		return usageErrorf("--public public.json is required").withHint("the drill proves the restored share belongs to this key")
	}
	if (opts.keep == "") != (opts.to == "") {
		return usageErrorf("--keep and --to go together").withHint("the kept share is written encrypted to --to CARD")
	}
	pub, err := keyshare.LoadPublic(opts.public)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if opts.record == "" {
		opts.record = fmt.Sprintf("drill-%s-%s.txt", pub.KeyID[:8], now.Format("20060102T150405Z"))
	}
	for _, p := range []string{opts.record, opts.keep} {
		if p == "" {
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			return existsError(p, "choose another --record or --keep FILE")
		}
	}
	var to *identity.Card
	if opts.to != "" {
		if to, err = identity.LoadCard(opts.to); err != nil {
			return err
		}
	}
	keys, err := opts.keys.keys(cmd)
	if err != nil {
		return err
	}
	files, err := readShards(opts.shards)
	if err != nil {
		return err
	}
	rec, share, err := backup.Drill(files, keys, pub, now)
	for _, r := range rec.Rejected {
		fmt.Fprintf(e.stderr, "coldsig: warning: %s: set aside: %s\n", r.Label, termsafe.Line(r.Err.Error()))
	}
	if err != nil {
		// Not a drill result: nothing is recorded.
		hint := "bring more custodians (each with their shard and --identity) and run the drill again; nothing was recorded"
		if lerr := firstLocked(rec.Rejected); lerr != nil {
			hint = lockedHint(lerr) + "; a mistyped passphrase is not a drill result: nothing was recorded, run the drill again"
		}
		return withCode(withHint(err, hint), exitWaiting)
	}
	if rec.Pass && opts.keep != "" {
		sealed, err := keyshare.SealShare(share, to.Recipient)
		if err != nil {
			return err
		}
		if err := atomicfile.Create(opts.keep, sealed, 0o600); err != nil {
			return createError(opts.keep, err, "choose another --keep FILE")
		}
		fmt.Fprintf(e.stdout, "kept the restored share in %s (encrypted to %s)\n", opts.keep, to.Name)
	}
	data, err := rec.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Create(opts.record, data, 0o644); err != nil {
		return createError(opts.record, err, "choose another --record FILE")
	}
	if !rec.Pass {
		fmt.Fprintf(e.stdout, "drill FAIL: key %s\nrecord: %s\n", pub.KeyID, opts.record)
		err := fmt.Errorf("drill FAILED: %w", rec.Failure)
		if errors.Is(rec.Failure, keyshare.ErrWrongKey) {
			return withHint(err, "this backup is not of this key (or of another party or committee): check --public and the shards")
		}
		return withHint(err, "the backup does not restore: make a new backup of this share while it is still held")
	}
	fmt.Fprintf(e.stdout, "drill PASS: party %d (%s) of key %s restored from %s\n", share.Index, share.Name, share.KeyID, strings.Join(rec.Used, ", "))
	fmt.Fprintf(e.stdout, "record: %s\n", opts.record)
	return nil
}
