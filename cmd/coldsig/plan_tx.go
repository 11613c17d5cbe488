package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/txscript"
	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn"
	"github.com/coldsig/coldsig/txn/btc"
	"github.com/coldsig/coldsig/txn/eth"
	"github.com/coldsig/coldsig/txn/ur"
)

// planTxOptions are plan sign's transaction flags.
type planTxOptions struct {
	psbt, ethTx, eip712 string
	chainID             uint64
	network             string
	finalize            bool
	allowForeign        bool
	allowSighash        []string
}

func (o *planTxOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.psbt, "psbt", "", "sign the Bitcoin PSBT in `FILE` (binary, base64, or ur:crypto-psbt frames or QR images)")
	f.StringVar(&o.ethTx, "eth-tx", "", "sign the Ethereum transaction in `FILE` (JSON, unsigned hex, or ur:eth-sign-request)")
	f.StringVar(&o.eip712, "eip712", "", "sign the EIP-712 typed data (JSON) in `FILE`")
	f.Uint64Var(&o.chainID, "chain-id", 0, "the Ethereum chain `ID` the transaction must be for (1 for mainnet)")
	f.StringVar(&o.network, "network", "mainnet", "the Bitcoin `NETWORK` addresses are shown for: mainnet, testnet, signet or regtest (not bound by the signature)")
	f.BoolVar(&o.finalize, "finalize", false, "also finalize the PSBT and write the raw transaction")
	f.BoolVar(&o.allowForeign, "allow-foreign-inputs", false, "sign this key's inputs of a PSBT that also spends inputs of other keys")
	f.StringArrayVar(&o.allowSighash, "allow-sighash", nil, "let this key's inputs use sighash `TYPE` (NONE, SINGLE, ALL|ANYONECANPAY, ...) besides ALL")
}

func (o *planTxOptions) given() int {
	n := 0
	for _, s := range []string{o.psbt, o.ethTx, o.eip712} {
		if s != "" {
			n++
		}
	}
	return n
}

// txRequest reads the transaction flag's file into a request. paths are
// the --path flags given (at most one, for Ethereum).
func (o *planTxOptions) txRequest(cmd *cobra.Command, pub *keyshare.Public, paths []payloadFlag) (*txn.Request, error) {
	if o.given() != 1 {
		return nil, usageErrorf("give one of --psbt, --eth-tx or --eip712").withHint("a plan signs one transaction; make one plan per transaction")
	}
	changed := func(name string) bool { return cmd.Flags().Changed(name) }
	if pub.Curve != keyshare.CurveSecp256k1 {
		return nil, withHint(fmt.Errorf("key %s is an %s key; Bitcoin and Ethereum transactions are signed with secp256k1 keys", pub.KeyID, pub.Curve), "use the public.json of a secp256k1 key")
	}
	if o.psbt != "" {
		if changed("chain-id") || len(paths) > 0 {
			return nil, usageErrorf("--chain-id and --path are for Ethereum; a PSBT names the path of each input itself")
		}
		return o.psbtRequest(cmd)
	}
	for _, name := range []string{"network", "finalize", "allow-foreign-inputs", "allow-sighash"} {
		if changed(name) {
			return nil, usageErrorf("--%s is for PSBTs", name)
		}
	}
	if o.chainID == 0 {
		return nil, usageErrorf("--chain-id is required with --eth-tx and --eip712").
			withHint("state the chain the transaction must be for (1 Ethereum mainnet, 11155111 Sepolia, ...): a request for another chain is refused")
	}
	if len(paths) > 1 {
		return nil, usageErrorf("one --path for one transaction")
	}
	var path hd.Path
	if len(paths) == 1 {
		p, err := parsePathFlag(pub, paths[0].value)
		if err != nil {
			return nil, err
		}
		if len(p) > 0 {
			path = p
		}
	}
	if o.eip712 != "" {
		data, typ, err := readTxInput(cmd, o.eip712, eth.MaxTypedData, []string{ur.TypeEthSignRequest})
		if err != nil {
			return nil, err
		}
		if typ != "" {
			return nil, usageErrorf("%s holds an eth-sign-request; give it with --eth-tx (it carries its own path)", o.eip712)
		}
		if _, err := eth.ParseTypedData(data); err != nil {
			return nil, txHint(fmt.Errorf("%s: %w", o.eip712, err))
		}
		return &txn.Request{Kind: txn.EIP712, Data: data, ChainID: o.chainID, Path: path}, nil
	}
	data, typ, err := readTxInput(cmd, o.ethTx, eth.MaxInput, []string{ur.TypeEthSignRequest})
	if err != nil {
		return nil, err
	}
	if typ == ur.TypeEthSignRequest {
		if path != nil {
			return nil, usageErrorf("--path: an eth-sign-request names its own derivation path")
		}
		return &txn.Request{Kind: txn.EthSignRequest, Data: data, ChainID: o.chainID}, nil
	}
	self, err := pub.KeyAt(nil)
	if err != nil {
		return nil, err
	}
	req, err := txn.NewEthTx(data, o.chainID, txn.Key{PublicKey: self, Account: pub.Account()}, path)
	if errors.Is(err, eth.ErrFrom) {
		return nil, withHint(fmt.Errorf("%s: %w", o.ethTx, err), "give the --path of the child that holds the funds, or fix \"from\"")
	}
	if err != nil {
		return nil, txHint(fmt.Errorf("%s: %w", o.ethTx, err))
	}
	return req, nil
}

