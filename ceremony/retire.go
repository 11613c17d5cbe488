package ceremony

import (
	"errors"
	"fmt"

	"github.com/coldsig/coldsig/keyshare"
)

// ErrRetire wraps every reason a share may not be retired yet.
var ErrRetire = errors.New("refusing to retire the share")

// CheckRetire decides whether an old share may be destroyed: only once a
// newer committee holds the same key (newPub) and has proven it can sign
// (sig, made by that committee's shares, verifying under the key). Until
// then the old shares are the key's only safe copy.
func CheckRetire(old *keyshare.Share, newPub *keyshare.Public, sig *SignatureFile) error {
	no := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrRetire, fmt.Sprintf(format, args...))
	}
	if err := newPub.Validate(); err != nil {
		return err
	}
	if newPub.KeyID != old.KeyID || newPub.PublicKey != old.PublicKey || newPub.Curve != old.Curve {
		return no("the new public key file is for key %s, the share for key %s", newPub.KeyID, old.KeyID)
	}
	if newPub.Session == old.Session {
		return no("the public key file is the share's own committee (session %s), not a newer one", old.Session)
	}
	if err := sig.Verify(newPub); err != nil {
		return no("the test signature does not verify under the key: %v", err)
	}
	if sig.Committee != newPub.Session {
		return no("the test signature was made by committee %s, not by the new committee %s", short(sig.Committee), short(newPub.Session))
	}
	return nil
}

func short(hexs string) string {
	if len(hexs) > 16 {
		return hexs[:16]
	}
	return hexs
}
