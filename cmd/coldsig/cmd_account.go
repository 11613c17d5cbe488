package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn"
)

func init() { register(newAccountCommand) }

type accountOptions struct {
	key       string
	qr        string
	share     string
	identity  string
	unchecked bool
	pass      passphraseFlags
}

func newAccountCommand() *cobra.Command {
	opts := &accountOptions{}
	cmd := &cobra.Command{
		Use:   "account --key public.json --share SHARE --identity KEY [--qr DIR]",
		Short: "Export the key's account for a watch-only wallet (descriptors, ur:crypto-account, ur:crypto-hdkey)",
		Long: `Print what a watch-only wallet imports to follow a secp256k1 HD key and to
prepare transactions for it, derived from the xpub in public.json:

  fingerprint  the BIP32 fingerprint PSBTs and eth-sign-requests name; the
               key is the master of its descriptors
  receive      wpkh([FP]XPUB/0/*)#CHECKSUM (Bitcoin Core importdescriptors,
               BDK, Sparrow)
  change       wpkh([FP]XPUB/1/*)#CHECKSUM (import with "internal": true)
  ur:crypto-account   for Bitcoin wallets that pair by QR (BCR-2020-015,
               one P2WPKH output descriptor)
  ur:crypto-hdkey     for Ethereum wallets that pair by QR (EIP-4527,
               coin type 60)

The wallet then derives addresses m/0/i (and m/1/i for change) below the
key, and hands coldsig PSBTs and eth-sign-requests that name the key by
its fingerprint: 'coldsig plan sign --psbt' and '--eth-tx' sign only what
derives from this key. Only non-hardened children exist for a threshold
key, so wallets must not be set to a BIP44 path of their own.

public.json is not signed, and a wallet paired with an xpub whose chain
code was edited derives addresses the key can never sign for: funds sent
there are stuck. So account first checks the xpub against the key as you
hold it: --share SHARE --identity KEY (your share.age, of any committee of
the key, and your identity, which decrypts it) must say the same chain
code. Without a share (a coordinator who holds none), --unchecked skips
that check: then compare the "xpub words" it prints with the xpub words
read aloud and recorded when the keygen finished, before importing.

With --qr DIR, each UR is also written as a QR code image, DIR/account-btc.png
and DIR/account-eth.png (DIR is created; existing files are never
replaced), and each image is read back before it is kept.

The export holds the xpub, which links every address of the key: treat it
like public.json.

EXAMPLES
  coldsig account --key public.json --share kg/result/share.age --identity alice.key
  coldsig account --key public.json --share kg/result/share.age --identity alice.key --qr pairing/
  coldsig account --key public.json --unchecked     # then compare the xpub words aloud

EXIT STATUS
  0  printed (and written)
  1  public.json is unreadable, not a secp256k1 key with an xpub, its xpub
     is not the share's key and chain code, or an image exists or cannot
     be written
  2  bad flags or arguments (neither --share and --identity nor --unchecked)`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runAccount(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "the key's `public.json`")
	f.StringVar(&opts.qr, "qr", "", "also write the URs as QR images in `DIR`")
	f.StringVar(&opts.share, "share", "", "your `SHARE` of the key (share.age): the xpub's chain code must be its")
	f.StringVar(&opts.identity, "identity", "", "your identity `KEY`, which decrypts --share")
	f.BoolVar(&opts.unchecked, "unchecked", false, "do not check the xpub against a share (compare its xpub words aloud instead)")
	opts.pass.addFlags(f)
	return cmd
}

func runAccount(cmd *cobra.Command, opts *accountOptions) error {
	if err := requireFlags(cmd, "key"); err != nil {
		return err
	}
	switch {
	case opts.unchecked && (opts.share != "" || opts.identity != ""):
		return usageErrorf("--unchecked skips the check that --share and --identity make: give one or the other")
	case !opts.unchecked && (opts.share == "" || opts.identity == ""):
		return usageErrorf("account checks the xpub against your share: give --share SHARE and --identity KEY").
			withHint("public.json is not signed; without a share, give --unchecked and compare the xpub words it prints with the ones recorded at keygen")
	}
	pub, err := loadPublic(opts.key)
	if err != nil {
		return err
	}
	acct := pub.Account()
	if pub.Curve != keyshare.CurveSecp256k1 || acct == nil {
		return withHint(fmt.Errorf("%s: key %s (%s, public.json %s) has no xpub: there is no account to pair", opts.key, pub.KeyID, pub.Curve, pub.Format),
			"watch-only pairing needs a secp256k1 key made by a keygen that records a chain code (public.json v2)")
	}
	var checked string
	if !opts.unchecked {
		id, err := loadIdentity(cmd, opts.identity, &opts.pass)
		if err != nil {
			return err
		}
		sh, err := loadShare(opts.share, id)
		if err != nil {
			return err
		}
		if err := sh.CheckAccount(pub); err != nil {
			return withHint(fmt.Errorf("%s: %w", opts.key, err), "do not pair a wallet with this file: take public.json from your own keygen or reshare work dir (result/), and compare its xpub words with the ones recorded at keygen")
		}
		checked = fmt.Sprintf("the xpub's key and chain code are those of your share (party %d, %s)", sh.Index, termsafe.String(sh.Name))
	}
	p, err := txn.Pair(acct, "coldsig "+pub.KeyID[:8])
	if err != nil {
		return err
	}
	if opts.qr != "" {
		if err := writePairingQR(opts.qr, p); err != nil {
			return err
		}
	}
	e := getEnv(cmd)
	w := e.stdout
	if opts.unchecked {
		fmt.Fprintf(e.stderr, "coldsig: WARNING: the xpub was NOT checked against a share (--unchecked): before importing it, compare its xpub words (%s) with the words recorded when the keygen finished\n", pub.XPubWords())
	}
	fmt.Fprintf(w, "key          %s\n", pub.KeyID)
	fmt.Fprintf(w, "fingerprint  %x\n", p.Fingerprint)
	fmt.Fprintf(w, "xpub         %s\n", p.XPub)
	fmt.Fprintf(w, "xpub words   %s\n", pub.XPubWords())
	if checked != "" {
		fmt.Fprintf(w, "checked      %s\n", checked)
	} else {
		fmt.Fprintf(w, "checked      NOT checked against a share (--unchecked): compare the xpub words\n")
	}
	fmt.Fprintf(w, "receive      %s\n", p.Receive)
	fmt.Fprintf(w, "change       %s\n", p.Change)
	fmt.Fprintf(w, "ur:crypto-account (Bitcoin, P2WPKH):\n%s\n", p.Account)
	fmt.Fprintf(w, "ur:crypto-hdkey (Ethereum, EIP-4527):\n%s\n", p.HDKey)
	if opts.qr != "" {
		fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(opts.qr, "account-btc.png"), filepath.Join(opts.qr, "account-eth.png"))
	}
	return nil
}

// writePairingQR renders each UR (qr.VerifiedPNG checks it reads back)
// and creates the files only when both do.
func writePairingQR(dir string, p *txn.Pairing) error {
	imgs := map[string][]byte{}
	for name, frame := range map[string]string{"account-btc.png": p.Account, "account-eth.png": p.HDKey} {
		img, err := qr.VerifiedPNG(frame)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		imgs[name] = img
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"account-btc.png", "account-eth.png"} {
		path := filepath.Join(dir, name)
		if err := atomicfile.Create(path, imgs[name], 0o644); err != nil {
			return createError(path, err, "choose another --qr DIR")
		}
	}
	return nil
}
