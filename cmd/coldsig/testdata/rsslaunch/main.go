// Command rsslaunch runs a command and writes its peak resident memory
// (ru_maxrss), wall time and CPU time to a file: "RSS-BYTES WALL-NS CPU-NS".
// It is kept tiny on purpose, because a child's ru_maxrss starts from its
// parent's peak (see rss_test.go). Usage: rsslaunch OUT CMD [ARG...]
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rsslaunch OUT CMD [ARG...]")
		os.Exit(125)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "rsslaunch:", err)
		os.Exit(125)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	report := fmt.Sprintf("%d %d %d", ru.Maxrss<<10, wall.Nanoseconds(), cpu.Nanoseconds())
	if err := os.WriteFile(os.Args[1], []byte(report), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "rsslaunch:", err)
		os.Exit(125)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
