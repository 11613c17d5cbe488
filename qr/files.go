package qr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/boundedio"
)

// ErrFileTooLarge means a file holds more than MaxPayload bytes, more
// than one QR transfer carries.
var ErrFileTooLarge = errors.New("file too large for a QR transfer")

type fileTooLarge struct {
	path string
	size int64
}

func (e *fileTooLarge) Error() string {
	return fmt.Sprintf("%s: %d bytes, more than the %d a QR transfer carries", e.path, e.size, MaxPayload)
}
func (e *fileTooLarge) Is(target error) bool { return target == ErrFileTooLarge }

// ReadPayloadFile reads a regular file of at most MaxPayload bytes, the
// payload of one QR transfer. Errors name the file.
func ReadPayloadFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > MaxPayload {
		return nil, &fileTooLarge{path, fi.Size()}
	}
	return boundedio.ReadFile(path, MaxPayload)
}

// FileGIF is one GIF WriteGIFs wrote.
type FileGIF struct {
	Path string // DIR/<file name>.gif
	// Frames is the GIF's frame count, Min the fewest distinct frames
	// that rebuild the file.
	Frames, Min int
	// Present: an identical GIF was there already and is kept.
	Present bool
}

// WriteGIFs writes each file as an animated GIF, DIR/<file name>.gif, at
// the default settings (NewEncoder with nil options, WriteVerified to a
// GIF), so the GIF is byte for byte the one 'qr encode --gif' makes. It is
// all or nothing: every GIF is rendered, verified and compared with a file
// already there before any is put in place. An identical GIF already
// there is kept (a repeated command writes the same files); a different
// one is an error wrapping atomicfile.ErrExists. Other errors name the
// file.
func WriteGIFs(ctx context.Context, dir string, files []string) ([]FileGIF, error) {
	var b atomicfile.Batch
	if err := b.MkdirAll(dir); err != nil {
		return nil, err
	}
	out := make([]FileGIF, len(files))
	for i, file := range files {
		o := &out[i]
		o.Path = filepath.Join(dir, filepath.Base(file)+".gif")
		payload, err := ReadPayloadFile(file)
		if err != nil {
			b.Abort()
			return nil, err
		}
		enc, err := NewEncoder(payload, nil)
		if err != nil {
			b.Abort()
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		frames := enc.Frames()
		o.Frames, o.Min = len(frames), enc.SeqLen()
		create := func(string) (io.WriteCloser, error) {
			w, existed, err := b.CreateOrMatch(o.Path, 0o600)
			o.Present = existed
			return w, err
		}
		if err := WriteVerified(ctx, payload, frames, RenderOptions{Format: GIF}, create); err != nil {
			b.Abort()
			if !errors.Is(err, atomicfile.ErrExists) {
				err = fmt.Errorf("%s: %w", file, err)
			}
			return nil, err
		}
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}
