//go:build coldsig_faults && !unix

package atomicfile

// stopSelf: no job control here; the stop rule does nothing.
func stopSelf() {}
