package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

func init() { register(newPlanCommand) }

func newPlanCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Write and show ceremony plans (keygen, sign, reshare)",
		Long: `A ceremony plan is the one file every party of a ceremony loads. It names a
fresh session id, the protocol, the curve, the threshold, and every party's
card in full; a signing plan also names the key and exactly what will be
signed, a resharing plan the old and the new committee.

The coordinator writes the plan and copies it to every party. Before anything
secret is computed, every officer runs 'coldsig plan show PLAN' and reads the
plan fingerprint words aloud; all must match.`,
		Args: exactArgs(0, "a subcommand"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPlanKeygenCommand(), newPlanSignCommand(), newPlanReshareCommand(), newPlanShowCommand())
	return cmd
}

type planKeygenOptions struct {
	curve     string
	threshold int
	parties   []string
	out       string
}

func newPlanKeygenCommand() *cobra.Command {
	var opts planKeygenOptions
	cmd := &cobra.Command{
		Use:   "keygen --curve CURVE --threshold K --party CARD... -o PLAN",
		Short: "Plan a distributed key generation",
		Long: `Write a plan for generating a new K-of-N threshold key: the N parties are the
--party cards, in the order given (it becomes the key's party order), and any
K of them will be able to sign. K counts signers: 2 for 2-of-3. 2 <= K <= N,
and 2 <= N <= 16.

PLAN is never overwritten; on any error nothing is written.

EXAMPLES
  coldsig plan keygen --curve secp256k1 --threshold 2 \
      --party alice.card --party bob.card --party carol.card -o keygen.plan
  coldsig plan keygen --curve ed25519 --threshold 3 --party a.card \
      --party b.card --party c.card --party d.card --party e.card -o k.plan

EXIT STATUS
  0  plan written
  1  a card is unreadable or invalid, the plan is invalid, or PLAN exists
  2  bad flags or arguments`,
		Args: exactArgs(0, "no arguments (cards are given with --party)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPlanKeygen(cmd, &opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.curve, "curve", "", "`CURVE` of the new key: secp256k1 or ed25519")
	f.IntVar(&opts.threshold, "threshold", 0, "number of signers `K` the key will need (2 for 2-of-3)")
	f.StringArrayVar(&opts.parties, "party", nil, "a party's `CARD` file (repeat, in party order)")
	f.StringVarP(&opts.out, "output", "o", "", "write the plan to `PLAN` (must not exist)")
	return cmd
}

func runPlanKeygen(cmd *cobra.Command, opts *planKeygenOptions) error {
	if err := requireFlags(cmd, "curve", "threshold", "party", "output"); err != nil {
		return err
	}
	if opts.curve != keyshare.CurveSecp256k1 && opts.curve != keyshare.CurveEd25519 {
		return usageErrorf("unknown curve %q", opts.curve).withHint("use --curve secp256k1 or --curve ed25519")
	}
	if err := checkAbsent(opts.out, planOutputHint); err != nil {
		return err
	}
	cards, err := loadPlanCards("--party", opts.parties)
	if err != nil {
		return err
	}
	p, err := plan.NewKeygen(opts.curve, opts.threshold, cards)
	if err != nil {
		return planErr(err)
	}
	return writePlan(cmd, p, opts.out)
}

type planSignOptions struct {
	key     string
	signers []string
	batch   string
	out     string
	// items are the --digest, --message, --file and --path flags in the
	// order given (pflag keeps no order across flags).
	items payloadFlags
	// tx are the transaction flags (--psbt, --eth-tx, --eip712, ...).
	tx planTxOptions
}

// payloadFlag is one --digest/--message/--file/--path occurrence.
type payloadFlag struct {
	kind  string // digest, message, file or path
	value string
}

type payloadFlags struct{ list []payloadFlag }

// orderedFlag records one flag's occurrences into the shared list.
type orderedFlag struct {
	kind string
	all  *payloadFlags
}

func (f *orderedFlag) String() string { return "" }
func (f *orderedFlag) Type() string   { return "stringArray" }
func (f *orderedFlag) Set(v string) error {
	f.all.list = append(f.all.list, payloadFlag{f.kind, v})
	return nil
}

func newPlanSignCommand() *cobra.Command {
	var opts planSignOptions
	cmd := &cobra.Command{
		Use:   "sign --key public.json --signer CARD... (--digest HEX | --message TEXT | --file PATH | --batch FILE | --psbt FILE | --eth-tx FILE | --eip712 FILE)... -o PLAN",
		Short: "Plan a signing with an existing key (payloads, a batch, or a transaction)",
		Long: `Write a plan for signing with the key described by public.json. The --signer
cards must be holders of that key (matched by card fingerprint), at least the
key's threshold of them; they are recorded in key party order.

What is signed (repeat them to sign a batch; one signature per payload, in
the order given, all in the same rounds as one signature):
  --digest HEX    secp256k1 only: a raw 32-byte digest made elsewhere.
                  Refused for ed25519: Ed25519 signs the message itself.
  --message TEXT  secp256k1: an EIP-191 personal message (Ethereum
                  personal_sign); the signed digest is
                  keccak256("\x19Ethereum Signed Message:\n" + len + TEXT).
                  ed25519: Ed25519 signs the UTF-8 bytes of TEXT.
                  Printable text, newlines and tabs only; at most 4096 bytes.
  --file PATH     the file's SHA-256 digest. secp256k1: ECDSA signs that
                  digest. ed25519: Ed25519 signs the 32 digest bytes as its
                  message (verify with the SHA-256 of the file, not the file).
  --batch FILE    every payload listed in FILE (format coldsig/batch/v1: one
                  "[PATH ]digest HEX", "[PATH ]message TEXT" or
                  "[PATH ]file PATH" per line; see docs/format.md). Files
                  named there are relative to FILE's directory.
  --path m/0/7    sign the payload that follows with the key's BIP32 child
                  at this path (secp256k1 keys with an xpub). With a single
                  payload it may come before or after it. Non-hardened
                  indexes only: a hardened child needs the whole private key,
                  which no party holds. Ed25519 keys have no paths.

At most 64 payloads. The plan lists every item with its index; 'coldsig
plan show' shows each one and the child key and address it is signed with.

Or a transaction (secp256k1 keys; one per plan, instead of payloads). The
plan binds its bytes, and every laptop decodes them and shows the same
summary before its share takes part:
  --psbt FILE     a Bitcoin PSBT (binary, base64, or ur:crypto-psbt frames:
                  a text file of them, QR images or a directory of images).
                  Every input whose BIP32 derivation names this key's
                  fingerprint is signed (P2WPKH, P2SH-P2WPKH; one item
                  each). Refused: an input of another key (unless
                  --allow-foreign-inputs), a sighash other than ALL (unless
                  --allow-sighash TYPE), an input without its previous
                  transaction or whose amount disagrees with it, change
                  that does not pay this key, Taproot and other inputs a
                  threshold ECDSA key cannot sign. --network NETWORK
                  (mainnet) names the addresses shown: it is not part of
                  what is signed (a PSBT whose wallet xpub is of another
                  network is refused); --finalize also writes the
                  finalized PSBT and the raw transaction.
  --eth-tx FILE   an Ethereum transaction: JSON (eth_signTransaction fields,
                  hex quantities), the unsigned transaction in hex (EIP-1559
                  type 2, or legacy with EIP-155), or a ur:eth-sign-request
                  (EIP-4527, which names its own path). Needs --chain-id N;
                  --path m/... signs with a child key.
  --eip712 FILE   EIP-712 typed data (JSON); needs --chain-id N, which its
                  domain must name. --path m/... signs with a child key.
The result step writes the outputs beside signature.json: signed.psbt
(final.psbt and tx.hex with --finalize), eth-tx.hex, eip712-signature.hex,
and eth-signature.ur for a request that came as ur:eth-sign-request.

PLAN is never overwritten; on any error nothing is written.

EXAMPLES
  coldsig plan sign --key public.json --signer alice.card --signer carol.card \
      --message 'I control this address' -o sign.plan
  coldsig plan sign --key public.json --signer a.card --signer b.card \
      --digest 0x5c0f...e3 -o sign.plan
  coldsig plan sign --key public.json --signer a.card --signer b.card \
      --path m/0/7 --digest 5c0f...e3 --path m/0/8 --digest 7a1b...04 -o sweep.plan
  coldsig plan sign --key public.json --signer a.card --signer b.card \
      --batch payouts.batch -o payouts.plan
  coldsig plan sign --key public.json --signer a.card --signer b.card \
      --psbt spend.psbt --finalize -o spend.plan
  coldsig plan sign --key public.json --signer a.card --signer b.card \
      --eth-tx transfer.json --chain-id 1 --path m/0/3 -o transfer.plan

EXIT STATUS
  0  plan written
  1  a file is unreadable or invalid, a signer holds no share of the key,
     a payload, path or transaction is refused, or PLAN exists
  2  bad flags or arguments`,
		Args: exactArgs(0, "no arguments (cards are given with --signer)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPlanSign(cmd, &opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "the key's `public.json`")
	f.StringArrayVar(&opts.signers, "signer", nil, "a signing party's `CARD` file (repeat)")
	f.Var(&orderedFlag{"digest", &opts.items}, "digest", "sign this 32-byte `HEX` digest (secp256k1; repeat for a batch)")
	f.Var(&orderedFlag{"message", &opts.items}, "message", "sign this `TEXT` (EIP-191 for secp256k1; repeat for a batch)")
	f.Var(&orderedFlag{"file", &opts.items}, "file", "sign the SHA-256 digest of the file at `PATH` (repeat for a batch)")
	f.Var(&orderedFlag{"path", &opts.items}, "path", "sign the next payload with the key's BIP32 child at `m/...`")
	f.StringVar(&opts.batch, "batch", "", "sign every payload listed in `FILE` (coldsig/batch/v1)")
	f.StringVarP(&opts.out, "output", "o", "", "write the plan to `PLAN` (must not exist)")
	opts.tx.addFlags(cmd)
	return cmd
}

func runPlanSign(cmd *cobra.Command, opts *planSignOptions) error {
	if err := requireFlags(cmd, "key", "signer", "output"); err != nil {
		return err
	}
	payloads := 0
	var paths []payloadFlag
	for _, it := range opts.items.list {
		if it.kind != "path" {
			payloads++
		} else {
			paths = append(paths, it)
		}
	}
	if opts.tx.given() > 0 {
		if payloads > 0 || opts.batch != "" {
			return usageErrorf("a transaction is signed alone: do not combine --psbt, --eth-tx or --eip712 with --digest, --message, --file or --batch").
				withHint("make one plan per transaction")
		}
		return runPlanSignTx(cmd, opts, paths)
	}
	for _, name := range []string{"chain-id", "finalize", "allow-foreign-inputs", "allow-sighash", "network"} {
		if cmd.Flags().Changed(name) {
			return usageErrorf("--%s goes with --psbt, --eth-tx or --eip712", name)
		}
	}
	if payloads == 0 && opts.batch == "" {
		return usageErrorf("nothing to sign: give --digest, --message, --file, --batch, --psbt, --eth-tx or --eip712").
			withHint("see 'coldsig plan sign --help'")
	}
	if opts.batch != "" && len(opts.items.list) > 0 {
		return usageErrorf("--batch lists every payload; do not combine it with --digest, --message, --file or --path").
			withHint("put all payloads in the batch file (a line may start with its path)")
	}
	pub, cards, err := loadSigners(opts)
	if err != nil {
		return err
	}
	var items []*plan.Item
	if opts.batch != "" {
		items, err = batchItems(pub, opts.batch)
	} else {
		items, err = flagItems(pub, opts.items.list)
	}
	if err != nil {
		return err
	}
	p, err := plan.NewSignItems(pub, cards, items)
	if err != nil {
		return planErr(err)
	}
	// Every signer's join refuses such a plan; say so before it travels.
	if err := ceremony.CheckSignPlan(p); err != nil {
		return withHint(err, "a retire statement is made with 'coldsig share statement' and signed by the new committee with the key itself (no --path)")
	}
	return writePlan(cmd, p, opts.out)
}

// runPlanSignTx writes a plan that signs one transaction.
func runPlanSignTx(cmd *cobra.Command, opts *planSignOptions, paths []payloadFlag) error {
	pub, cards, err := loadSigners(opts)
	if err != nil {
		return err
	}
	req, err := opts.tx.txRequest(cmd, pub, paths)
	if err != nil {
		return err
	}
	p, err := plan.NewSignTx(pub, cards, req)
	if err != nil {
		return txHint(planErr(err))
	}
	return writePlan(cmd, p, opts.out)
}

// flagItems turns the payload flags, in order, into plan items: a --path
// applies to the payload after it (with a single payload, on either side).
func flagItems(pub *keyshare.Public, list []payloadFlag) ([]*plan.Item, error) {
	var payloads, paths []payloadFlag
	for _, f := range list {
		if f.kind == "path" {
			paths = append(paths, f)
		} else {
			payloads = append(payloads, f)
		}
	}
	if len(payloads) == 1 && len(paths) == 1 {
		list = []payloadFlag{paths[0], payloads[0]}
	}
	var items []*plan.Item
	var path hd.Path
	pathGiven := ""
	for _, f := range list {
		if f.kind == "path" {
			if pathGiven != "" {
				return nil, usageErrorf("--path %s is followed by another --path (%s); each --path applies to the payload after it", pathGiven, f.value)
			}
			p, err := parsePathFlag(pub, f.value)
			if err != nil {
				return nil, err
			}
			path, pathGiven = p, f.value
			continue
		}
		pl, err := payloadFrom(pub, "--"+f.kind, f.kind, f.value, "")
		if err != nil {
			return nil, err
		}
		items = append(items, plan.NewItem(pl, path))
		path, pathGiven = nil, ""
	}
	if pathGiven != "" {
		return nil, usageErrorf("--path %s is not followed by a payload", pathGiven).
			withHint("put --path before the --digest, --message or --file it applies to")
	}
	return items, nil
}

// parsePathFlag reads a derivation path for the key, refusing what the
// key cannot do with the reason and what to do instead.
func parsePathFlag(pub *keyshare.Public, s string) (hd.Path, error) {
	if pub.Curve == keyshare.CurveEd25519 {
		return nil, withHint(fmt.Errorf("--path %s: key %s is an ed25519 key; Ed25519 has no non-hardened (public) derivation standard, so a threshold Ed25519 key has no child keys", s, pub.KeyID),
			"sign with the key itself (leave out --path)")
	}
	p, err := hd.ParsePath(s)
	if err != nil {
		if errors.Is(err, hd.ErrHardened) {
			return nil, withHint(fmt.Errorf("--path: %w", err), "use non-hardened indexes, for example m/0/7")
		}
		return nil, usageErrorf("--path: %v", err).withHint("a path looks like m/0/7")
	}
	if _, ok := pub.ChainCode(); !ok && len(p) > 0 {
		return nil, withHint(fmt.Errorf("--path %s: key %s has no chain code, so it has no child keys: it was made before coldsig supported HD keys (its public.json is %s, without an xpub)", s, pub.KeyID, pub.Format),
			"sign without --path; to use HD addresses, make a new key (keygen) and move the funds to it")
	}
	return p, nil
}

// payloadFrom builds one payload from a flag or batch line; relative file
// paths are taken relative to dir.
func payloadFrom(pub *keyshare.Public, what, kind, value, dir string) (*plan.Payload, error) {
	switch kind {
	case "digest":
		if pub.Curve == keyshare.CurveEd25519 {
			return nil, withHint(fmt.Errorf("%s: a raw digest cannot be signed with the ed25519 key %s: Ed25519 signs the message itself", what, pub.KeyID),
				"use --message TEXT or --file PATH")
		}
		d, err := plan.ParseDigest(value)
		if err != nil {
			return nil, usageErrorf("%s: %v", what, err).withHint("give 64 hex digits (32 bytes), optionally prefixed 0x")
		}
		return plan.NewDigestPayload(d), nil
	case "message":
		return plan.NewTextPayload(pub.Curve, value)
	}
	path := value
	if dir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	pl, err := plan.NewFilePayload(filepath.Base(path), f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pl, nil
}

// batchItems reads a batch file into plan items.
func batchItems(pub *keyshare.Public, path string) ([]*plan.Item, error) {
	data, err := boundedio.ReadFile(path, plan.MaxBatchFile)
	if err != nil {
		return nil, err
	}
	entries, err := plan.ParseBatch(data)
	if err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", path, err), "see docs/format.md, \"Batch file\"")
	}
	var items []*plan.Item
	for _, e := range entries {
		what := fmt.Sprintf("%s line %d", path, e.Line)
		if e.Path != nil {
			if _, err := parsePathFlag(pub, e.Path.String()); err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
		}
		pl, err := payloadFrom(pub, what, string(e.Kind), e.Value, filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		items = append(items, plan.NewItem(pl, e.Path))
	}
	return items, nil
}

type planReshareOptions struct {
	key       string
	old       []string
	new       []string
	threshold int
	out       string
}

func newPlanReshareCommand() *cobra.Command {
	var opts planReshareOptions
	cmd := &cobra.Command{
		Use:   "reshare --key public.json --old CARD... --new CARD... --threshold K -o PLAN",
		Short: "Plan moving a key to a new committee (or refreshing its shares)",
		Long: `Write a plan for resharing the key described by public.json: the --old cards
(current holders of the key, at least its threshold of them) hand the key to
the --new committee, in the order given, which gets its own threshold K
(2 <= K <= size of the new committee <= 16). The public key and address stay
the same; the old shares become useless once the new committee holds the key.

A member who stays appears in both --old and --new with the same card. A
refresh (same people, new shares) names the same cards in both lists.

PLAN is never overwritten; on any error nothing is written.

EXAMPLES
  # 2-of-3 (alice, bob, carol) to 3-of-4 (bob, carol, dave, erin)
  coldsig plan reshare --key public.json --old alice.card --old bob.card \
      --new bob.card --new carol.card --new dave.card --new erin.card \
      --threshold 3 -o reshare.plan

EXIT STATUS
  0  plan written
  1  a file is unreadable or invalid, an old member holds no share of the
     key, the plan is invalid, or PLAN exists
  2  bad flags or arguments`,
		Args: exactArgs(0, "no arguments (cards are given with --old and --new)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPlanReshare(cmd, &opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "the key's `public.json`")
	f.StringArrayVar(&opts.old, "old", nil, "a current holder's `CARD` file (repeat)")
	f.StringArrayVar(&opts.new, "new", nil, "a new committee member's `CARD` file (repeat, in order)")
	f.IntVar(&opts.threshold, "threshold", 0, "signers `K` the new committee will need")
	f.StringVarP(&opts.out, "output", "o", "", "write the plan to `PLAN` (must not exist)")
	return cmd
}

func runPlanReshare(cmd *cobra.Command, opts *planReshareOptions) error {
	if err := requireFlags(cmd, "key", "old", "new", "threshold", "output"); err != nil {
		return err
	}
	if err := checkAbsent(opts.out, planOutputHint); err != nil {
		return err
	}
	pub, err := loadPublic(opts.key)
	if err != nil {
		return err
	}
	old, err := loadHolders(pub, opts.key, "--old", opts.old)
	if err != nil {
		return err
	}
	nw, err := loadPlanCards("--new", opts.new)
	if err != nil {
		return err
	}
	p, err := plan.NewReshare(pub, old, nw, opts.threshold)
	if err != nil {
		return planErr(err)
	}
	return writePlan(cmd, p, opts.out)
}

func newPlanShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show PLAN",
		Short: "Show everything officers must confirm about a plan",
		Long: `Check PLAN and show what every officer confirms aloud before a ceremony: the
plan fingerprint words, the protocol, the curve, the threshold (K-of-N), every
party with its card fingerprint words in slot order, the key, and for a
signing exactly what will be signed.

All parties must see the same plan fingerprint words. A party whose own card
words differ from its line in the plan must stop.

EXAMPLES
  coldsig plan show keygen.plan

EXIT STATUS
  0  the plan is valid and was shown
  1  PLAN is unreadable or invalid
  2  bad flags or arguments`,
		Args: exactArgs(1, "one PLAN file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := plan.Load(args[0])
			if err != nil {
				if errors.Is(err, plan.ErrNotPlan) {
					return withHint(err, "give a plan file made by 'coldsig plan keygen|sign|reshare'")
				}
				return err
			}
			return showPlan(getEnv(cmd).stdout, p, args[0], [32]byte{})
		},
	}
}

// loadPlanCards loads the cards given with flag, refusing the same card
// given twice with both file names (the plan's own check can only say
// "party N").
func loadPlanCards(flag string, paths []string) ([]*identity.Card, error) {
	var cards []*identity.Card
	for _, path := range paths {
		c, err := identity.LoadCard(path)
		if err != nil {
			return nil, withHint(err, fmt.Sprintf("%s takes a NAME.card file made by 'coldsig identity new'", flag))
		}
		for j, o := range cards {
			if o.Equal(c) {
				return nil, withHint(fmt.Errorf("%s: same card as %s (%q, %s); each party is listed once", path, paths[j], c.Name, c.FingerprintWords()), "remove the repeated "+flag)
			}
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// loadSigners checks that the plan file is free, then reads the key and
// the --signer cards, every one a holder of the key.
func loadSigners(opts *planSignOptions) (*keyshare.Public, []*identity.Card, error) {
	if err := checkAbsent(opts.out, planOutputHint); err != nil {
		return nil, nil, err
	}
	pub, err := loadPublic(opts.key)
	if err != nil {
		return nil, nil, err
	}
	cards, err := loadHolders(pub, opts.key, "--signer", opts.signers)
	if err != nil {
		return nil, nil, err
	}
	return pub, cards, nil
}

// loadHolders loads the cards given with flag (loadPlanCards), each of
// which must hold a share of the key (checkHolders).
func loadHolders(pub *keyshare.Public, keyPath, flag string, paths []string) ([]*identity.Card, error) {
	cards, err := loadPlanCards(flag, paths)
	if err != nil {
		return nil, err
	}
	if err := checkHolders(pub, keyPath, paths, cards); err != nil {
		return nil, err
	}
	return cards, nil
}

// checkHolders refuses, naming the card file, a card that holds no share of
// the key; this is how a plan that mixes committees (or keys) shows up.
func checkHolders(pub *keyshare.Public, keyPath string, paths []string, cards []*identity.Card) error {
	var holders []string
	for _, p := range pub.Parties {
		holders = append(holders, p.Name)
	}
	for i, c := range cards {
		if !pub.Holds(c.Fingerprint()) {
			return withHint(fmt.Errorf("%s: card %q (%s) is not a holder of key %s (%s)", paths[i], c.Name, c.FingerprintWords(), pub.KeyID, keyPath),
				fmt.Sprintf("the key's holders are %s; a card from another committee or a renewed card holds no share of this key", strings.Join(holders, ", ")))
		}
	}
	return nil
}

func loadPublic(path string) (*keyshare.Public, error) {
	pub, err := keyshare.LoadPublic(path)
	if errors.Is(err, keyshare.ErrPublic) {
		return nil, withHint(err, "--key takes the public.json written by keygen or reshare")
	}
	return pub, err
}

func planErr(err error) error {
	switch {
	case errors.Is(err, plan.ErrThreshold):
		return withHint(err, "--threshold counts the signers needed: at least 2, at most the number of parties")
	case errors.Is(err, plan.ErrTooMany):
		return withHint(err, fmt.Sprintf("at most %d parties take part in one ceremony", plan.MaxParties))
	}
	return err
}

// showPlan prints the plan's description for the officer whose card
// fingerprint is me (zero: nobody).
func showPlan(w io.Writer, p *plan.Plan, path string, me [32]byte) error {
	d, err := plan.Describe(p, me)
	if err != nil {
		return err
	}
	printDescription(w, d, path)
	return nil
}

// planOutputHint: a plan already handed out must never change, so PLAN is
// checked before any card is read and again when it is written.
const planOutputHint = "choose another -o PLAN; a plan already handed out must not change"

func writePlan(cmd *cobra.Command, p *plan.Plan, path string) error {
	data, err := p.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Create(path, data, 0o644); err != nil {
		return createError(path, err, planOutputHint)
	}
	e := getEnv(cmd)
	fmt.Fprintf(e.stdout, "created %s; give it to every party and compare the fingerprint words aloud\n\n", path)
	return showPlan(e.stdout, p, path, [32]byte{})
}
