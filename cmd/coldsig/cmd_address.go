package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/keyshare"
)

func init() { register(newAddressCommand) }

type addressOptions struct {
	key   string
	paths []string
	json  bool
}

type addressJSON struct {
	Path       string `json:"path"`
	PublicKey  string `json:"public_key"`
	EthAddress string `json:"eth_address"`
	BTCAddress string `json:"btc_address"`
}

func newAddressCommand() *cobra.Command {
	opts := &addressOptions{}
	cmd := &cobra.Command{
		Use:   "address --key public.json [--path m/0/7]...",
		Short: "Show the addresses and public key of a key or of its BIP32 children",
		Long: `Print the public key, the Ethereum address (EIP-55) and the Bitcoin native
segwit address (P2WPKH, bc1q..., mainnet) of a secp256k1 key's BIP32 child at
each --path, derived from the xpub in public.json; without --path, of the key
itself. Nothing secret is needed: a watch-only wallet that imports the xpub
(or the descriptor in public.json) derives the same addresses.

Only non-hardened paths exist for a threshold key (no party holds the whole
private key a hardened child needs). Ed25519 keys have no child keys, and a
key made before coldsig supported HD keys (public.json without an xpub) has
none either.

EXAMPLES
  coldsig address --key public.json --path m/0/7
  coldsig address --key public.json --path m/0/0 --path m/0/1 --json

EXIT STATUS
  0  printed
  1  public.json is unreadable or invalid, or the key has no such child
  2  bad flags or arguments`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runAddress(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "the key's `public.json`")
	f.StringArrayVar(&opts.paths, "path", nil, "derivation `PATH` such as m/0/7 (repeat)")
	f.BoolVar(&opts.json, "json", false, "print a JSON array")
	return cmd
}

func runAddress(cmd *cobra.Command, opts *addressOptions) error {
	if err := requireFlags(cmd, "key"); err != nil {
		return err
	}
	pub, err := loadPublic(opts.key)
	if err != nil {
		return err
	}
	if pub.Curve != keyshare.CurveSecp256k1 {
		if len(opts.paths) > 0 {
			return withHint(fmt.Errorf("%s: key %s is an ed25519 key; Ed25519 has no non-hardened (public) derivation standard, so it has no child keys", opts.key, pub.KeyID),
				"leave out --path; the key's own public key is in public.json")
		}
		return withHint(fmt.Errorf("%s: key %s is an ed25519 key; addresses are shown for secp256k1 keys", opts.key, pub.KeyID), "the key's public key is in public.json")
	}
	paths := opts.paths
	if len(paths) == 0 {
		paths = []string{"m"}
	}
	var out []addressJSON
	for _, s := range paths {
		path, err := parsePathFlag(pub, s)
		if err != nil {
			return err
		}
		key, err := pub.KeyAt(path)
		if err != nil {
			return fmt.Errorf("%s: %w", opts.key, err)
		}
		eth, err := keyshare.EthAddress(key)
		if err != nil {
			return err
		}
		btc, err := hd.P2WPKH(key)
		if err != nil {
			return err
		}
		out = append(out, addressJSON{Path: path.String(), PublicKey: hex.EncodeToString(key), EthAddress: eth, BTCAddress: btc})
	}
	w := getEnv(cmd).stdout
	if opts.json {
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(w, string(b))
		return nil
	}
	fmt.Fprintf(w, "key          %s\n", pub.KeyID)
	if pub.XPub != "" {
		fmt.Fprintf(w, "xpub         %s\n", pub.XPub)
	}
	for _, a := range out {
		fmt.Fprintf(w, "path         %s\n", a.Path)
		fmt.Fprintf(w, "public key   %s\n", a.PublicKey)
		fmt.Fprintf(w, "eth address  %s\n", a.EthAddress)
		fmt.Fprintf(w, "btc address  %s (P2WPKH)\n", a.BTCAddress)
	}
	return nil
}
