package ceremony

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/coldsig/coldsig/plan"
)

// ErrNotSigned means a file or text given to compare is not what the
// signature covers.
var ErrNotSigned = errors.New("not what was signed")

type notSignedErr struct{ msg string }

func (e *notSignedErr) Error() string        { return e.msg }
func (e *notSignedErr) Is(target error) bool { return target == ErrNotSigned }

// OverFile is nil if the signature is over a file, else an error saying
// what it is over: a caller checks it before opening the file to compare.
func (sf *SignatureFile) OverFile() error {
	if sf.Payload.Kind != string(plan.PayloadFile) {
		return fmt.Errorf("the signature is not over a file but a %s payload", sf.Payload.Kind)
	}
	return nil
}

// MatchFile checks that r holds the signed file: a file payload whose
// SHA-256 is r's. sum is the SHA-256 recomputed (hex). Only the digest is
// signed, so the file's name and size are not compared. Call it after
// Verify, which ties the payload to the signed bytes.
func (sf *SignatureFile) MatchFile(r io.Reader) (sum string, err error) {
	if err := sf.OverFile(); err != nil {
		return "", err
	}
	pl := sf.Payload
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if sum != pl.FileSHA256 {
		return "", &notSignedErr{fmt.Sprintf("SHA-256 %s is not the signed file's %s: the signature does not cover this file", sum, pl.FileSHA256)}
	}
	return sum, nil
}

// MatchMessage checks that text is exactly the signed message. For an
// EIP-191 message it also recomputes the digest and compares it with the
// signed one, returning it (nil for an Ed25519 message, which is signed
// itself). Call it after Verify.
func (sf *SignatureFile) MatchMessage(text string) (digest []byte, err error) {
	pl := sf.Payload
	if pl.Kind != string(plan.PayloadEIP191) && pl.Kind != string(plan.PayloadMessage) {
		return nil, fmt.Errorf("the signature is not over a message but a %s payload", pl.Kind)
	}
	if text != pl.Text {
		return nil, &notSignedErr{"the text differs from the signed text " + strconv.Quote(pl.Text)}
	}
	if pl.Kind != string(plan.PayloadEIP191) {
		return nil, nil
	}
	d := plan.EIP191Digest([]byte(text))
	if hex.EncodeToString(d[:]) != sf.Digest {
		return nil, fmt.Errorf("its EIP-191 digest %x is not the signed digest %s", d, sf.Digest)
	}
	return d[:], nil
}
