package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/qr"
)

// QROptions are the frames of a shard's printed QR pages: large fragments
// (few pages), and the extra pages chosen so that any single page may be
// lost, at least a quarter more than the minimum.
var QROptions = qr.Options{MaxFragmentLen: 1000, Redundancy: 0.25, AnyOneMayBeLost: true}

// qrScale is the pixels per module of printed pages.
const qrScale = 4

// Files are the output names of shard i (1-based) of custodian name in
// dir: the shard file, its paper form and its QR page directory.
type Files struct {
	Shard, Paper, QRDir string
}

// FilesOf returns the output names Write uses.
func FilesOf(dir string, i int, custodian string) Files {
	base := filepath.Join(dir, fmt.Sprintf("shard-%d-%s", i, custodian))
	return Files{Shard: base + ".age", Paper: base + ".txt", QRDir: base + ".qr"}
}

// WriteOptions choose the forms Write produces besides the shard files.
type WriteOptions struct {
	Paper bool // the printable text form (RenderPaper)
	QR    bool // printable QR pages, labelled, each verified
}

// Write seals shard i to recipients[i] and writes every shard in the
// chosen forms into dir, all or nothing: if anything fails, nothing it
// wrote is left, nor any directory it made. dir is created (0700) if
// missing; no file is ever overwritten.
func Write(ctx context.Context, dir string, shards []*Shard, recipients []age.Recipient, o WriteOptions) ([]Files, error) {
	if len(shards) != len(recipients) {
		return nil, errors.New("backup: one recipient per shard is needed")
	}
	var b atomicfile.Batch
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := b.MkdirAll(dir); err != nil {
			return nil, err
		}
	}
	files := make([]Files, len(shards))
	for i, s := range shards {
		f := FilesOf(dir, s.Index, s.Custodian())
		files[i] = f
		sealed, err := SealShard(s, recipients[i])
		if err != nil {
			b.Abort()
			return nil, err
		}
		if err := b.Write(f.Shard, sealed, 0o600); err != nil {
			b.Abort()
			return nil, err
		}
		if o.Paper {
			paper, err := RenderPaper(s, sealed)
			if err == nil {
				err = b.Write(f.Paper, paper, 0o600)
			}
			if err != nil {
				b.Abort()
				return nil, err
			}
		}
		if o.QR {
			if err := writeQR(ctx, &b, f.QRDir, s, sealed); err != nil {
				b.Abort()
				return nil, fmt.Errorf("%s: QR form: %w", f.QRDir, err)
			}
		}
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	return files, nil
}

func writeQR(ctx context.Context, b *atomicfile.Batch, dir string, s *Shard, sealed []byte) error {
	if err := b.Mkdir(dir); err != nil {
		return err
	}
	enc, err := qr.NewEncoder(sealed, &QROptions)
	if err != nil {
		return err
	}
	ro := qr.RenderOptions{Format: qr.PNG, Scale: qrScale, Caption: func(i, n int) []string {
		return PageLabel(s, i+1, n)
	}}
	return qr.WriteVerified(ctx, sealed, enc.Frames(), ro, b.Creator(dir, 0o600))
}

// PageLabel is the text printed under page k of n of a shard's QR form, so
// that a sheet found in a safe says what it is.
func PageLabel(s *Shard, k, n int) []string {
	return []string{
		fmt.Sprintf("coldsig backup shard, page %d of %d", k, n),
		"backup " + s.BackupIDHex(),
		fmt.Sprintf("custodian %s - shard %d of %d (any %d)", s.Custodian(), s.Index, s.Shards(), s.Threshold),
		fmt.Sprintf("any one page of the %d may be missing", n),
	}
}
