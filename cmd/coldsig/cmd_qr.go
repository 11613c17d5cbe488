package main

import (
	"errors"
	"fmt"
	_ "image/jpeg" // qr decode reads photos
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/qr"
)

func init() { register(newQRCommand) }

func newQRCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "qr",
		Short: "Carry any file as animated QR codes (Uniform Resources) and back",
		Long: `Move a file between air-gapped machines through a screen and a camera.

The file becomes a sequence of QR codes, each holding one Blockchain Commons
Uniform Resource part (ur:bytes, BCR-2020-005). The parts are fountain
coded: the receiver needs a few more distinct frames than the minimum, in any
order, so frames a camera misses do not matter. Any UR-capable scanner reads
them, and coldsig reads the frames of other UR encoders.

The file's content is not interpreted: envelopes, plans, cards and backup
shards travel alike. The receiver checks a CRC-32 per frame and of the whole
file; authenticity comes from the signatures inside coldsig files.`,
		Args: exactArgs(0, "a subcommand"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newQREncodeCommand(), newQRShowCommand(), newQRDecodeCommand())
	return cmd
}

// qrFrameOptions are the flags shared by encode and show.
type qrFrameOptions struct {
	fragment   int
	redundancy float64
}

func (o *qrFrameOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().IntVar(&o.fragment, "fragment", qr.DefaultMaxFragmentLen, "largest fragment per frame in `BYTES` (smaller: more, easier frames)")
	cmd.Flags().Float64Var(&o.redundancy, "redundancy", qr.DefaultRedundancy, "extra frames beyond the minimum, as a `FRACTION` of it")
}

func (o *qrFrameOptions) check() error {
	if o.fragment < 20 || o.fragment > 1000 {
		return usageErrorf("--fragment %d: must be between 20 and 1000 bytes", o.fragment)
	}
	if o.redundancy < 0 || o.redundancy > 10 {
		return usageErrorf("--redundancy %g: must be between 0 and 10", o.redundancy)
	}
	return nil
}

func (o *qrFrameOptions) qrOptions() *qr.Options {
	return &qr.Options{MaxFragmentLen: o.fragment, Redundancy: o.redundancy}
}

type qrEncodeOptions struct {
	frames   qrFrameOptions
	out      string
	png      bool
	gif      bool
	terminal bool
	scale    int
	fps      float64
	loops    int
}

