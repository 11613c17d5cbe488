package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn"
)

func init() { register(newAccountCommand) }

type accountOptions struct {
	key string
	qr  string
}

func newAccountCommand() *cobra.Command {
	opts := &accountOptions{}
	cmd := &cobra.Command{
		Use:   "account --key public.json [--qr DIR]",
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

With --qr DIR, each UR is also written as a QR code image, DIR/account-btc.png
and DIR/account-eth.png (DIR is created; existing files are never
replaced), and each image is read back before it is kept.

The export holds the xpub, which links every address of the key: treat it
like public.json.

EXAMPLES
  coldsig account --key public.json
  coldsig account --key public.json --qr pairing/

EXIT STATUS
  0  printed (and written)
  1  public.json is unreadable, not a secp256k1 key with an xpub, or an
     image exists or cannot be written
  2  bad flags or arguments`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runAccount(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "the key's `public.json`")
	f.StringVar(&opts.qr, "qr", "", "also write the URs as QR images in `DIR`")
	return cmd
}

func runAccount(cmd *cobra.Command, opts *accountOptions) error {
	if err := requireFlags(cmd, "key"); err != nil {
		return err
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
	p, err := txn.Pair(acct, "coldsig "+pub.KeyID[:8])
	if err != nil {
		return err
	}
	if opts.qr != "" {
		if err := writePairingQR(opts.qr, p); err != nil {
			return err
		}
	}
	w := getEnv(cmd).stdout
	fmt.Fprintf(w, "key          %s\n", pub.KeyID)
	fmt.Fprintf(w, "fingerprint  %x\n", p.Fingerprint)
	fmt.Fprintf(w, "xpub         %s\n", p.XPub)
	fmt.Fprintf(w, "receive      %s\n", p.Receive)
	fmt.Fprintf(w, "change       %s\n", p.Change)
	fmt.Fprintf(w, "ur:crypto-account (Bitcoin, P2WPKH):\n%s\n", p.Account)
	fmt.Fprintf(w, "ur:crypto-hdkey (Ethereum, EIP-4527):\n%s\n", p.HDKey)
	if opts.qr != "" {
		fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(opts.qr, "account-btc.png"), filepath.Join(opts.qr, "account-eth.png"))
	}
	return nil
}

// writePairingQR renders each UR, scans the image back, and creates the
// files only when both read back as written.
func writePairingQR(dir string, p *txn.Pairing) error {
	imgs := map[string][]byte{}
	for name, frame := range map[string]string{"account-btc.png": p.Account, "account-eth.png": p.HDKey} {
		img, err := qr.Render(frame, 0)
		if err != nil {
			return err
		}
		got, err := qr.Scan(img)
		if err != nil || !strings.EqualFold(got, frame) {
			return fmt.Errorf("%s: the rendered QR code does not read back (%v)", name, err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		imgs[name] = b.Bytes()
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
