// Package agebytes encrypts a whole in-memory plaintext with age. Every
// coldsig file that holds a secret (identities, envelopes, shares, shards,
// pre-parameters, states) is small enough to build in memory, and is only
// ever written once complete.
package agebytes

import (
	"bytes"
	"errors"

	"filippo.io/age"
)

// Encrypt returns plaintext as an age file (binary format) for recipients.
func Encrypt(plaintext []byte, recipients ...age.Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("age: no recipients")
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipients...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