func newQREncodeCommand() *cobra.Command {
	var opts qrEncodeOptions
	cmd := &cobra.Command{
		Use:   "encode FILE -o DIR",
		Short: "Write FILE as QR frames: PNG images, an animated GIF, or the terminal",
		Long: `Encode FILE (at most 1 MiB) as UR frames and render them.

--png (the default) writes DIR/frame-0001.png and so on, one code per image at
a whole number of pixels per module (--scale), plus DIR/frames.txt with the
same frames as text, one per line. --gif writes DIR/frames.gif, an endless
animation for showing on a screen (--fps frames per second). --terminal shows
the frames in this terminal instead, like 'coldsig qr show'.

The frame count is the minimum for the file plus --redundancy times as many
again (default 0.5: with a quarter of the frames lost the file still
arrives). Before reporting success, every rendered image is read back with a
QR decoder and the file is rebuilt from the decoded frames and compared; on
any mismatch nothing is written. DIR is created (0700) and must be new or
empty; no file is ever overwritten.

EXAMPLES
  coldsig qr encode alice-kg/outbox/cs-1a2b3c4d-eddsa-keygen-r01-p1-to-all.age -o /media/screen/qr
  coldsig qr encode keygen.plan -o qr-plan --gif --fps 6
  coldsig qr encode alice.card --terminal

EXIT STATUS
  0  frames written and verified
  1  FILE unreadable or too large, DIR not empty, or verification failed
  2  bad flags or arguments`,
		Args: exactArgs(1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error { return runQREncode(cmd, &opts, args[0]) },
	}
	opts.frames.addFlags(cmd)
	cmd.Flags().StringVarP(&opts.out, "output", "o", "", "write the frames into `DIR`")
	cmd.Flags().BoolVar(&opts.png, "png", false, "one PNG image per frame (the default)")
	cmd.Flags().BoolVar(&opts.gif, "gif", false, "one animated GIF")
	cmd.Flags().BoolVar(&opts.terminal, "terminal", false, "show the frames in the terminal instead of writing files")
	cmd.Flags().IntVar(&opts.scale, "scale", qr.DefaultScale, "`PIXELS` per QR module in images")
	cmd.Flags().Float64Var(&opts.fps, "fps", qr.DefaultFPS, "`RATE`: frames per second for --gif and --terminal")
	cmd.Flags().IntVar(&opts.loops, "loops", 0, "with --terminal, stop after `N` passes over the frames (0: until Ctrl-C)")
	return cmd
}

func runQREncode(cmd *cobra.Command, opts *qrEncodeOptions, path string) error {
	e := getEnv(cmd)
	modes := 0
	for _, b := range []bool{opts.png, opts.gif, opts.terminal} {
		if b {
			modes++
		}
	}
	if modes > 1 {
		return usageErrorf("--png, --gif and --terminal exclude each other")
	}
	if err := opts.frames.check(); err != nil {
		return err
	}
	if opts.scale < 1 || opts.scale > 40 {
		return usageErrorf("--scale %d: must be between 1 and 40 pixels per module", opts.scale)
	}
	if opts.fps <= 0 || opts.fps > 30 {
		return usageErrorf("--fps %g: must be above 0 and at most 30", opts.fps)
	}
	if opts.terminal {
		if opts.out != "" {
			return usageErrorf("--terminal writes no files; drop -o")
		}
		return qrShow(cmd, path, &opts.frames, opts.fps, opts.loops)
	}
	if opts.out == "" {
		return usageErrorf("qr encode needs -o DIR").withHint("see 'coldsig qr encode --help'")
	}
	payload, err := qrReadPayload(path)
	if err != nil {
		return err
	}
	if err := qrCheckOutDir(opts.out); err != nil {
		return err
	}
	enc, err := qr.NewEncoder(payload, opts.frames.qrOptions())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	qrMemory()
	frames := enc.Frames()
	ro := qr.RenderOptions{Format: qr.PNG, Scale: opts.scale, FPS: opts.fps}
	what := fmt.Sprintf("%d PNG frames (frame-0001.png ...) and frames.txt", len(frames))
	if opts.gif {
		ro.Format = qr.GIF
		what = fmt.Sprintf("frames.gif (%d frames at %g fps)", len(frames), opts.fps)
	}
	if err := qr.WriteDir(cmd.Context(), opts.out, payload, frames, ro); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return withHint(err, "give a new directory with -o; coldsig never overwrites files")
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s to %s (%d bytes; at least %d distinct frames needed); every frame verified\n", what, termsafe.Path(opts.out), len(payload), enc.SeqLen())
	return nil
}

// qrMemory undoes main's raised GC target for the QR pipeline, which makes
// thousands of frames, each garbage a moment later: at GOGC=400 the heap
// grows to five times what is live (#16 asks for at most 64 MB).
func qrMemory() { debug.SetGCPercent(100) }

// qrReadPayload reads the file one QR transfer carries.
func qrReadPayload(path string) ([]byte, error) {
	data, err := qr.ReadPayloadFile(path)
	if errors.Is(err, qr.ErrFileTooLarge) {
		return nil, withHint(err, "move large files on removable media")
	}
	return data, err
}

// qrCheckOutDir accepts a missing or empty directory. Temporary files of
// an earlier encode that was killed before it could discard them
// (atomicfile.IsTemp names: never a finished frame) do not count, and are
// removed, so that the same command runs again as the interrupt message
// promises.
func qrCheckOutDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	temps := 0
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) && e.Type().IsRegular() {
			temps++
		}
	}
	if len(ents) > temps {
		return withHint(fmt.Errorf("%s: already exists and is not empty", termsafe.Path(dir)), "give a new directory with -o; coldsig never overwrites files")
	}
	if temps > 0 {
		return atomicfile.RemoveTemps(dir)
	}
	return nil
}

