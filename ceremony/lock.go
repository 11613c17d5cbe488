package ceremony

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
)

// ErrBusy means another process, or another operation of this one (the
// TUI's automatic step beside one the officer started), is working in the
// work directory: a join, step or abort holds its lock. Nothing was
// changed.
var ErrBusy = statestore.ErrLocked

// lockWorkDir takes the work directory's lock for a whole join, step or
// abort, from before it reads the state until everything it wrote is
// published (statestore.Lock), if dir is a work directory at all (it holds
// plan.txt or session.txt). Otherwise it returns a nil lock, makes no
// file, and the operation reports the missing work directory itself.
func lockWorkDir(dir string, obs Observer) (*statestore.DirLock, error) {
	if !isWorkDir(dir) {
		return nil, nil
	}
	return lockDir(dir, obs)
}

func isWorkDir(dir string) bool {
	for _, n := range []string{planFile, "session.txt"} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

func lockDir(dir string, obs Observer) (*statestore.DirLock, error) {
	l, err := statestore.Lock(dir)
	if err != nil {
		return nil, err
	}
	if !l.Held() {
		obs.emit(Event{Kind: EventWarning, Detail: fmt.Sprintf("%s: the file system cannot lock files; make sure no other coldsig process (another window, the TUI) works in this directory at the same time", dir)})
	}
	return l, nil
}
