package plan

import (
	"fmt"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/identity"
	pluralpkg "github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/txn"
)

// Description is everything officers confirm about a plan before they take
// part, as data. The CLI prints it (plan show, join, status) and the TUI
// renders it, so both show the same facts under the same names.
//
// Names, file names and message text are the plan's own bytes: a renderer
// must pass them through internal/termsafe (or equivalent) before they
// reach a terminal.
type Description struct {
	Fingerprint [32]byte
	// Words are the fingerprint words officers read aloud.
	Words    string
	Protocol Protocol
	// Purpose says in a few words what the protocol does.
	Purpose string
	Curve   string
	Session [32]byte
	// Threshold and Parties are the K-of-N after the ceremony: keygen the
	// new key, sign the key used, reshare the new committee.
	Threshold, Parties int
	// Signers is the number of signers of a signing plan.
	Signers int
	// Key is the key a signing or resharing plan uses (nil for keygen).
	Key *KeyDescription
	// Committees are the roster in slot order: one committee for keygen
	// ("parties") and signing ("signers"), two for a reshare ("old
	// committee", "new committee").
	Committees []Committee
	// Signs is what a signing plan signs, one item per signature. A plan
	// signs one payload today; a batch adds items and a decoded
	// transaction adds fields to its item, without changing renderers.
	Signs []SignedItem
	// You lists the slots held by the officer the description was made for
	// (none if the officer is not in the plan or none was given).
	You []int
}

// KeyDescription is the key of a signing or resharing plan.
type KeyDescription struct {
	ID        [16]byte
	PublicKey []byte
	// EthAddress is the EIP-55 address of a secp256k1 key ("" otherwise).
	EthAddress string
	Session    [32]byte
	Threshold  int
	Holders    []Member
}

// Committee is one titled list of parties.
type Committee struct {
	// Title is "parties", "signers", "old committee", "new committee" or,
	// for the key's holders, "key holders".
	Title   string
	Members []Member
}

// Member is one party row.
type Member struct {
	// Slot is the 1-based plan slot (for key holders: the key index).
	Slot  int
	Name  string
	Card  [32]byte
	Words string
	// KeyParty is the member's index in the key (signers and old
	// committee members; 0 otherwise).
	KeyParty int
	// OldSlot is a continuing reshare member's slot in the old committee
	// (new committee rows only; 0 otherwise).
	OldSlot int
	// You marks the officer's own row.
	You bool
}

// SignedItem is one thing a signing signs.
type SignedItem struct {
	// Index is the item's 1-based position and Of the number of items of
	// the plan (a batch when Of > 1); each item gets its own signature.
	Index, Of int
	// Path is the BIP32 path of the child key the item is signed with
	// ("" for the key itself); ChildKey, EthAddress and BTCAddress are
	// that child's public key and addresses (P2WPKH, mainnet).
	Path                   string
	ChildKey               []byte
	EthAddress, BTCAddress string
	Kind                   PayloadKind
	// Title names the kind for officers ("EIP-191 personal message", ...).
	Title string
	// Fields are labelled values in display order (digest, file name,
	// size, sha-256, ...).
	Fields []Field
	// Text is the message of a text payload, shown in full ("" otherwise).
	Text string
	// How says exactly what the signature covers.
	How string
}

// Field is one labelled value.
type Field struct {
	Label, Value string
}

// Describe describes p for the officer whose card fingerprint is me (the
// zero value: nobody, as 'plan show' without an identity).
func Describe(p *Plan, me [32]byte) (*Description, error) {
	fp, err := p.fingerprint()
	if err != nil {
		return nil, err
	}
	d := &Description{
		Fingerprint: fp, Words: identity.DigestWords(fp), Protocol: p.Protocol,
		Curve: p.Curve, Session: p.Session,
	}
	switch p.Protocol {
	case Keygen:
		d.Purpose = "create a new key"
		d.Threshold, d.Parties = p.Threshold, len(p.Parties)
		d.Committees = []Committee{{Title: "parties", Members: members(p, p.Parties, 1, me)}}
	case Sign:
		d.Purpose = "sign with an existing key"
		d.Threshold, d.Parties, d.Signers = p.Key.Threshold, len(p.Key.Parties), len(p.Signers)
		d.Committees = []Committee{{Title: "signers", Members: members(p, p.Signers, 1, me)}}
		// A transaction is decoded once, from the plan's bytes, on this
		// laptop: its summary is rows of the items that sign it.
		a, txErr := p.AnalyzeTx()
		for i := range p.Items {
			it := describeItem(p, i)
			describeTx(&it, a, txErr, i)
			d.Signs = append(d.Signs, it)
		}
	case Reshare:
		d.Purpose = "move the key to a new committee"
		d.Threshold, d.Parties = p.Threshold, len(p.New)
		d.Committees = []Committee{
			{Title: "old committee", Members: members(p, p.Old, 1, me)},
			{Title: "new committee", Members: members(p, p.New, len(p.Old)+1, me)},
		}
	}
	if p.Key != nil {
		k := &KeyDescription{ID: p.Key.ID, PublicKey: p.Key.PublicKey, Session: p.Key.Session, Threshold: p.Key.Threshold}
		if p.Curve == keyshare.CurveSecp256k1 {
			// An invalid key cannot reach here (the plan validated), but
			// an address that cannot be derived is left out, not invented.
			k.EthAddress, _ = keyshare.EthAddress(p.Key.PublicKey)
		}
		for _, kp := range p.Key.Parties {
			k.Holders = append(k.Holders, Member{Slot: kp.Index, Name: kp.Name, Card: kp.Card,
				Words: identity.DigestWords(kp.Card), You: kp.Card == me && me != [32]byte{}})
		}
		d.Key = k
	}
	for _, c := range d.Committees {
		for _, m := range c.Members {
			if m.You {
				d.You = append(d.You, m.Slot)
			}
		}
	}
	return d, nil
}

