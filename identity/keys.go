package identity

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/coldsig/coldsig/internal/edpoint"
)

// ErrWeakCard means a card's keys cannot protect anything: a signing key
// that is not a proper Ed25519 point (an all-zero or small-order key lets
// anyone forge its signatures), or an age recipient of low order (every
// envelope to it would be readable by anyone).
var ErrWeakCard = errors.New("card has a weak key")

// ErrSharedKey means two different cards carry the same age recipient or
// signing key: envelopes for one would open for the other, and a signature
// would not say which party made it.
var ErrSharedKey = errors.New("cards share a key")

// CheckKeys refuses a card whose keys are weak (see ErrWeakCard).
func (c *Card) CheckKeys() error {
	if err := edpoint.Check(c.SigningKey, "signing key"); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrWeakCard, c.Name, err)
	}
	if _, err := recipientPoint(c); err != nil {
		return fmt.Errorf("%w: %s: age recipient: %v", ErrWeakCard, c.Name, err)
	}
	return nil
}

// recipientPoint decodes the card's X25519 key and returns the value that
// identifies its point (see edpoint.X25519Key).
func recipientPoint(c *Card) ([]byte, error) {
	u, err := x25519Bytes(c.Recipient.String())
	if err != nil {
		return nil, err
	}
	return edpoint.X25519Key(u)
}

// CheckCards checks a set of cards that take part together (a plan's
// roster): every card's keys, and that no two different cards share an age
// recipient or a signing key. The same card twice (a continuing member of a
// reshare) is fine. On error, bad is the index of the offending card.
func CheckCards(cards []*Card) (bad int, err error) {
	type seen struct {
		card *Card
		rcpt []byte
	}
	var all []seen
	for i, c := range cards {
		if err := c.CheckKeys(); err != nil {
			return i, err
		}
		rp, _ := recipientPoint(c)
		for _, o := range all {
			if o.card.Equal(c) {
				continue
			}
			switch {
			case bytes.Equal(o.rcpt, rp):
				return i, fmt.Errorf("%w: %s and %s have the same age recipient", ErrSharedKey, o.card.Name, c.Name)
			case bytes.Equal(o.card.SigningKey, c.SigningKey):
				return i, fmt.Errorf("%w: %s and %s have the same signing key", ErrSharedKey, o.card.Name, c.Name)
			}
		}
		all = append(all, seen{c, rp})
	}
	return 0, nil
}

// x25519Bytes decodes the 32-byte key of a canonical age recipient string
// ("age1" and bech32 data). age has checked its checksum when it parsed
// the card; only the data part is read here.
func x25519Bytes(s string) ([]byte, error) {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	data, ok := strings.CutPrefix(s, "age1")
	if !ok || len(data) < 6 {
		return nil, errors.New("not an age X25519 recipient")
	}
	data = data[:len(data)-6] // the checksum
	var out []byte
	acc, bits := 0, 0
	for _, ch := range data {
		v := strings.IndexRune(charset, ch)
		if v < 0 {
			return nil, errors.New("not an age X25519 recipient")
		}
		acc = acc<<5 | v
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	if len(out) != 32 || bits >= 5 || acc != 0 {
		return nil, errors.New("not a 32-byte age X25519 recipient")
	}
	return out, nil
}