func qrCreateErr(path string, err error) error {
	if errors.Is(err, atomicfile.ErrExists) {
		return existsError(path, "choose another output name")
	}
	return err
}

type qrShowOptions struct {
	frames qrFrameOptions
	fps    float64
	loops  int
}

func newQRShowCommand() *cobra.Command {
	var opts qrShowOptions
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show FILE as QR frames cycling in the terminal",
		Long: `Show FILE as UR frames cycling in this terminal, drawn with half-block
characters (two modules per character cell) in black on white. Point the
receiving camera at the screen; stop with Ctrl-C once it reports the file
complete. The frames never end: after the minimum set, new fountain-mixed
frames follow, so each pass brings information a camera may have missed.

Make the terminal large enough (the command says how large) and the font
small; a smaller --fragment gives smaller codes.

EXAMPLES
  coldsig qr show bob-kg/outbox/cs-1a2b3c4d-eddsa-keygen-r02-p2-to-p1.age
  coldsig qr show keygen.plan --fps 3 --fragment 150

EXIT STATUS
  0  stopped with Ctrl-C or after --loops passes
  1  FILE unreadable or too large
  2  bad flags or arguments`,
		Args: exactArgs(1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.frames.check(); err != nil {
				return err
			}
			if opts.fps <= 0 || opts.fps > 30 {
				return usageErrorf("--fps %g: must be above 0 and at most 30", opts.fps)
			}
			return qrShow(cmd, args[0], &opts.frames, opts.fps, opts.loops)
		},
	}
	opts.frames.addFlags(cmd)
	cmd.Flags().Float64Var(&opts.fps, "fps", qr.DefaultFPS, "`RATE`: frames per second")
	cmd.Flags().IntVar(&opts.loops, "loops", 0, "stop after `N` passes over the minimum frame count (0: until Ctrl-C)")
	return cmd
}

func qrShow(cmd *cobra.Command, path string, fo *qrFrameOptions, fps float64, loops int) error {
	e := getEnv(cmd)
	payload, err := qrReadPayload(path)
	if err != nil {
		return err
	}
	enc, err := qr.NewEncoder(payload, fo.qrOptions())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ctx := cmd.Context()
	ctrlCStops(ctx)
	tty := false
	if f, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	first := enc.Next()
	m, err := qr.Modules(first)
	if err != nil {
		return err
	}
	if tty {
		if w, h, err := term.GetSize(int(e.stdout.(*os.File).Fd())); err == nil && (w < len(m) || h < (len(m)+1)/2+1) {
			fmt.Fprintf(e.stderr, "coldsig: warning: the codes need %dx%d character cells, the terminal has %dx%d; enlarge it, shrink the font, or use a smaller --fragment\n",
				len(m), (len(m)+1)/2+1, w, h)
		}
	}
	delay := time.Duration(float64(time.Second) / fps)
	frame, n := first, 0
	for {
		text, err := qr.TerminalANSI(frame)
		if err != nil {
			return err
		}
		n++
		var b strings.Builder
		if tty {
			b.WriteString("\x1b[H\x1b[2J")
		}
		b.WriteString(text)
		fmt.Fprintf(&b, "frame %d (%d needed at least) - %s - Ctrl-C to stop\n", n, enc.SeqLen(), filepath.Base(path))
		io.WriteString(e.stdout, b.String())
		if loops > 0 && n >= loops*enc.SeqLen() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		frame = enc.Next()
	}
}

type qrDecodeOptions struct {
	out string
}

