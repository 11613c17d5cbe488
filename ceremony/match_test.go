package ceremony

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/plan"
)

// TestMatchFile: the file whose SHA-256 was signed matches; another file,
// or a signature over something else, does not.
func TestMatchFile(t *testing.T) {
	sum := sha256.Sum256([]byte("the planned file"))
	sf := &SignatureFile{Payload: SignedPayload{Kind: "file", File: "a.txt", FileSize: 16, FileSHA256: hex.EncodeToString(sum[:])}}
	got, err := sf.MatchFile(strings.NewReader("the planned file"))
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("the signed file: %q, %v", got, err)
	}
	if _, err := sf.MatchFile(strings.NewReader("the planned file.")); !errors.Is(err, ErrNotSigned) || !strings.Contains(err.Error(), "does not cover this file") {
		t.Fatalf("another file: %v", err)
	}
	msg := &SignatureFile{Payload: SignedPayload{Kind: "message", Text: "hi"}}
	if err := msg.OverFile(); err == nil || errors.Is(err, ErrNotSigned) || !strings.Contains(err.Error(), "not over a file but a message payload") {
		t.Fatalf("a message signature: %v", err)
	}
	if _, err := msg.MatchFile(strings.NewReader("hi")); err == nil {
		t.Fatal("a message signature matched a file")
	}
}

// TestMatchMessage: only the exact signed text matches; an EIP-191
// message's digest is recomputed and compared too.
func TestMatchMessage(t *testing.T) {
	d := plan.EIP191Digest([]byte("I control this address"))
	sf := &SignatureFile{Payload: SignedPayload{Kind: "eip191", Text: "I control this address"}, Digest: hex.EncodeToString(d[:])}
	got, err := sf.MatchMessage("I control this address")
	if err != nil || hex.EncodeToString(got) != sf.Digest {
		t.Fatalf("the signed text: %x, %v", got, err)
	}
	if _, err := sf.MatchMessage("I control this address "); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("other text: %v", err)
	}
	sf.Digest = strings.Repeat("00", 32)
	if _, err := sf.MatchMessage("I control this address"); err == nil || errors.Is(err, ErrNotSigned) || !strings.Contains(err.Error(), "EIP-191 digest") {
		t.Fatalf("a digest that is not the text's: %v", err)
	}
	ed := &SignatureFile{Payload: SignedPayload{Kind: "message", Text: "hello"}}
	if got, err := ed.MatchMessage("hello"); err != nil || got != nil {
		t.Fatalf("an Ed25519 message: %x, %v", got, err)
	}
	file := &SignatureFile{Payload: SignedPayload{Kind: "file"}}
	if _, err := file.MatchMessage("hello"); err == nil || !strings.Contains(err.Error(), "not over a message but a file payload") {
		t.Fatalf("a file signature: %v", err)
	}
}
