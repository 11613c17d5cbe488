package plan

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"filippo.io/age"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/txn"
	"github.com/coldsig/coldsig/txn/btc"
)

// Marshal validates p and returns its canonical encoding.
func (p *Plan) Marshal() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	magic := Magic
	v2 := p.needsV2()
	if v2 {
		magic = MagicV2
	}
	w := textrec.NewWriter(magic)
	w.String("protocol", string(p.Protocol))
	w.Hex("session", p.Session[:])
	w.String("curve", p.Curve)
	switch p.Protocol {
	case Keygen:
		w.Uint("threshold", uint64(p.Threshold))
		writeCards(w, "party", p.Parties)
	case Sign:
		writeKey(w, p.Key)
		writeCards(w, "signer", p.Signers)
		if p.Tx != nil {
			writeTx(w, p.Tx)
		}
		for i, it := range p.Items {
			if v2 {
				w.Uint("item", uint64(i+1))
			}
			if it.Path != nil {
				w.String("path", it.Path.String())
			}
			writePayload(w, it.Payload)
		}
	case Reshare:
		writeKey(w, p.Key)
		writeCards(w, "old", p.Old)
		w.Uint("threshold", uint64(p.Threshold))
		writeCards(w, "new", p.New)
	}
	return w.Bytes()
}

func writePayload(w *textrec.Writer, pl *Payload) {
	w.String("payload", string(pl.Kind))
	{
		switch pl.Kind {
		case PayloadDigest:
			w.Hex("digest", pl.Digest[:])
		case PayloadEIP191:
			w.Base64("message", pl.Message)
			w.Hex("digest", pl.Digest[:])
		case PayloadMessage:
			w.Base64("message", pl.Message)
		case PayloadFile:
			w.String("file-name", pl.FileName)
			w.Uint("file-size", pl.FileSize)
			w.Hex("digest", pl.Digest[:])
		case PayloadPSBTInput:
			w.Uint("input", uint64(pl.Input))
			w.Hex("digest", pl.Digest[:])
		case PayloadEthTx, PayloadEIP712:
			w.Hex("digest", pl.Digest[:])
		}
	}
}

func writeCards(w *textrec.Writer, key string, cards []*identity.Card) {
	for _, c := range cards {
		w.String(key, c.Name+" "+c.Recipient.String()+" "+hex.EncodeToString(c.SigningKey))
	}
}

func writeKey(w *textrec.Writer, k *Key) {
	w.Hex("key-id", k.ID[:])
	w.Hex("key-public", k.PublicKey)
	if k.ChainCode != nil {
		w.Hex("key-chain-code", k.ChainCode)
	}
	w.Hex("key-session", k.Session[:])
	w.Uint("key-threshold", uint64(k.Threshold))
	for _, kp := range k.Parties {
		w.String("key-party", kp.Name+" "+hex.EncodeToString(kp.Card[:])+" "+hex.EncodeToString(kp.ShareKey))
	}
}

// Parse decodes and validates a plan. Only the canonical encoding is
// accepted, so Marshal of the result returns data unchanged.
func Parse(data []byte) (*Plan, error) {
	magic := Magic
	v2 := bytes.HasPrefix(data, []byte(MagicV2+"\n"))
	if v2 {
		magic = MagicV2
	}
	rec, err := textrec.Parse(data, magic)
	if err != nil {
		if errors.Is(err, textrec.ErrNotRecord) {
			return nil, fmt.Errorf("%w (the first line is not %q)", ErrNotPlan, Magic)
		}
		return nil, err
	}
	r := rec.Reader()
	p := &Plan{}
	if f := r.Field("protocol"); r.Err() == nil {
		p.Protocol = Protocol(f.Value)
		switch p.Protocol {
		case Keygen, Sign, Reshare:
		default:
			r.Fail(f, "protocol: unknown protocol %q (want keygen, sign or reshare)", f.Value)
		}
	}
	copy(p.Session[:], r.Hex("session", 32))
	p.Curve = r.String("curve")
	switch p.Protocol {
	case Keygen:
		p.Threshold = r.IntIn("threshold", 0, 1<<20)
		p.Parties = readCards(r, "party")
	case Sign:
		p.Key = readKey(r, v2)
		p.Threshold = p.Key.Threshold
		p.Signers = readCards(r, "signer")
		if v2 && r.Peek() == "tx" {
			p.Tx = readTx(r)
		}
		if !v2 {
			p.Items = []*Item{{Payload: readPayload(r)}}
			break
		}
		for r.Peek() == "item" && r.Err() == nil {
			f := r.Field("item")
			if f.Value != strconv.Itoa(len(p.Items)+1) {
				r.Fail(f, "item: %q out of sequence (want %d)", f.Value, len(p.Items)+1)
				break
			}
			if len(p.Items) == MaxItems {
				r.Fail(f, "item: more than %d items", MaxItems)
				break
			}
			it := &Item{}
			if r.Peek() == "path" {
				pf := r.Field("path")
				path, err := hd.ParsePath(pf.Value)
				switch {
				case err != nil:
					r.Fail(pf, "path: %v", err)
				case len(path) == 0:
					r.Fail(pf, "path: the key itself is written by leaving the path out")
				}
				it.Path = path
			}
			it.Payload = readPayload(r)
			p.Items = append(p.Items, it)
		}
		if len(p.Items) == 0 && r.Err() == nil {
			r.Field("item") // reports the missing field
		}
	case Reshare:
		p.Key = readKey(r, v2)
		p.Old = readCards(r, "old")
		p.Threshold = r.IntIn("threshold", 0, 1<<20)
		p.New = readCards(r, "new")
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		var fe *fieldErr
		if errors.As(err, &fe) {
			return nil, &textrec.LineError{Line: lineOf(rec, fe.key, fe.n), Msg: fe.Error()}
		}
		return nil, err
	}
	if v2 && !p.needsV2() {
		// One plan has one encoding: what v1 can say is written as v1.
		return nil, &textrec.LineError{Line: 1, Msg: fmt.Sprintf("a plan with one item, no derivation path and a key without a chain code is written as %s", Magic)}
	}
	return p, nil
}

