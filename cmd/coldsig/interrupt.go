package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"
)

// exitInterrupted is the shell's convention for a process ended by SIGINT
// (128 + 2).
const exitInterrupted = 130

// Ctrl-C (or SIGTERM) cancels the command's context and prints what is
// safe and what to run next; coldsig then exits with status 130.
//
// The command unwinds first, so that what it was writing is discarded
// (atomicfile.Batch and Group remove their temporary files on the way
// out: an interrupted 'qr encode -o DIR' leaves no DIR behind, and the
// same command can run again). Stopping at any instant is safe all the
// same, and a computation that does not watch the context (a tss-lib
// round, a passphrase read) is not waited for beyond interruptGrace:
// every file that matters is written to a temporary name and renamed into
// place (internal/atomicfile), so it appears whole or not at all; a step
// commits its new state and its envelopes together before anything
// reaches the outbox; leftover temporary names are hidden, skipped by
// every reader and removed by the next step. A second Ctrl-C ends coldsig
// at once. interrupt_test.go interrupts a real step and a qr encode.
type interrupter struct {
	mu     sync.Mutex
	fired  bool
	normal bool
}

// interruptGrace bounds how long an interrupted command may take to
// unwind: long enough to discard a batch of temporary files, short enough
// that an officer who pressed Ctrl-C is not kept waiting for tss-lib.
const interruptGrace = 1500 * time.Millisecond

type interrupterKey struct{}

// ctrlCStops declares Ctrl-C the normal way the running command ends
// ('qr show' runs until it): the context is cancelled as usual, but no
// "interrupted" message is printed and the command's own exit status
// stands.
func ctrlCStops(ctx context.Context) {
	if in, ok := ctx.Value(interrupterKey{}).(*interrupter); ok {
		in.mu.Lock()
		in.normal = true
		in.mu.Unlock()
	}
}

// handleInterrupts installs the handler for one command run: it returns
// the context the command runs in, and stop, which removes the handler and
// reports whether an interrupt (not a normal Ctrl-C stop) ended the run.
func handleInterrupts(parent context.Context, stderr io.Writer, args []string) (context.Context, func() (interrupted bool)) {
	in := &interrupter{}
	ctx, cancel := context.WithCancel(context.WithValue(parent, interrupterKey{}, in))
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-sigs:
		case <-done:
			return
		}
		in.mu.Lock()
		in.fired = true
		normal := in.normal
		in.mu.Unlock()
		if !normal {
			restoreTerminal()
			fmt.Fprintf(stderr, "\ncoldsig: interrupted. %s\n", interruptAdvice(args))
		}
		cancel()
		select {
		case <-done:
		case <-sigs:
			os.Exit(exitInterrupted)
		case <-time.After(interruptGrace):
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() bool {
		signal.Stop(sigs)
		close(done)
		<-exited // a signal being handled has printed its message
		cancel()
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.fired && !in.normal
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
