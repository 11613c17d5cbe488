//go:build !linux

package atomicfile

import "errors"

// renameExclusive has no portable atomic form outside Linux here; Create
// falls back to reserving the name with O_EXCL.
var renameExclusive = func(from, to string) error { return errors.ErrUnsupported }
