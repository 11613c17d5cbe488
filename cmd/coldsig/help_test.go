package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/coldsig/coldsig/tui"
)

// envelopeName is how envelopes are named on disk (docs/format.md): help
// examples use real names, not made-up ones (ux review 1.18).
var envelopeName = regexp.MustCompile(`^([\w.-]+/)*cs-[0-9a-f]{8}-(eddsa|ecdsa)-(keygen|sign|reshare)-r\d\d-p\d+-to-(all|p\d+)\.age$`)

func walkCommands(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, s := range c.Commands() {
		if !s.Hidden && s.Name() != "help" && s.Name() != "completion" {
			walkCommands(s, f)
		}
	}
}

// TestHelpSections: every command's help ends with EXAMPLES and EXIT
// STATUS, the exit status lists 2 (bad usage, which every command can
// give), the examples name files as coldsig writes them, and no flag shows
// Go's type ("string") as its placeholder (ux review 1.18, 1.21, 1.22).
func TestHelpSections(t *testing.T) {
	root := newRootCommand()
	status := root.Long[strings.Index(root.Long, "\nEXIT STATUS\n"):]
	for _, code := range []string{"0", "1", "2", "3", "4", "5", "130"} {
		if !regexp.MustCompile(`(^|[\s;])` + code + `\s`).MatchString(status) {
			t.Errorf("coldsig --help: EXIT STATUS does not list %s:\n%s", code, status)
		}
	}
	walkCommands(newRootCommand(), func(c *cobra.Command) {
		name := c.CommandPath()
		if c.Runnable() {
			ex, exit := strings.Index(c.Long, "\nEXAMPLES\n"), strings.Index(c.Long, "\nEXIT STATUS\n")
			switch {
			case c.HasSubCommands():
			case ex < 0 || exit < 0 || exit < ex:
				t.Errorf("%s: help lacks EXAMPLES followed by EXIT STATUS", name)
			default:
				status := c.Long[exit:]
				if !regexp.MustCompile(`(^|[\s;])2\s`).MatchString(status) {
					t.Errorf("%s: EXIT STATUS does not list 2 (bad usage):\n%s", name, status)
				}
				for _, w := range strings.Fields(c.Long[ex:exit]) {
					w = strings.Trim(w, `"'`)
					switch {
					case strings.HasSuffix(w, ".env"):
						t.Errorf("%s: example names %q; envelopes are cs-...-rNN-pX-to-Y.age", name, w)
					case strings.Contains(w, "cs-") && strings.HasSuffix(w, ".age") && !envelopeName.MatchString(w):
						t.Errorf("%s: example envelope %q is not an envelope name (one file, as coldsig writes it)", name, w)
					}
				}
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			// A bare lowercase word is Go's type ("string") or a value
			// taken for the placeholder ("text" of "`text` or `html`").
			if p, _ := pflag.UnquoteUsage(f); regexp.MustCompile(`^[a-z]+$`).MatchString(p) {
				t.Errorf("%s --%s: placeholder %q; name what is given (`FILE`, `DIR`, `TEXT` ...)", name, f.Name, p)
			}
		})
	})
}

// TestTUIHelpListsEveryTask: 'coldsig tui --help' names the command of
// every task on the TUI's home screen (ux review 1.23).
func TestTUIHelpListsEveryTask(t *testing.T) {
	long := strings.Join(strings.Fields(newTUICommand().Long), " ")
	for _, c := range tui.TaskCommands() {
		for _, part := range strings.Split(strings.TrimPrefix(c, "coldsig "), " / ") {
			if !strings.Contains(long, "("+part+")") && !strings.Contains(long, "("+part+":") && !strings.Contains(long, "("+part+" ") && !strings.Contains(long, " "+part+")") {
				t.Errorf("tui --help does not name the task of %q (%q)", c, part)
			}
		}
	}
}
