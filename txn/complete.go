package txn

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn/btc"
	"github.com/coldsig/coldsig/txn/ur"
)

// Output file names, in a signing's result directory.
const (
	FileSignedPSBT   = "signed.psbt"          // the PSBT with this key's partial signatures (binary)
	FileFinalPSBT    = "final.psbt"           // finalized PSBT (binary), with --finalize
	FileRawTx        = "tx.hex"               // raw Bitcoin transaction, hex, with --finalize
	FileEthTx        = "eth-tx.hex"           // signed raw Ethereum transaction, 0x-hex
	FileEIP712       = "eip712-signature.hex" // 65-byte r||s||v (v 27/28), 0x-hex
	FileEthSignature = "eth-signature.ur"     // ur:eth-signature for the requesting wallet
)

// Sig is one ECDSA signature from the ceremony: r and s, 32 bytes each.
type Sig struct {
	R, S []byte
}

// File is one output of a completed request.
type File struct {
	Name string
	Data []byte
	// What says what it is, for the officer's screen.
	What string
}

// Complete turns the ceremony's signatures (one per Signing, in order)
// into the request's outputs. Everything is re-derived from the request's
// bytes and checked before it is returned: Bitcoin inputs are executed by
// btcd's script engine, Ethereum signatures recover to the signing key.
func (r *Request) Complete(k Key, sigs []Sig) ([]File, error) {
	a, err := r.Analyze(k)
	if err != nil {
		return nil, err
	}
	if len(sigs) != len(a.Signings) {
		return nil, fmt.Errorf("%w: %d signatures for %d signings", ErrRequest, len(sigs), len(a.Signings))
	}
	switch {
	case a.btc != nil:
		bs := make([]btc.Sig, len(sigs))
		for i, s := range sigs {
			bs[i] = btc.Sig{R: s.R, S: s.S}
		}
		res, err := a.btc.Complete(bs, r.Finalize)
		if err != nil {
			return nil, err
		}
		files := []File{{FileSignedPSBT, res.Signed, "PSBT with this key's signatures (load it in the wallet)"}}
		if r.Finalize {
			files = append(files,
				File{FileFinalPSBT, res.Final, "finalized PSBT"},
				File{FileRawTx, btc.RawTxHex(res.RawTx), fmt.Sprintf("raw transaction %s (%d vB), verified by btcd's script engine; broadcast from an online machine", res.TxID, res.VSize)})
		}
		return files, nil
	case a.eth != nil:
		signed, err := a.eth.Sign(sigs[0].R, sigs[0].S, a.Signings[0].PublicKey)
		if err != nil {
			return nil, err
		}
		files := []File{{FileEthTx, []byte("0x" + hex.EncodeToString(signed.Raw) + "\n"),
			fmt.Sprintf("signed transaction %s; broadcast with eth_sendRawTransaction from an online machine", signed.Hash.Hex())}}
		return appendEthSignature(files, a.reqID, signed.Sig)
	default:
		sig, err := a.typed.SignTyped(sigs[0].R, sigs[0].S, a.Signings[0].PublicKey)
		if err != nil {
			return nil, err
		}
		files := []File{{FileEIP712, []byte("0x" + hex.EncodeToString(sig) + "\n"), "EIP-712 signature r||s||v (65 bytes)"}}
		return appendEthSignature(files, a.reqID, sig)
	}
}

// appendEthSignature adds the ur:eth-signature answer when the request
// came as an eth-sign-request (the wallet matches it by request id).
func appendEthSignature(files []File, reqID, sig []byte) ([]File, error) {
	if reqID == nil {
		return files, nil
	}
	msg, err := ur.EncodeEthSignature(&ur.EthSignature{RequestID: reqID, Signature: sig, Origin: "coldsig"})
	if err != nil {
		return nil, err
	}
	// One frame: a signature is ~100 bytes, far below a fragment.
	e, err := qr.NewTypedEncoder(ur.TypeEthSignature, msg, &qr.Options{MaxFragmentLen: 1000})
	if err != nil {
		return nil, err
	}
	text := strings.ToLower(strings.Join(e.Frames(), "\n")) + "\n"
	return append(files, File{FileEthSignature, []byte(text), "ur:eth-signature for the requesting wallet (show it as a QR code)"}), nil
}