func (o *planTxOptions) psbtRequest(cmd *cobra.Command) (*txn.Request, error) {
	net := btc.Network(o.network)
	if _, err := net.Params(); err != nil {
		return nil, usageErrorf("--network: %v", err)
	}
	r := &txn.Request{Kind: txn.PSBT, Network: net, Finalize: o.finalize, AllowForeign: o.allowForeign}
	if o.finalize && o.allowForeign {
		return nil, usageErrorf("--finalize needs every input signed; with --allow-foreign-inputs the others are signed later").
			withHint("finalize in the wallet once every signer has signed")
	}
	for _, s := range o.allowSighash {
		h, err := btc.ParseSighash(s)
		if err != nil {
			return nil, usageErrorf("--allow-sighash: %v", err)
		}
		if h == txscript.SigHashAll {
			return nil, usageErrorf("--allow-sighash ALL: SIGHASH_ALL is always allowed; name only the others")
		}
		r.AllowSighash = append(r.AllowSighash, h)
	}
	data, typ, err := readTxInput(cmd, o.psbt, btc.MaxPSBT*4/3+1024, []string{ur.TypeCryptoPSBT, ur.TypePSBT})
	if err != nil {
		return nil, err
	}
	if typ != "" {
		if data, err = ur.PSBT(data); err != nil {
			return nil, fmt.Errorf("%s: %w", o.psbt, err)
		}
	}
	if r.Data, err = btc.Decode(data); err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", o.psbt, err), "export the PSBT from the wallet as a file (binary or base64) or show it as ur:crypto-psbt QR codes")
	}
	return r, nil
}

// readTxInput reads a transaction file, or UR frames of one of types (a
// text file of frames, QR images, or a directory of them), naming each
// input skipped. typ is the UR type read ("" for a plain file), and data
// its CBOR message.
func readTxInput(cmd *cobra.Command, path string, max int, types []string) (data []byte, typ string, err error) {
	e := getEnv(cmd)
	report := func(ev qr.Event) {
		if ev.Kind == qr.Skipped {
			fmt.Fprintf(e.stderr, "coldsig: skipped %s: %s\n", termsafe.Path(ev.Source), termsafe.Line(ev.Err.Error()))
		}
	}
	data, typ, err = qr.ReadMessage(cmd.Context(), path, max, types, report)
	if errors.Is(err, qr.ErrIncomplete) || errors.Is(err, qr.ErrPayloadCorrupt) {
		return nil, "", withHint(err, fmt.Sprintf("give every frame of the %s QR codes (images, or their text, one per line)", strings.Join(types, " or ")))
	}
	return data, typ, err
}

// txHint adds what to do about a refused transaction.
func txHint(err error) error {
	hints := []struct {
		err  error
		hint string
	}{
		{btc.ErrForeignInput, "this key signs only PSBTs whose inputs are all its own; to add its signatures to a shared transaction, give --allow-foreign-inputs"},
		{btc.ErrSighash, "ask the wallet for SIGHASH_ALL; allow another type with --allow-sighash only if you know why the transaction needs it"},
		{btc.ErrUTXOMismatch, "the PSBT contradicts itself about an amount it spends: do not sign it; rebuild it in the watch-only wallet"},
		{btc.ErrUTXO, "export the PSBT with the full previous transactions (Sparrow and Bitcoin Core include them by default)"},
		{btc.ErrNetwork, "give --network for the network the wallet made the PSBT on: the signature does not bind it, so a wrong one only shows the wrong addresses"},
		{btc.ErrChange, "the PSBT claims change that does not go to this key: do not sign it; rebuild it in a watch-only wallet paired with 'coldsig account'"},
		{btc.ErrDerivation, "the PSBT names keys this key does not have: check that the wallet was paired with this key's 'coldsig account' export"},
		{btc.ErrInputType, "a threshold ECDSA key signs P2WPKH and P2SH-P2WPKH inputs of its own addresses"},
		{eth.ErrChainID, "check --chain-id and the network the wallet made the transaction for"},
		{eth.ErrFrom, "the request is for another address: check --path and the wallet's account"},
		{txn.ErrKey, "the request is for another key or account: pair the wallet with this key's 'coldsig account' export"},
	}
	for _, h := range hints {
		if errors.Is(err, h.err) {
			return withHint(err, h.hint)
		}
	}
	return err
}
