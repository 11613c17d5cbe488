package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/term"
)

// exitInterrupted is the shell's convention for a process ended by SIGINT
// (128 + 2).
const exitInterrupted = 130

// Ctrl-C (or SIGTERM) ends coldsig at once, with a message. Stopping at
// once is safe, and that is what the message tells the officer: every file
// that matters is written to a temporary name and renamed into place
// (internal/atomicfile), so it appears whole or not at all; a step commits
// its new state and its envelopes in one file before anything reaches the
// outbox; leftover temporary names are hidden, skipped by every reader and
// removed by the next step. Waiting for a "safe point" instead would make
// an officer wait seconds for tss-lib to finish a round they wanted to
// stop. interrupt_test.go interrupts a real step and checks all this.
func handleInterrupts(stderr io.Writer, args []string) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		restoreTerminal()
		fmt.Fprintf(stderr, "\ncoldsig: interrupted. %s\n", interruptAdvice(args))
		os.Exit(exitInterrupted)
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// interruptAdvice says what is safe and what to run next.
func interruptAdvice(args []string) string {
	const safe = "Nothing is half-written: every file appears whole or not at all."
	workdir := flagValue(args, "workdir")
	switch {
	case len(args) > 0 && args[0] == "step" && workdir != "":
		return safe + " The step was either committed whole (its envelopes are then written again by the next step) or not at all." +
			fmt.Sprintf(" See where the party stands with 'coldsig status --workdir %s', then run the same 'coldsig step' again.", workdir)
	case len(args) > 0 && args[0] == "join" && workdir != "":
		return safe + " The join was either committed whole or not at all; run the same 'coldsig join' again (with the same --workdir): it goes on or re-emits round 1."
	}
	return safe + " Run the same command again."
}

// flagValue finds --name VALUE or --name=VALUE in args (for the message
// only: the command's own parsing may not have run yet).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// The terminal state saved while a passphrase is read without echo, so an
// interrupt does not leave the officer's terminal silent.
var tty struct {
	sync.Mutex
	fd    int
	state *term.State
}

func saveTerminal(fd int) {
	st, err := term.GetState(fd)
	if err != nil {
		return
	}
	tty.Lock()
	tty.fd, tty.state = fd, st
	tty.Unlock()
}

func forgetTerminal() {
	tty.Lock()
	tty.state = nil
	tty.Unlock()
}

func restoreTerminal() {
	tty.Lock()
	defer tty.Unlock()
	if tty.state != nil {
		term.Restore(tty.fd, tty.state)
	}
}
