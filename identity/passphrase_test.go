package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/bytewords"
)

func TestGeneratedPassphrasesPassTheRule(t *testing.T) {
	known := map[string]bool{}
	for i := 0; i < 256; i++ {
		known[bytewords.Word(byte(i))] = true
	}
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		p, err := GeneratePassphrase()
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Split(p, " ")
		if len(words) != GeneratedWords {
			t.Fatalf("%q: %d words", p, len(words))
		}
		for _, w := range words {
			if !known[w] {
				t.Fatalf("%q: %q is not a byteword", p, w)
			}
		}
		if seen[p] {
			t.Fatalf("%q generated twice", p)
		}
		seen[p] = true
		if err := CheckPassphrase([]byte(p)); err != nil {
			t.Fatalf("generated %q refused: %v", p, err)
		}
	}
}

func TestCheckStrength(t *testing.T) {
	for _, weak := range []string{"abc", "password", "Tr0ub4dor&3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "qwertyuiopasdfghjkl", "able acid also apex", strings.Repeat("Zq9!", 200)} {
		if err := CheckPassphrase([]byte(weak)); !errors.Is(err, ErrWeakPassphrase) {
			t.Errorf("%q accepted (%v)", weak, err)
		}
	}
	for _, strong := range []string{"sand lava hymn tofu", "vR8#qL2!mZ7@xK4$wT9%", "sand lava hymn tofu " + strings.Repeat("a", 300)} {
		if err := CheckPassphrase([]byte(strong)); err != nil {
			t.Errorf("%q refused: %v", strong, err)
		}
	}
}
