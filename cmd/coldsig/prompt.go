package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// stdinTerminal returns stdin's file when it is a terminal, so that a
// question is never answered by a pipe or a file by accident.
func stdinTerminal(cmd *cobra.Command) (*os.File, bool) {
	f, ok := getEnv(cmd).stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return f, true
}

// isTerminal reports whether w is a terminal (progress lines that rewrite
// themselves with \r are for terminals only).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks a yes/no question on the terminal; only "y" or "yes" is yes.
// The caller has checked that stdin is a terminal.
func confirm(cmd *cobra.Command, question string) (bool, error) {
	e := getEnv(cmd)
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	if err == io.EOF {
		fmt.Fprintln(e.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
