//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// SameFileSystem reports whether the directories a and b are on one file
// system, so a file can be linked or renamed from one into the other.
func SameFileSystem(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	sa, oka := fa.Sys().(*syscall.Stat_t)
	sb, okb := fb.Sys().(*syscall.Stat_t)
	return !oka || !okb || sa.Dev == sb.Dev, nil
}
