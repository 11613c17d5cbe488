package main

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
// attacker needs must be at least 2^minGuessBits. At a million guesses a
// second (a large rented fleet against scrypt 2^18) 2^56 guesses take
// about 2,000 years; 2^50 would take 36.
//
// zxcvbn (Dropbox's estimator, github.com/trustelem/zxcvbn) knows common
// passwords, names, English words, keyboard patterns, repeats, sequences,
// dates and l33t substitutions. It is generous to phrases of unrelated
// common words (it prices each word, not the phrase), which is why
// --generate-passphrase exists: 8 words drawn uniformly from the 256
// bytewords are exactly 64 bits.
const minGuessBits = 56

// strengthEstimateLen bounds the input given to zxcvbn, whose matching is
// superlinear: a passphrase whose first 128 bytes are strong is strong.
const strengthEstimateLen = 128

var errWeakPassphrase = errors.New("passphrase too weak")

const strengthHint = "use several unrelated words (not a quotation), or let coldsig make one: 'coldsig identity new NAME --generate-passphrase'"

// checkStrength refuses a passphrase an offline attacker could guess.
func checkStrength(p []byte) error {
	s := string(p)
	if len(s) > strengthEstimateLen {
		s = s[:strengthEstimateLen]
	}
	bits := math.Log2(zxcvbn.PasswordStrength(s, nil).Guesses)
	if bits < minGuessBits {
		return fmt.Errorf("%w: an offline attacker needs about 2^%d guesses, and coldsig asks for at least 2^%d", errWeakPassphrase, int(bits), minGuessBits)
	}
	return nil
}

// generatedWords is the length of a generated passphrase: 8 words of 8
// bits each.
const generatedWords = 8

// generatePassphrase draws generatedWords bytewords uniformly (one random
// byte each) from crypto/rand. Bytewords are four-letter English words
// chosen to be told apart by ear and in writing (Blockchain Commons
// BCR-2020-012, already used for coldsig's fingerprint words).
func generatePassphrase() (string, error) {
	b := make([]byte, generatedWords)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.Join(bytewords.Words(b), " "), nil
}
