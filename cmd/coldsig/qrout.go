package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/qr"
)

// --qr DIR of join and step: each outbound envelope also becomes an
// animated GIF, DIR/<envelope file name>.gif, rendered and verified by the
// same code as 'coldsig qr encode --gif' with its default settings, so the
// two give byte-identical GIFs. A GIF because an officer shows it on a
// screen in any image viewer, looping without end; the file name carries the
// envelope's name, which the UR payload (the raw file bytes, for interop)
// cannot.

const qrOutUsage = "also write each outbound envelope as an animated QR GIF `DIR`/<envelope>.gif (verified like 'coldsig qr encode --gif')"

func addQROutFlag(f *pflag.FlagSet, dir *string) { f.StringVar(dir, "qr", "", qrOutUsage) }

// checkQROutDir refuses, before the ceremony step is taken, a --qr DIR that
// could not take the output.
func checkQROutDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--qr: %w", err)
	}
	if !fi.IsDir() {
		return usageErrorf("--qr %s: not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return withHint(fmt.Errorf("--qr %s: directory is accessible to other users (mode %04o)", dir, fi.Mode().Perm()), "run chmod 700 "+dir)
	}
	return nil
}

// writeOutboxQR writes the GIFs for rep.Outbox into dir ("" means no --qr),
// all or nothing (qr.WriteGIFs). The ceremony step is already committed
// when it runs, so its errors say so and point to the envelopes, which are
// complete in the outbox.
func writeOutboxQR(cmd *cobra.Command, dir string, rep *ceremony.Report) error {
	if dir == "" || len(rep.Outbox) == 0 {
		return nil
	}
	e := getEnv(cmd)
	qrMemory()
	gifs, err := qr.WriteGIFs(cmd.Context(), dir, rep.Outbox)
	if err != nil {
		return qrOutError(rep, err)
	}
	for _, g := range gifs {
		note := "verified"
		if g.Present {
			note = "already there, identical"
		}
		fmt.Fprintf(e.stdout, "qr        %s (%d frames, at least %d needed; %s)\n", g.Path, g.Frames, g.Min, note)
	}
	return nil
}

// qrOutError is exit status 5, never 1: the step is committed, so
// "nothing changed" would be false (the house rule for every failure after
// a commit), and running the same command again completes it: the step is
// replayed, its envelopes written again byte for byte, and the GIFs made.
func qrOutError(rep *ceremony.Report, err error) error {
	return withCode(withHint(fmt.Errorf("QR output failed after the step was committed: %w", err),
		fmt.Sprintf("fix the cause and run the same command again (nothing is recomputed); or hand on the envelopes in %s as files, or run 'coldsig qr encode ENVELOPE --gif -o NEWDIR' on each", filepath.Dir(rep.Outbox[0]))), exitIncomplete)
}