func newQRDecodeCommand() *cobra.Command {
	var opts qrDecodeOptions
	cmd := &cobra.Command{
		Use:   "decode [INPUT...] -o FILE",
		Short: "Rebuild a file from QR frames: images, directories of images, or text",
		Long: `Rebuild a file from its UR frames and write it to FILE.

Each INPUT is an image (PNG, JPEG or GIF; screenshots and photos, one code
each), a directory (its image and text files, in name order), a text file of
frames (one per line), or '-' for standard input, one frame per line as a
camera scanner such as 'zbarcam --raw' prints them. No INPUT means standard
input.

Frames may come in any order and repeat. Progress (the share of the file
recovered) goes to standard error. Decoding stops as soon as the file is
complete and its checksum matches; the rest of the input is not read.
Frames that belong to another file, damaged frames and QR codes that are not
UR frames are reported and skipped; they are never mixed in. FILE is written
only when complete, mode 0600, and is never overwritten.

EXAMPLES
  coldsig qr decode /media/camera/DCIM -o inbox/cs-1a2b3c4d-eddsa-keygen-r01-p1-to-all.age
  coldsig qr decode shot1.png shot2.jpg -o keygen.plan
  zbarcam --raw | coldsig qr decode -o inbox/cs-1a2b3c4d-eddsa-keygen-r02-p2-to-p1.age

EXIT STATUS
  0  FILE written
  1  unreadable input, corrupt frames, FILE exists, or the write failed
  2  bad flags or arguments
  3  the input ended before the file was complete (show more frames)`,
		RunE: func(cmd *cobra.Command, args []string) error { return runQRDecode(cmd, &opts, args) },
	}
	cmd.Flags().StringVarP(&opts.out, "output", "o", "", "write the rebuilt file to `FILE`")
	return cmd
}

func runQRDecode(cmd *cobra.Command, opts *qrDecodeOptions, args []string) error {
	e := getEnv(cmd)
	if opts.out == "" {
		return usageErrorf("qr decode needs -o FILE").withHint("see 'coldsig qr decode --help'")
	}
	if err := checkAbsent(opts.out, "choose another -o FILE"); err != nil {
		return err
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	stdinUsed := false
	for _, a := range args {
		if a == "-" {
			if stdinUsed {
				return usageErrorf("'-' (standard input) given twice")
			}
			stdinUsed = true
		}
	}
	qrMemory()
	c := &qr.Collector{}
	c.Report = func(ev qr.Event) {
		switch ev.Kind {
		case qr.Skipped:
			fmt.Fprintf(e.stderr, "coldsig: skipped %s: %s\n", termsafe.Path(ev.Source), termsafe.Line(ev.Err.Error()))
		case qr.NoInput:
			fmt.Fprintf(e.stderr, "coldsig: warning: %s: no .png, .jpg, .gif or .txt files\n", termsafe.Path(ev.Source))
		case qr.Progress:
			d := &c.Decoder
			fmt.Fprintf(e.stderr, "coldsig: %3d%% recovered (%s read, at least %d needed)\n", int(d.Progress()*100), plural(d.Frames(), "frame"), d.SeqLen())
		}
	}
	var err error
	for _, a := range args {
		if a == "-" {
			err = c.Lines("standard input", e.stdin)
		} else {
			err = c.Path(cmd.Context(), a)
			var pe *fs.PathError
			if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
				err = withHint(fmt.Errorf("%s: no such file or directory", termsafe.Path(a)), "give the images, their directory, or '-' for frames on standard input")
			}
		}
		if err != nil {
			break
		}
	}
	if err != nil && !errors.Is(err, qr.ErrComplete) {
		return err
	}
	d := &c.Decoder
	payload, rerr := d.Result()
	if rerr != nil {
		if errors.Is(rerr, qr.ErrIncomplete) {
			hint := "show the remaining frames (any of them, in any order) and run again with all the inputs"
			if c.Others() > 0 {
				hint = fmt.Sprintf("%d frames belonged to another file; decode each file's frames separately", c.Others())
			}
			if d.Frames() == 0 {
				return withCode(withHint(fmt.Errorf("no UR frame found in the input (%d skipped)", c.Skipped()), "check that the images show coldsig QR codes"), exitWaiting)
			}
			return withCode(withHint(rerr, hint), exitWaiting)
		}
		return rerr
	}
	if err := atomicfile.Create(opts.out, payload, 0o600); err != nil {
		return qrCreateErr(opts.out, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes) from %s\n", termsafe.Path(opts.out), len(payload), plural(d.Frames(), "frame"))
	return nil
}
