package backup

import (
	"crypto/ed25519"

	"github.com/coldsig/coldsig/envelope"
)

func ed25519Sign(id *envelope.Identity, manifest []byte) []byte {
	return ed25519.Sign(id.Signing, signedMessage(manifest))
}
