//go:build !coldsig_faults

package atomicfile

// injectFault is the test-only fault hook (see fault_on.go). Shipped
// builds have this no-op: no environment variable can make them fail.
func injectFault(path string) error { return nil }

func injectPlaceFault(path string) error { return nil }
