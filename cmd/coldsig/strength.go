package main

import "github.com/coldsig/coldsig/identity"

// The passphrase rule and generator live in package identity (the TUI
// applies the same ones); the CLI adds the hint.

var errWeakPassphrase = identity.ErrWeakPassphrase

// strengthHint says how to do better than a weak passphrase; or is what
// else the calling command offers (each caller its own: a hint must name
// something the officer can do in this command).
func strengthHint(or string) string {
	return "use several unrelated words (not a quotation), or " + or
}

// The callers' alternatives to a weak passphrase.
const (
	identityStrongerPass  = "let coldsig make one: 'coldsig identity new NAME --generate-passphrase'"
	custodianStrongerPass = "give the custodian an identity instead ('coldsig identity new NAME' on the custodian's laptop, then --custodian NAME.card)"
)

func checkStrength(p []byte) error { return identity.CheckPassphrase(p) }

func generatePassphrase() (string, error) { return identity.GeneratePassphrase() }
