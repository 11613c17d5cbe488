//go:build !unix

package atomicfile

import "os"

// SameFileSystem reports whether the directories a and b are on one file
// system; here it cannot tell and says yes once both exist (a move across
// volumes then fails when the file is put in place).
func SameFileSystem(a, b string) (bool, error) {
	for _, d := range []string{a, b} {
		if _, err := os.Stat(d); err != nil {
			return false, err
		}
	}
	return true, nil
}
