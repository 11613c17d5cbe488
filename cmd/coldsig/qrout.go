package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/qr"
)

// --qr DIR of join and step: each outbound envelope also becomes an
// animated GIF, DIR/<envelope file name>.gif, rendered and verified by the
// same code as 'coldsig qr encode --gif' with its default settings, so the
// two give byte-identical GIFs. A GIF because an officer shows it on a
// screen in any image viewer, looping without end; the file name carries the
// envelope's name, which the UR payload (the raw file bytes, for interop)
// cannot.

// qrOutFPS is 'coldsig qr encode --gif's default frame rate.
const qrOutFPS = 5

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

// writeOutboxQR writes the GIFs for rep.Outbox into dir ("" means no --qr).
// The ceremony step is already committed when it runs, so its errors say so
// and point to the envelopes, which are complete in the outbox.
func writeOutboxQR(cmd *cobra.Command, dir string, rep *ceremony.Report) error {
	if dir == "" || len(rep.Outbox) == 0 {
		return nil
	}
	e := getEnv(cmd)
	type output struct {
		envelope, path string
		data           []byte
		frames, min    int
		present        bool
	}
	opts := (&qrFrameOptions{fragment: qr.DefaultMaxFragmentLen, redundancy: 0.5}).qrOptions()
	outs := make([]output, len(rep.Outbox))
	// Everything is rendered, verified and checked against existing files
	// before the first write, so that a failure adds nothing to dir.
	for i, env := range rep.Outbox {
		o := &outs[i]
		o.envelope = env
		o.path = filepath.Join(dir, filepath.Base(env)+".gif")
		payload, err := qrReadPayload(env)
		if err != nil {
			return qrOutError(rep, err)
		}
		frames, err := qr.Encode(payload, opts)
		if err != nil {
			return qrOutError(rep, fmt.Errorf("%s: %w", env, err))
		}
		files, err := qrRenderVerified(payload, frames, true, qr.DefaultScale, qrOutFPS)
		if err != nil {
			return qrOutError(rep, fmt.Errorf("%s: %w", env, err))
		}
		o.data, o.frames, o.min = files[0].data, len(frames), len(frames)
		if enc, err := qr.NewEncoder(payload, opts); err == nil {
			o.min = enc.SeqLen()
		}
		if o.present, err = qrOutPresent(o.path, o.data); err != nil {
			return qrOutError(rep, err)
		}
	}
	if err := atomicfile.MkdirPrivate(dir); err != nil {
		return qrOutError(rep, err)
	}
	for _, o := range outs {
		note := "verified"
		if o.present {
			note = "already there, identical"
		} else if err := atomicfile.Create(o.path, o.data, 0o600); err != nil {
			if !errors.Is(err, atomicfile.ErrExists) {
				return qrOutError(rep, err)
			}
			// Written by someone else since the check above.
			if same, perr := qrOutPresent(o.path, o.data); perr != nil || !same {
				return qrOutError(rep, fmt.Errorf("%s: already exists with other content; not overwritten", o.path))
			}
			note = "already there, identical"
		}
		fmt.Fprintf(e.stdout, "qr        %s (%d frames, at least %d needed; %s)\n", o.path, o.frames, o.min, note)
	}
	return nil
}

// qrOutPresent reports whether path already holds exactly data; a file
// with other content is an error, never overwritten.
func qrOutPresent(path string, data []byte) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		old, err := os.ReadFile(path)
		if err != nil {
			return false, err
		}
		if bytes.Equal(old, data) {
			return true, nil
		}
	}
	return false, fmt.Errorf("%s: already exists with other content; not overwritten", path)
}

func qrOutError(rep *ceremony.Report, err error) error {
	return withHint(fmt.Errorf("QR output failed after the step was committed: %w", err),
		fmt.Sprintf("the envelopes are complete in %s: hand them on as files, or run 'coldsig qr encode ENVELOPE --gif -o NEWDIR' on each", filepath.Dir(rep.Outbox[0])))
}
