package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCommand) }

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the coldsig version and the versions it was built with",
		Long: `Print the coldsig version, the Go toolchain and the tss-lib version.

Party state files are tied to the exact build that wrote them: finish a
ceremony with the same binary that started it.

EXIT STATUS
  0 always.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := getEnv(cmd).stdout
			v, tss := "(devel)", "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				if bi.Main.Version != "" {
					v = bi.Main.Version
				}
				for _, d := range bi.Deps {
					if d.Path == "github.com/bnb-chain/tss-lib/v2" {
						tss = d.Version
					}
				}
			}
			fmt.Fprintf(out, "coldsig %s\ngo %s %s/%s\ntss-lib %s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, tss)
			return nil
		},
	}
}
