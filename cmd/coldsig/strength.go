package main

import "github.com/coldsig/coldsig/identity"

// The passphrase rule and generator live in package identity (the TUI
// applies the same ones); the CLI adds the hint.

var errWeakPassphrase = identity.ErrWeakPassphrase

const strengthHint = "use several unrelated words (not a quotation), or let coldsig make one: 'coldsig identity new NAME --generate-passphrase'"

func checkStrength(p []byte) error { return identity.CheckPassphrase(p) }

func generatePassphrase() (string, error) { return identity.GeneratePassphrase() }
