package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/internal/buildinfo"
)

func init() { register(newVersionCommand) }

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the libraries built in and this binary's SHA-256",
		Long: `Print the coldsig version and commit, the Go toolchain, the tss-lib and age
versions built in, and the path and SHA-256 of this very binary.

Before a ceremony, compare the sha256 line with the release's SHA256SUMS,
read aloud from the printed release record (release binaries are
reproducible: anyone can rebuild them with 'make release' and get the same
hashes). A binary reports its own hash, so a tampered one could lie: check
it with an independent tool too (sha256sum, shasum -a 256, certutil
-hashfile FILE SHA256). 'coldsig --version' prints the same.

Party state files are tied to the exact build that wrote them: finish a
ceremony with the same binary that started it.

EXAMPLES
  coldsig version
  coldsig version | grep sha256

EXIT STATUS
  0 the version was printed (a hash that cannot be computed is reported
  as unavailable); 2 bad usage (an argument given).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(getEnv(cmd).stdout, versionText())
			return nil
		},
	}
}

// versionText is what both 'coldsig version' and 'coldsig --version'
// print, so the two can never disagree.
func versionText() string { return buildinfo.Read().String() }
