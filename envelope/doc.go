// Package envelope holds the signed, encrypted envelopes that carry tss-lib
// round messages between air-gapped parties. Senders and recipients are
// parties' identities and cards (package identity).
//
// The format, specified byte by byte in docs/format.md ("Identity, card and
// envelope"):
//
//   - the envelope (coldsig/envelope/v1): one tss-lib message, signed with
//     the sender's Ed25519 key over a domain-separated prefix, then
//     age-encrypted to its recipients. The outer file is a plain age file,
//     so `age -d -i` opens it and the inner text is readable by a person.
//
// Collect applies the receiving rules to a directory of envelopes (possibly
// a stick shared by many parties, rounds and sessions) and returns the ones
// this party must consume now, with typed errors naming any culprit.
//
// This package never imports ceremony; it knows nothing about tss-lib
// beyond carrying its wire bytes.
package envelope
