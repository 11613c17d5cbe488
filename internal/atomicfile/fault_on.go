//go:build coldsig_faults

package atomicfile

// Fault injection for the reliability campaign (scripts/chaos), compiled
// only into binaries built with -tags coldsig_faults; shipped builds use
// fault_off.go. COLDSIG_FAULTS holds comma-separated rules, each applied to
// every write (Write, Create, Group.Stage) this process makes:
//
//	enospc-after=N   the first N writes succeed, every later one fails with
//	                 ENOSPC (the disk filled up during the run)
//	enospc=SUBSTR    writes to a path containing SUBSTR fail with ENOSPC
//	erofs=SUBSTR     writes to a path containing SUBSTR fail with EROFS
//	                 (read-only media)
//	enospc-place=SUBSTR
//	                 putting a complete, synced file whose path contains
//	                 SUBSTR in place (link or rename) fails with ENOSPC, as
//	                 when its directory cannot grow: a failure after the
//	                 data was written, where a caller may be past its
//	                 commit point
//	stop=SUBSTR      before staging a file whose path contains SUBSTR the
//	                 process stops itself with SIGSTOP, as if the officer
//	                 pressed Ctrl-Z there (Unix); SIGCONT resumes it. Tests
//	                 of concurrent runs on one work directory use it.

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var faults struct {
	once   sync.Once
	mu     sync.Mutex
	after  int // -1: no enospc-after rule
	writes int
	rules  []faultRule
	place  []faultRule
	stop   []string
}

type faultRule struct {
	sub string
	err syscall.Errno
}

func loadFaults() {
	faults.once.Do(func() {
		faults.after = -1
		for _, r := range strings.Split(os.Getenv("COLDSIG_FAULTS"), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(r), "=")
			switch k {
			case "enospc-after":
				if n, err := strconv.Atoi(v); err == nil {
					faults.after = n
				}
			case "enospc":
				faults.rules = append(faults.rules, faultRule{v, syscall.ENOSPC})
			case "erofs":
				faults.rules = append(faults.rules, faultRule{v, syscall.EROFS})
			case "enospc-place":
				faults.place = append(faults.place, faultRule{v, syscall.ENOSPC})
			case "stop":
				if v != "" {
					faults.stop = append(faults.stop, v)
				}
			}
		}
	})
}

func injectFault(path string) error {
	loadFaults()
	for _, sub := range faults.stop {
		if strings.Contains(path, sub) {
			stopSelf()
		}
	}
	faults.mu.Lock()
	defer faults.mu.Unlock()
	faults.writes++
	if faults.after >= 0 && faults.writes > faults.after {
		return &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
	}
	for _, r := range faults.rules {
		if r.sub != "" && strings.Contains(path, r.sub) {
			return &os.PathError{Op: "write", Path: path, Err: r.err}
		}
	}
	return nil
}

func injectPlaceFault(path string) error {
	loadFaults()
	for _, r := range faults.place {
		if r.sub != "" && strings.Contains(path, r.sub) {
			return &os.PathError{Op: "link", Path: path, Err: r.err}
		}
	}
	return nil
}