// lineOf finds the line of the n-th occurrence of key, or the line after the
// last one when there are fewer (a missing entry is reported where it
// belongs).
func lineOf(rec *textrec.Record, key string, n int) int {
	last := 0
	for _, f := range rec.Fields {
		if f.Key == key {
			if n == 0 {
				return f.Line
			}
			n--
			last = f.Line
		}
	}
	if last > 0 {
		return last + 1
	}
	return 1
}

func readCards(r *textrec.Reader, key string) []*identity.Card {
	var cards []*identity.Card
	for r.Peek() == key {
		f := r.Field(key)
		c, err := parseCardLine(f.Value)
		if err != nil {
			r.Fail(f, "%s: %v", key, err)
			return nil
		}
		cards = append(cards, c)
		if len(cards) > MaxParties {
			r.Fail(f, "%s: more than %d entries", key, MaxParties)
			return nil
		}
	}
	return cards
}

// parseCardLine decodes "NAME AGE-RECIPIENT SIGNING-KEY-HEX", applying the
// card format's own canonical rules so the fingerprint recomputed from the
// result is the fingerprint of the party's card file.
func parseCardLine(v string) (*identity.Card, error) {
	parts := strings.Split(v, " ")
	if len(parts) != 3 {
		return nil, errors.New(`want "NAME AGE-RECIPIENT SIGNING-KEY" separated by single spaces`)
	}
	if err := identity.ValidName(parts[0]); err != nil {
		return nil, err
	}
	rcpt, err := age.ParseX25519Recipient(parts[1])
	if err != nil {
		return nil, fmt.Errorf("age recipient: %v", err)
	}
	if rcpt.String() != parts[1] {
		return nil, errors.New("age recipient is not in canonical lowercase form")
	}
	sk, err := hex.DecodeString(parts[2])
	if err != nil || hex.EncodeToString(sk) != parts[2] || len(sk) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("signing key must be %d bytes of lowercase hex", ed25519.PublicKeySize)
	}
	return &identity.Card{Name: parts[0], Recipient: rcpt, SigningKey: ed25519.PublicKey(sk)}, nil
}

func readKey(r *textrec.Reader, v2 bool) *Key {
	k := &Key{}
	copy(k.ID[:], r.Hex("key-id", 16))
	k.PublicKey = r.Hex("key-public", -1)
	if v2 && r.Peek() == "key-chain-code" {
		k.ChainCode = r.Hex("key-chain-code", 32)
	}
	copy(k.Session[:], r.Hex("key-session", 32))
	k.Threshold = r.IntIn("key-threshold", 0, 1<<20)
	for r.Peek() == "key-party" {
		f := r.Field("key-party")
		parts := strings.Split(f.Value, " ")
		if len(parts) != 3 {
			r.Fail(f, `key-party: want "NAME CARD-FINGERPRINT SHARE-KEY" separated by single spaces`)
			return k
		}
		kp := KeyParty{Index: len(k.Parties) + 1, Name: parts[0]}
		fp, err := hex.DecodeString(parts[1])
		if err != nil || hex.EncodeToString(fp) != parts[1] || len(fp) != 32 {
			r.Fail(f, "key-party: card fingerprint must be 32 bytes of lowercase hex")
			return k
		}
		copy(kp.Card[:], fp)
		sk, err := hex.DecodeString(parts[2])
		if err != nil || hex.EncodeToString(sk) != parts[2] {
			r.Fail(f, "key-party: share key must be lowercase hex")
			return k
		}
		kp.ShareKey = sk
		k.Parties = append(k.Parties, kp)
		if len(k.Parties) > MaxParties {
			r.Fail(f, "key-party: more than %d entries", MaxParties)
			return k
		}
	}
	return k
}

