package txn

import (
	"fmt"
	"strings"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/qr"
	"github.com/coldsig/coldsig/txn/ur"
)

// Pairing is what a watch-only wallet imports to follow a key and to
// prepare transactions for it: output descriptors for Bitcoin Core and
// BDK, and UR QR codes for Sparrow-style (crypto-account) and
// MetaMask-style (crypto-hdkey, EIP-4527) wallets. The key is the BIP32
// master of its descriptors, so the wallets derive receive addresses m/0/i
// and change m/1/i and name them with its fingerprint in PSBTs and
// eth-sign-requests, which is what coldsig checks when it signs.
type Pairing struct {
	Fingerprint [4]byte
	XPub        string
	// Receive and Change are wpkh descriptors with checksums.
	Receive, Change string
	// Account is ur:crypto-account (one P2WPKH output descriptor);
	// HDKey ur:crypto-hdkey for Ethereum (coin type 60). Both are a single
	// UR frame, upper case as QR alphanumeric mode wants it.
	Account, HDKey string
}

// Pair makes the pairing export of an account key; name labels it in the
// wallet.
func Pair(account *hd.Key, name string) (*Pairing, error) {
	if account == nil || account.Depth != 0 {
		return nil, fmt.Errorf("%w: pairing exports a key's own account (depth 0)", ErrKey)
	}
	fp := account.Fingerprint()
	p := &Pairing{Fingerprint: fp, XPub: account.XPub(), Receive: account.ReceiveDescriptor()}
	change := fmt.Sprintf("wpkh([%x]%s/1/*)", fp, p.XPub)
	sum, err := hd.DescriptorChecksum(change)
	if err != nil {
		return nil, err
	}
	p.Change = change + "#" + sum
	depth := uint8(0)
	key := func(coin uint32) *ur.HDKey {
		return &ur.HDKey{PublicKey: account.PublicKey, ChainCode: account.ChainCode, Coin: coin, Name: name,
			Origin: ur.Keypath{SourceFingerprint: ur.Fingerprint(fp), Depth: &depth}}
	}
	acct, err := ur.EncodeAccount(ur.Fingerprint(fp), key(0))
	if err != nil {
		return nil, err
	}
	if p.Account, err = single(ur.TypeCryptoAccount, acct); err != nil {
		return nil, err
	}
	hk, err := ur.EncodeHDKey(key(60))
	if err != nil {
		return nil, err
	}
	if p.HDKey, err = single(ur.TypeCryptoHDKey, hk); err != nil {
		return nil, err
	}
	return p, nil
}

// single is msg as one UR frame (a pairing QR is static, not animated).
func single(typ string, msg []byte) (string, error) {
	e, err := qr.NewTypedEncoder(typ, msg, &qr.Options{MaxFragmentLen: 2000})
	if err != nil {
		return "", err
	}
	f := e.Frames()
	if len(f) != 1 || strings.Count(f[0], "/") != 1 {
		return "", fmt.Errorf("%s does not fit one QR code", typ)
	}
	return f[0], nil
}
