package plan

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/txn"
)

// Item is one thing a signing plan signs: a payload (what is signed and
// the digest or message the signature covers) and the key it is signed
// with (the plan's key, or its child at Path). Each item gets its own
// signature with its own fresh nonces; all items of a plan are signed in
// the same rounds.
type Item struct {
	Payload *Payload
	// Path is the BIP32 path of the child key below the plan's key (nil:
	// the key itself). Non-hardened, secp256k1 keys with a chain code only.
	Path hd.Path
}

// NewItem pairs a payload with a path (nil for the key itself; "m" is the
// key itself too and is stored as nil, so one item has one encoding).
func NewItem(pl *Payload, path hd.Path) *Item {
	if len(path) == 0 {
		path = nil
	}
	return &Item{Payload: pl, Path: path}
}

func errNoChainCode(k *Key) error {
	return invalid(ErrPath, "key %x has no chain code, so it has no child keys: it was made before coldsig supported HD keys (public.json %s). Sign without a derivation path, or move the funds to a key made by a newer keygen", k.ID, keyshare.PublicFormat)
}

// checkItems validates every item against the plan's curve and key.
func (p *Plan) checkItems() error {
	if len(p.Items) == 0 {
		return ferr("payload", 0, ErrPayload, "a sign plan needs at least one payload")
	}
	if len(p.Items) > MaxItems {
		return ferr("item", MaxItems, ErrTooMany, "%d items; at most %d can be signed in one plan", len(p.Items), MaxItems)
	}
	if k := p.Key.ChainCode; k != nil {
		if p.Curve != keyshare.CurveSecp256k1 {
			return ferr("key-chain-code", 0, ErrPath, "a chain code is defined for secp256k1 keys only, not %s", p.Curve)
		}
		if len(k) != 32 || bytes.Equal(k, make([]byte, 32)) {
			return ferr("key-chain-code", 0, nil, "chain code must be 32 bytes, not all zero")
		}
	}
	for i, it := range p.Items {
		which := ""
		if len(p.Items) > 1 {
			which = fmt.Sprintf("item %d: ", i+1)
		}
		if it == nil || it.Payload == nil {
			return ferr("payload", i, ErrPayload, "%sno payload", which)
		}
		if err := it.Payload.validate(p.Curve); err != nil {
			var ie *invalidErr
			if errors.As(err, &ie) {
				return &fieldErr{"payload", i, &invalidErr{which + ie.msg, ie.kinds}}
			}
			return &fieldErr{"payload", i, err}
		}
		if it.Path != nil {
			if err := p.checkPath(i, it.Path); err != nil {
				return err
			}
		}
		for j := 0; j < i; j++ {
			o := p.Items[j]
			if o.Path.Equal(it.Path) && bytes.Equal(p.SignedBytes(j), p.SignedBytes(i)) {
				return ferr("payload", i, ErrPayload, "item %d signs the same bytes with the same key as item %d; list each payload once", i+1, j+1)
			}
		}
	}
	return p.checkTx()
}

// TxKey is the plan's key as a transaction request sees it.
func (p *Plan) TxKey() txn.Key {
	return txn.Key{PublicKey: p.Key.PublicKey, Account: p.Key.Account()}
}

// AnalyzeTx checks the plan's transaction against its key and says what
// it means (nil without a transaction).
func (p *Plan) AnalyzeTx() (*txn.Analysis, error) {
	if p.Tx == nil {
		return nil, nil
	}
	a, err := p.Tx.Analyze(p.TxKey())
	if err != nil {
		return nil, &fieldErr{"tx", 0, &invalidErr{"transaction: " + err.Error(), []error{ErrInvalid, ErrTransaction, err}}}
	}
	return a, nil
}

// checkTx: the items of a plan with a transaction are exactly the
// signatures the transaction needs, as this laptop derives them from its
// bytes; transaction payloads appear only with a transaction.
func (p *Plan) checkTx() error {
	if p.Tx == nil {
		for i, it := range p.Items {
			if it.Payload.Kind.IsTx() {
				return ferr("payload", i, ErrPayload, "item %d is a %s payload, which belongs to a transaction, and the plan has none", i+1, it.Payload.Kind)
			}
		}
		return nil
	}
	if p.Curve != keyshare.CurveSecp256k1 {
		return ferr("tx", 0, ErrTransaction, "transactions are signed with secp256k1 keys, not %s", p.Curve)
	}
	a, err := p.AnalyzeTx()
	if err != nil {
		return err
	}
	if len(a.Signings) != len(p.Items) {
		return ferr("item", 0, ErrTransaction, "the transaction needs %d signatures by this key, the plan has %d items", len(a.Signings), len(p.Items))
	}
	for i, s := range a.Signings {
		pl := p.Items[i].Payload
		switch {
		case string(pl.Kind) != s.Kind:
			return ferr("payload", i, ErrTransaction, "item %d is a %s payload, the transaction's signature %d is %s", i+1, pl.Kind, i+1, s.Kind)
		case pl.Kind == PayloadPSBTInput && pl.Input != s.Input:
			return ferr("payload", i, ErrTransaction, "item %d signs input %d, the transaction's signature %d is for input %d", i+1, pl.Input, i+1, s.Input)
		case !p.Items[i].Path.Equal(s.Path):
			return ferr("payload", i, ErrTransaction, "item %d is signed at %s, the transaction names %s", i+1, pathText(p.Items[i].Path), pathText(s.Path))
		case pl.Digest != s.Digest:
			return ferr("payload", i, ErrTransaction, "item %d's digest %x is not the transaction's %x", i+1, pl.Digest, s.Digest)
		}
	}
	return nil
}

func pathText(p hd.Path) string {
	if p == nil {
		return "the key itself"
	}
	return p.String()
}

func (p *Plan) checkPath(i int, path hd.Path) error {
	if len(path) == 0 {
		return ferr("path", i, ErrPath, "item %d: an empty path is written by leaving the path out", i+1)
	}
	if p.Curve != keyshare.CurveSecp256k1 {
		return ferr("path", i, ErrPath, "item %d: %s keys have no derivation paths: Ed25519 has no non-hardened (public) derivation standard (SLIP-10 derives Ed25519 children hardened only, which needs the whole private key); sign with the key itself", i+1, p.Curve)
	}
	if len(path) > hd.MaxDepth {
		return ferr("path", i, ErrPath, "item %d: path %s has %d levels, at most %d", i+1, path, len(path), hd.MaxDepth)
	}
	for _, x := range path {
		if x >= hd.Hardened {
			return ferr("path", i, ErrPath, "item %d: path %s has a hardened index; a hardened child needs the whole private key, which no party of a threshold key holds", i+1, path)
		}
	}
	m := p.Key.Account()
	if m == nil {
		return &fieldErr{"path", i, errNoChainCode(p.Key)}
	}
	if _, _, err := m.Derive(path); err != nil {
		return ferr("path", i, ErrPath, "item %d: %v", i+1, err)
	}
	return nil
}

// needsV2 reports whether the plan uses what only format v2 can say.
func (p *Plan) needsV2() bool {
	if p.Key != nil && p.Key.ChainCode != nil || p.Tx != nil {
		return true
	}
	return p.Protocol == Sign && (len(p.Items) != 1 || p.Items[0].Path != nil)
}