func readPayload(r *textrec.Reader) *Payload {
	f := r.Field("payload")
	if r.Err() != nil {
		return nil
	}
	pl := &Payload{Kind: PayloadKind(f.Value)}
	switch pl.Kind {
	case PayloadDigest:
		copy(pl.Digest[:], r.Hex("digest", 32))
	case PayloadEIP191:
		pl.Message = r.Base64("message")
		copy(pl.Digest[:], r.Hex("digest", 32))
	case PayloadMessage:
		pl.Message = r.Base64("message")
	case PayloadFile:
		pl.FileName = r.String("file-name")
		pl.FileSize = r.Uint("file-size")
		copy(pl.Digest[:], r.Hex("digest", 32))
	case PayloadPSBTInput:
		pl.Input = r.IntIn("input", 0, 1<<20)
		copy(pl.Digest[:], r.Hex("digest", 32))
	case PayloadEthTx, PayloadEIP712:
		copy(pl.Digest[:], r.Hex("digest", 32))
	default:
		r.Fail(f, "payload: unknown payload kind %q (want digest, eip191, message, file, psbt-input, eth-tx or eip712)", f.Value)
	}
	return pl
}

// writeTx writes the transaction block of a sign plan: its kind, the
// choices the plan states, then its bytes (docs/format.md, "Transaction
// in a sign plan").
func writeTx(w *textrec.Writer, t *txn.Request) {
	w.String("tx", string(t.Kind))
	if t.Kind == txn.PSBT {
		w.String("tx-network", string(t.Network))
		if t.Finalize {
			w.String("tx-finalize", "yes")
		}
		if t.AllowForeign {
			w.String("tx-allow-foreign-inputs", "yes")
		}
		for _, h := range t.AllowSighash {
			w.String("tx-allow-sighash", btc.SighashName(h))
		}
	} else {
		w.Uint("tx-chain-id", t.ChainID)
		if t.Path != nil {
			w.String("tx-path", t.Path.String())
		}
	}
	w.Base64("tx-data", t.Data)
}

func readTx(r *textrec.Reader) *txn.Request {
	f := r.Field("tx")
	t := &txn.Request{Kind: txn.Kind(f.Value)}
	yes := func(key string) bool {
		if r.Peek() != key {
			return false
		}
		yf := r.Field(key)
		if yf.Value != "yes" {
			r.Fail(yf, "%s: %q (the field is written only as \"yes\")", key, yf.Value)
		}
		return true
	}
	switch t.Kind {
	case txn.PSBT:
		t.Network = btc.Network(r.String("tx-network"))
		t.Finalize = yes("tx-finalize")
		t.AllowForeign = yes("tx-allow-foreign-inputs")
		for r.Peek() == "tx-allow-sighash" && r.Err() == nil {
			hf := r.Field("tx-allow-sighash")
			h, err := btc.ParseSighash(hf.Value)
			if err != nil || btc.SighashName(h) != hf.Value {
				r.Fail(hf, "tx-allow-sighash: %q is not a sighash name as coldsig writes it (SIGHASH_NONE, SIGHASH_SINGLE|ANYONECANPAY, ...)", hf.Value)
			}
			t.AllowSighash = append(t.AllowSighash, h)
		}
	case txn.EthTx, txn.EthSignRequest, txn.EIP712:
		t.ChainID = r.UintIn("tx-chain-id", 1, 1<<63)
		if r.Peek() == "tx-path" {
			pf := r.Field("tx-path")
			path, err := hd.ParsePath(pf.Value)
			if err != nil || len(path) == 0 {
				r.Fail(pf, "tx-path: %q is not a non-hardened path below the key (m/0/7; the key itself is written by leaving tx-path out)", pf.Value)
			}
			t.Path = path
		}
	default:
		r.Fail(f, "tx: unknown transaction kind %q (want psbt, eth-tx, eth-sign-request or eip712)", f.Value)
	}
	t.Data = r.Base64("tx-data")
	return t
}
