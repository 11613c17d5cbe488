package statestore

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"

	"filippo.io/age"
)

// macInfo is the HKDF info string for the step file MAC key.
const macInfo = "coldsig/state/v1 mac"

// Keys are the party's own keys for its state: the age identity the state
// is encrypted to, and a MAC key derived from it.
type Keys struct {
	identity  *age.X25519Identity
	recipient *age.X25519Recipient
	mac       []byte
}

// NewKeys derives the state keys from the party's age identity.
func NewKeys(id *age.X25519Identity) (Keys, error) {
	if id == nil {
		return Keys{}, errors.New("statestore: no identity")
	}
	mac, err := deriveMACKey(id)
	if err != nil {
		return Keys{}, err
	}
	return Keys{identity: id, recipient: id.Recipient(), mac: mac}, nil
}

// deriveMACKey uses the identity's canonical string as HKDF input: age does
// not expose the raw scalar, and the upper-case Bech32 encoding is a
// one-to-one function of it, so the key depends on the secret and nothing
// else.
func deriveMACKey(id *age.X25519Identity) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(id.String()), nil, macInfo, 32)
}

func (k Keys) valid() bool { return k.identity != nil && len(k.mac) == 32 }
