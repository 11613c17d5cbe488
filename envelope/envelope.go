package envelope

import "errors"

// MaxEnvelopeSize bounds an envelope file (the outer age file). The largest
// tss-lib message (ECDSA resharing, ~175 KB) is ~240 KB once base64-encoded
// and encrypted; 1 MiB leaves room and stops a hostile file early.
const MaxEnvelopeSize = 1 << 20

// ErrTooLarge means a file exceeds its format's size bound.
var ErrTooLarge = errors.New("file too large")