func members(p *Plan, cards []*identity.Card, first int, me [32]byte) []Member {
	out := make([]Member, len(cards))
	for i, c := range cards {
		fp := c.Fingerprint()
		m := Member{Slot: first + i, Name: c.Name, Card: fp, Words: c.FingerprintWords(),
			You: fp == me && me != [32]byte{}}
		isNew := p.Protocol == Reshare && first > 1
		if !isNew {
			if kp, ok := p.KeyParty(fp); ok {
				m.KeyParty = kp.Index
			}
		}
		if isNew {
			if s := p.Slots(fp); len(s) == 2 {
				m.OldSlot = s[0]
			}
		}
		out[i] = m
	}
	return out
}

// describeItem describes item i: its payload and, for a child key, the
// key and addresses it signs with, derived from the plan's chain code.
func describeItem(p *Plan, i int) SignedItem {
	it := describePayload(p.Curve, p.Items[i].Payload)
	it.Index, it.Of = i+1, len(p.Items)
	if path := p.Items[i].Path; path != nil {
		it.Path = path.String()
		if pub, _, err := p.SigningKey(i); err == nil {
			it.ChildKey = pub
			it.EthAddress, _ = keyshare.EthAddress(pub)
			it.BTCAddress, _ = hd.P2WPKH(pub)
		}
	}
	return it
}

func describePayload(curve string, pl *Payload) SignedItem {
	it := SignedItem{Kind: pl.Kind}
	switch pl.Kind {
	case PayloadDigest:
		it.Title = "raw digest (made elsewhere; check it against its source)"
		it.Fields = []Field{{"digest", fmt.Sprintf("%x", pl.Digest)}}
		it.How = "ECDSA signs this 32-byte digest."
	case PayloadEIP191:
		it.Title = "EIP-191 personal message (Ethereum personal_sign)"
		it.Text = string(pl.Message)
		it.Fields = []Field{{"digest", fmt.Sprintf("%x", pl.Digest)}}
		it.How = fmt.Sprintf("ECDSA signs keccak256(\"\\x19Ethereum Signed Message:\\n%d\" + message) = the digest above.", len(pl.Message))
	case PayloadMessage:
		it.Title = "message"
		it.Text = string(pl.Message)
		it.How = fmt.Sprintf("Ed25519 signs exactly these %s.", pluralpkg.Count(len(pl.Message), "byte"))
		if len(pl.Message) == 1 {
			it.How = "Ed25519 signs exactly this 1 byte."
		}
	case PayloadPSBTInput, PayloadEthTx, PayloadEIP712:
		// Shown with its transaction (describeTx); alone only when the
		// transaction cannot be read.
		it.Title = "transaction digest"
		it.Fields = []Field{{"digest", fmt.Sprintf("%x", pl.Digest)}}
		it.How = "ECDSA signs this digest of the plan's transaction."
	case PayloadFile:
		it.Title = "file"
		it.Fields = []Field{
			{"file name", pl.FileName},
			{"file size", pluralpkg.Count(int(pl.FileSize), "byte")},
			{"sha-256", fmt.Sprintf("%x", pl.Digest)},
		}
		if curve == keyshare.CurveEd25519 {
			it.How = "Ed25519 signs the 32 bytes of this SHA-256 digest (not the file itself)."
		} else {
			it.How = "ECDSA signs this SHA-256 digest."
		}
	}
	return it
}

// describeTx puts the plan's transaction into item i: the first item
// carries the whole summary (every input, output, fee or every call field)
// and its warnings, each item the rows of its own signature and what it
// covers. A transaction that cannot be read (not reached for a validated
// plan) is said so in the item, never hidden.
func describeTx(it *SignedItem, a *txn.Analysis, err error, i int) {
	if a == nil && err == nil {
		return
	}
	if err != nil {
		it.Fields = append(it.Fields, Field{"ERROR", err.Error()})
		return
	}
	it.Title = a.Title
	if it.Of > 1 {
		it.Title += fmt.Sprintf(", signature %d of %d", it.Index, it.Of)
	}
	var fields []Field
	if i == 0 {
		for _, f := range a.Fields {
			fields = append(fields, Field(f))
		}
		for _, w := range a.Warnings {
			fields = append(fields, Field{"WARNING", w})
		}
	} else {
		fields = append(fields, Field{"transaction", "the one shown in item 1"})
	}
	if i < len(a.Rows) {
		for _, f := range a.Rows[i] {
			fields = append(fields, Field(f))
		}
	}
	it.Fields = fields
	if i < len(a.How) {
		it.How = a.How[i]
	}
}
