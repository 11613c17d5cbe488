package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
)

func init() { register(newVerifyCommand) }

type verifyOptions struct {
	key       string
	signature string
	file      string
	message   string
}

func newVerifyCommand() *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --key public.json --signature signature.json",
		Short: "Check a signature result against a public key result",
		Long: `Check that signature.json was made by the key in public.json: ECDSA with
Go's crypto/ecdsa plus Ethereum-style public key recovery (v, eth_signature,
eth_address, der are all checked), Ed25519 with crypto/ed25519 (RFC 8032).
A signature by a child key (its path is in signature.json) is checked under
the child that public.json's xpub derives at that path. A batch signing
writes one file per item (signature-01.json, ...); verify each.

Neither file is signed, so nothing in them is taken on trust: the key id and
the address are recomputed from the public key; a key that is not a proper
point is refused (secp256k1: a compressed point on the curve; Ed25519: a
canonical encoding of a point of the prime-order subgroup, never the
identity or a small-order point, which would "verify" forged signatures);
an Ed25519 signature's R must be such a point and S below the group order;
the signed bytes are recomputed from the payload text or digest. The OK
lines print only what was verified: a file's name and size are not signed,
only its SHA-256.

--file F recomputes F's SHA-256 and requires it to be the signed file's;
--message M requires M to be exactly the signed text (and, for an EIP-191
message, recomputes its digest). Either way the payload itself is checked,
not only the signature file's description of it.

EXAMPLES
  coldsig verify --key alice-kg/result/public.json --signature alice-sg/result/signature.json
  coldsig verify --key public.json --signature signature.json --file release.tar.gz
  coldsig verify --key public.json --signature signature.json --message 'I control this address'

EXIT STATUS
  0 the signature verifies; 1 it does not, or a file is invalid; 2 bad
  usage.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "key", "signature"); err != nil {
				return err
			}
			if opts.file != "" && cmd.Flags().Changed("message") {
				return usageErrorf("give --file or --message, not both")
			}
			pub, sig, err := loadPublicAndSignature(opts.key, opts.signature)
			if err != nil {
				return err
			}
			// Verify recomputes key id and address from the key, refuses
			// weak keys, and recomputes the signed bytes from the payload.
			if err := sig.Verify(pub); err != nil {
				return fmt.Errorf("%s: %w", opts.signature, err)
			}
			matched, err := checkPayload(cmd, opts, sig)
			if err != nil {
				return err
			}
			out := getEnv(cmd).stdout
			printVerified(out, sig)
			if matched != "" {
				fmt.Fprintf(out, "matches   %s\n", matched)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.key, "key", "", "the key's `public.json`")
	cmd.Flags().StringVar(&opts.signature, "signature", "", "the `signature.json` to check")
	cmd.Flags().StringVar(&opts.file, "file", "", "also check that the signed file is `FILE` (its SHA-256)")
	cmd.Flags().StringVar(&opts.message, "message", "", "also check that the signed text is exactly `TEXT`")
	return cmd
}

// checkPayload compares what --file or --message give with the signed
// payload (which Verify has tied to the signed bytes) and says what
// matched.
func checkPayload(cmd *cobra.Command, opts *verifyOptions, sig *ceremony.SignatureFile) (string, error) {
	switch {
	case opts.file != "":
		if err := sig.OverFile(); err != nil {
			return "", fmt.Errorf("--file: %w", err)
		}
		f, err := os.Open(opts.file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		sum, err := sig.MatchFile(f)
		if errors.Is(err, ceremony.ErrNotSigned) {
			return "", withHint(fmt.Errorf("%s: %w", termsafe.Path(opts.file), err), "check that this is the file that was planned, byte for byte")
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", termsafe.Path(opts.file), err)
		}
		return fmt.Sprintf("%s (SHA-256 %s recomputed from the file)", termsafe.Path(opts.file), sum), nil
	case cmd.Flags().Changed("message"):
		d, err := sig.MatchMessage(opts.message)
		if errors.Is(err, ceremony.ErrNotSigned) {
			return "", withHint(fmt.Errorf("--message: %w", err), "the signature covers exactly the signed text, byte for byte (spaces, case and line ends count)")
		}
		if err != nil {
			return "", fmt.Errorf("--message: %w", err)
		}
		if d != nil {
			return fmt.Sprintf("the given message (EIP-191 digest %x recomputed)", d), nil
		}
		return "the given message, byte for byte", nil
	}
	return "", nil
}

// printVerified prints only what Verify proved: the key (its id and
// address recomputed from it), and the signed bytes as recomputed from the
// payload description. A file payload's name and size are not covered by
// the signature, only its SHA-256, and say so.
func printVerified(out io.Writer, s *ceremony.SignatureFile) {
	fmt.Fprintf(out, "OK: valid %s signature by key %s\n", s.Curve, s.KeyID)
	fmt.Fprintf(out, "key       %s\n", s.PublicKey)
	if s.Path != "" {
		fmt.Fprintf(out, "child     %s, public key %s (derived from the key's xpub)\n", s.Path, s.ChildPublicKey)
	}
	if s.Items > 1 {
		fmt.Fprintf(out, "item      %d of %d of session %s\n", s.Item, s.Items, termsafe.String(s.Session))
	}
	if s.EthAddress != "" {
		fmt.Fprintf(out, "address   %s\n", s.EthAddress)
	}
	switch s.Payload.Kind {
	case "eip191":
		fmt.Fprintf(out, "signed    EIP-191 personal message %s (digest %s)\n", strconv.Quote(s.Payload.Text), s.Digest)
	case "message":
		fmt.Fprintf(out, "signed    message %s\n", strconv.Quote(s.Payload.Text))
	case "file":
		fmt.Fprintf(out, "signed    SHA-256 %s of a file\n", s.Payload.FileSHA256)
		fmt.Fprintf(out, "          described as %s, %d bytes (name and size are not signed: hash the file and compare)\n", termsafe.String(s.Payload.File), s.Payload.FileSize)
	case "psbt-input", "eth-tx", "eip712":
		fmt.Fprintf(out, "signed    %s digest %s of the signing plan's transaction (the plan shows the transaction; its signed form is in the signing's result/)\n", s.Payload.Kind, s.Digest)
	default:
		fmt.Fprintf(out, "signed    raw digest %s\n", s.Digest)
	}
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
