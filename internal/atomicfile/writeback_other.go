//go:build !linux

package atomicfile

import "os"

// startWriteback has no portable form; Group.Sync's concurrent fsyncs do
// the work.
func startWriteback(f *os.File) {}
