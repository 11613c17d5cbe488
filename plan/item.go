package plan

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/keyshare"
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
	return nil
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
	if p.Key != nil && p.Key.ChainCode != nil {
		return true
	}
	return p.Protocol == Sign && (len(p.Items) != 1 || p.Items[0].Path != nil)
}
