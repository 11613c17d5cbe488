package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/keyshare"
)

func init() { register(newVerifyCommand) }

type verifyOptions struct {
	key       string
	signature string
}

func newVerifyCommand() *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --key public.json --signature signature.json",
		Short: "Check a signature result against a public key result",
		Long: `Check that signature.json was made by the key in public.json: ECDSA with
Go's crypto/ecdsa plus Ethereum-style public key recovery (v, eth_signature,
eth_address, der are all checked), Ed25519 with crypto/ed25519 (RFC 8032).

EXAMPLES
  coldsig verify --key alice-kg/result/public.json --signature alice-sg/result/signature.json

EXIT STATUS
  0 the signature verifies; 1 it does not, or a file is invalid.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.key == "" || opts.signature == "" {
				return usageErrorf("verify needs --key and --signature")
			}
			pub, sig, err := loadPublicAndSignature(opts.key, opts.signature)
			if err != nil {
				return err
			}
			if err := sig.Verify(pub); err != nil {
				return fmt.Errorf("%s: %w", opts.signature, err)
			}
			out := getEnv(cmd).stdout
			fmt.Fprintf(out, "OK: valid %s signature by key %s\n", sig.Curve, pub.KeyID)
			if sig.EthAddress != "" {
				fmt.Fprintf(out, "address   %s\n", sig.EthAddress)
			}
			fmt.Fprintf(out, "signed    %s\n", describeSigned(sig))
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.key, "key", "", "the key's `public.json`")
	cmd.Flags().StringVar(&opts.signature, "signature", "", "the `signature.json` to check")
	return cmd
}

func describeSigned(s *ceremony.SignatureFile) string {
	switch s.Payload.Kind {
	case "eip191", "message":
		return fmt.Sprintf("%s %q", s.Payload.Kind, s.Payload.Text)
	case "file":
		return fmt.Sprintf("file %s (sha256 %s)", s.Payload.File, s.Payload.FileSHA256)
	}
	return "digest " + s.Digest
}

// loadPublicAndSignature reads a public.json and a signature.json; errors
// name the file.
func loadPublicAndSignature(pubPath, sigPath string) (*keyshare.Public, *ceremony.SignatureFile, error) {
	pub, err := keyshare.LoadPublic(pubPath)
	if err != nil {
		return nil, nil, err
	}
	sig, err := ceremony.LoadSignature(sigPath)
	if err != nil {
		return nil, nil, err
	}
	return pub, sig, nil
}
