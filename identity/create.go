package identity

import (
	"fmt"
	"path/filepath"

	"github.com/coldsig/coldsig/internal/atomicfile"
)

// Paths are the files of identity name in dir.
func Paths(dir, name string) (key, card string) {
	return filepath.Join(dir, name+".key"), filepath.Join(dir, name+".card")
}

// Create writes id into dir as NAME.key (secret, 0600, encrypted with
// passphrase unless it is nil: drills and tests only; scrypt work factor
// 2^logN, 0 for age's default) and NAME.card (public, 0644). A passphrase
// must pass CheckPassphrase (ErrWeakPassphrase), here, so that no way of
// creating an identity can skip the rule. Neither file is ever overwritten
// (atomicfile.ErrExists), and a key whose card could not be written is
// taken back, so a half-made identity is never left.
func Create(dir string, id *Identity, passphrase []byte, logN int) (keyPath, cardPath string, err error) {
	if passphrase != nil {
		if err := CheckPassphrase(passphrase); err != nil {
			return "", "", err
		}
	}
	keyPath, cardPath = Paths(dir, id.Name)
	cardData, err := id.Card().Marshal()
	if err != nil {
		return "", "", err
	}
	keyData, err := EncryptIdentity(id, passphrase, logN)
	if err != nil {
		return "", "", err
	}
	if err := atomicfile.Create(keyPath, keyData, 0o600); err != nil {
		return "", "", fmt.Errorf("%s: %w", keyPath, err)
	}
	if err := atomicfile.Create(cardPath, cardData, 0o644); err != nil {
		if rmErr := atomicfile.Remove(keyPath); rmErr != nil {
			return "", "", fmt.Errorf("%s: %w (and removing %s failed: %v)", cardPath, err, keyPath, rmErr)
		}
		return "", "", fmt.Errorf("%s: %w", cardPath, err)
	}
	return keyPath, cardPath, nil
}
