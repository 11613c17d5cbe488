package backup

import (
	"crypto/ed25519"

	"github.com/coldsig/coldsig/identity"
)

func ed25519Sign(id *identity.Identity, manifest []byte) []byte {
	return ed25519.Sign(id.Signing, signedMessage(manifest))
}
