package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
)

// Exit codes, documented in the README. Keep them stable: runbook scripts
// branch on them.
const (
	exitOK      = 0
	exitError   = 1 // the operation failed or an input was rejected
	exitUsage   = 2 // bad flags or arguments
	exitWaiting = 3 // nothing wrong, but inputs are missing (e.g. envelopes not yet arrived)
	exitAborted = 4 // the ceremony is aborted (culprit named where known)
	// exitIncomplete: a step was committed (the state advanced) but what
	// comes after failed (disk full, a read-only directory): not "nothing
	// changed", so not 1. Running the same command again completes it
	// without recomputing anything.
	exitIncomplete = 5
)

// commandFactories is filled by init functions in the cmd_*.go files, one
// per top-level command, so that commands stay independent of each other.
var commandFactories []func() *cobra.Command

func register(f func() *cobra.Command) { commandFactories = append(commandFactories, f) }

// env carries the process's I/O so tests can substitute them.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type envKey struct{}

func getEnv(cmd *cobra.Command) *env {
	if e, ok := cmd.Context().Value(envKey{}).(*env); ok {
		return e
	}
	return &env{os.Stdin, os.Stdout, os.Stderr}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "coldsig",
		Short: "Air-gapped threshold-signature ceremonies",
		Long: `coldsig runs threshold-signature (TSS) ceremonies between air-gapped machines.

Each party holds one share of a key; any threshold of them can sign, and the
whole key never exists anywhere. Round messages travel as signed, encrypted
envelopes on removable media or as QR codes.

The commands are the scriptable layer: each does one thing, reads no
prompt it cannot be spared (--yes, --passphrase-file), and ends with a
documented exit status.

EXIT STATUS
  0 done; 1 failed, nothing changed; 2 bad usage; 3 waiting for inputs
  (nothing changed); 4 the ceremony is aborted; 5 a step was committed but
  not completed (run the same command again); 130 interrupted (Ctrl-C,
  nothing half-written). Each command's help says which it gives.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var version bool
	root.Flags().BoolVar(&version, "version", false, "print the version (as 'coldsig version')")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if version {
			fmt.Fprint(getEnv(cmd).stdout, versionText())
			return nil
		}
		return cmd.Help()
	}
	var cmds []*cobra.Command
	for _, f := range commandFactories {
		cmds = append(cmds, f())
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v", err).withHint(fmt.Sprintf("see 'coldsig %s --help'", commandPath(c)))
	})
	walk(root, func(c *cobra.Command) {
		if c.HasSubCommands() {
			c.Args = unknownSubcommand
		}
		c.Flags().VisitAll(singleUse)
	})
	return root
}

func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// unknownSubcommand makes an unknown command a usage error (exit status
// 2) for the root and for every command group, with cobra's suggestions.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := fmt.Sprintf("see 'coldsig %s--help'", strings.TrimPrefix(commandPath(cmd)+" ", " "))
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf("did you mean '%s'? %s", strings.Join(s, "' or '"), hint)
	}
	what := "command"
	if cmd.HasParent() {
		what = "subcommand of '" + commandPath(cmd) + "'"
	}
	return usageErrorf("unknown %s %q", what, args[0]).withHint(hint)
}

// singleUse makes a flag that takes one value refuse a second one: pflag
// silently keeps the last, so 'plan sign --message a --message b' would
// sign b although the officer also typed a. Repeatable flags (arrays and
// slices) are left alone.
func singleUse(f *pflag.Flag) {
	if strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice") {
		return
	}
	f.Value = &onceValue{Value: f.Value, name: f.Name}
}

type onceValue struct {
	pflag.Value
	name string
	set  bool
}

func (o *onceValue) Set(s string) error {
	if o.set {
		return fmt.Errorf("--%s given more than once; it takes one value", o.name)
	}
	o.set = true
	return o.Value.Set(s)
}

// requireFlags reports the first missing required flag, alone, with the
// usage hint.
func requireFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			flag := "--" + n
			if f := cmd.Flags().Lookup(n); f != nil && f.Shorthand != "" && n == "output" {
				flag = "-" + f.Shorthand
			}
			return usageErrorf("%s needs %s", commandPath(cmd), flag).withHint(fmt.Sprintf("see 'coldsig %s --help'", commandPath(cmd)))
		}
	}
	return nil
}

func commandPath(c *cobra.Command) string {
	p := c.CommandPath()
	if len(p) > len("coldsig ") {
		return p[len("coldsig "):]
	}
	return ""
}

// Main runs coldsig with os.Args and returns the exit status.
func Main() int {
	return run(os.Args[1:], &env{os.Stdin, os.Stdout, os.Stderr})
}

func run(args []string, e *env) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	ctx, stop := handleInterrupts(context.WithValue(context.Background(), envKey{}, e), e.stderr, args)
	err := root.ExecuteContext(ctx)
	if stop() {
		// The message is out; the command's error is only the
		// cancellation it noticed.
		return exitInterrupted
	}
	if err == nil {
		return exitOK
	}
	return reportError(e.stderr, err)
}

// cliError is an error meant for the officer, with an optional hint and a
// specific exit code.
type cliError struct {
	err  error
	hint string
	code int
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

func (e *cliError) withHint(h string) *cliError { e.hint = h; return e }

func usageErrorf(format string, args ...any) *cliError {
	return &cliError{err: fmt.Errorf(format, args...), code: exitUsage}
}

// withHint attaches a hint to any error.
func withHint(err error, hint string) error {
	var ce *cliError
	if errors.As(err, &ce) {
		ce.hint = hint
		return ce
	}
	return &cliError{err: err, hint: hint, code: exitError}
}

func withCode(err error, code int) error {
	var ce *cliError
	if errors.As(err, &ce) {
		ce.code = code
		return ce
	}
	return &cliError{err: err, code: code}
}

// reportError prints err and its hint. Errors embed file names from a
// shared stick and text from files anyone could have written: names are
// escaped where they are embedded (termsafe.Path), and here every line is
// escaped again and carries the "coldsig: error:" prefix ("coldsig:
// waiting:" for exit status 3; an error joined from several has one line
// each), so nothing in a name can move the cursor, erase a line, or pass
// for a line of ordinary output.
func reportError(w io.Writer, err error) int {
	code := exitError
	hint := ""
	var ce *cliError
	if errors.As(err, &ce) {
		hint = ce.hint
		if ce.code != 0 {
			code = ce.code
		}
	}
	// Waiting is not a failure: nothing is wrong, inputs have not arrived.
	label := "error"
	if code == exitWaiting {
		label = "waiting"
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "coldsig: %s: %s\n", label, termsafe.Line(line))
	}
	// Exit 1 promises that nothing changed; a committed step is never
	// reported with it, whichever command it came from.
	var ie *ceremony.IncompleteError
	if errors.As(err, &ie) {
		code = exitIncomplete
		if hint == "" {
			hint = "fix the cause (free disk space, make the work directory writable) and run the same command again: it writes the committed envelopes again byte for byte and completes the log; nothing is recomputed, and nothing may be handed on until it succeeds"
		}
	}
	if errors.Is(err, ceremony.ErrStateLost) && hint == "" {
		// No way around it is offered: a fresh join, or an older copy of
		// the work directory, would send second, different messages for
		// rounds the others may hold.
		hint = "this party cannot go on in this session, and must not join it again (a fresh round 1 would be a second, different message from you); tell the administrator: every other party runs 'coldsig abort --workdir DIR' and a new plan is made"
	}
	if errors.Is(err, ceremony.ErrBusy) && hint == "" {
		hint = "let the other one finish first: a step or join in another window or terminal (a suspended one: 'jobs' and 'fg' in its terminal), or the TUI stepping this work directory; then run this again"
	}
	if hint != "" {
		fmt.Fprintf(w, "coldsig: hint: %s\n", termsafe.Line(hint))
	}
	return code
}

// exactArgs is cobra.ExactArgs with our error style.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %s (got %d arguments)", cmd.CommandPath(), names, len(args)).
				withHint(fmt.Sprintf("see 'coldsig %s --help'", commandPath(cmd)))
		}
		return nil
	}
}
