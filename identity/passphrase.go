package identity

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/trustelem/zxcvbn"

	"github.com/coldsig/coldsig/internal/bytewords"
)

// A new passphrase protects a file (an identity, a backup shard) that an
// attacker who copies it can attack offline, for as long as a copy exists.
// The file is age scrypt-encrypted (work factor 2^18: about a second and
// 256 MiB per guess on a laptop). The rule, documented in docs/format.md
// ("Passphrase strength"): zxcvbn's estimate of the number of guesses an
// attacker needs must be at least 2^MinPassphraseBits. At a million guesses
// a second (a large rented fleet against scrypt 2^18) 2^56 guesses take
// about 2,000 years; 2^50 would take 36.
//
// zxcvbn (Dropbox's estimator, github.com/trustelem/zxcvbn) knows common
// passwords, names, English words, keyboard patterns, repeats, sequences,
// dates and l33t substitutions. It is generous to phrases of unrelated
// common words (it prices each word, not the phrase), which is why
// GeneratePassphrase exists: 8 words drawn uniformly from the 256
// bytewords are exactly 64 bits.
const MinPassphraseBits = 56

// strengthEstimateLen bounds the input given to zxcvbn, whose matching is
// superlinear: a passphrase whose first 128 bytes are strong is strong.
const strengthEstimateLen = 128

// ErrWeakPassphrase means a new passphrase fails CheckPassphrase.
var ErrWeakPassphrase = errors.New("passphrase too weak")

// CheckPassphrase refuses a new passphrase an offline attacker could
// guess. Every way of setting one (CLI, TUI, backup shards) applies it.
func CheckPassphrase(p []byte) error {
	s := string(p)
	if len(s) > strengthEstimateLen {
		s = s[:strengthEstimateLen]
	}
	bits := math.Log2(zxcvbn.PasswordStrength(s, nil).Guesses)
	if bits < MinPassphraseBits {
		return fmt.Errorf("%w: an offline attacker needs about 2^%d guesses, and coldsig asks for at least 2^%d", ErrWeakPassphrase, int(bits), MinPassphraseBits)
	}
	return nil
}

// GeneratedWords is the length of a generated passphrase: 8 words of 8
// bits each.
const GeneratedWords = 8

// GeneratePassphrase draws GeneratedWords bytewords uniformly (one random
// byte each) from crypto/rand. Bytewords are four-letter English words
// chosen to be told apart by ear and in writing (Blockchain Commons
// BCR-2020-012, already used for coldsig's fingerprint words).
func GeneratePassphrase() (string, error) {
	b := make([]byte, GeneratedWords)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.Join(bytewords.Words(b), " "), nil
}
