package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/buildinfo"
	"github.com/coldsig/coldsig/report"
)

func init() { register(newReportCommand) }

type reportOptions struct {
	workdirs []string
	out      string
	format   string
}

func newReportCommand() *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report --workdir DIR... [-o FILE] [--format text|html]",
		Short: "Write the printable record of a ceremony from work directories",
		Long: `Write the record of a ceremony for the officers and witnesses to sign and
file: the plan (fingerprint words, parties and their card words, threshold,
what was signed), each party's timeline and the envelopes it sent and
accepted (SHA-256 digests), the transcript words, the results (public key,
address, signature), the software version and this binary's SHA-256, and
lines for the signatures.

With --workdir repeated (several parties' work directories, for example
copied onto one stick after the ceremony), the report also says whether
their transcripts and results agree, and says so loudly when they do not.

report reads only the public files of a work directory (plan, session,
progress, log and results; never state/ or share.age), asks no passphrase
and prints no secret.

The format is chosen by --format, or else by the extension of -o (.html or
.htm: HTML; .txt: text); without -o the text goes to standard output. The
HTML is one file with no external resources, laid out to print on A4 or
Letter paper. An existing FILE is never overwritten.

EXAMPLES
  coldsig report --workdir alice-kg
  coldsig report --workdir alice-kg -o keygen-record.html
  coldsig report --workdir alice-kg --workdir bob-kg --workdir carol-kg -o keygen-record.txt

EXIT STATUS
  0 written (even when the records disagree: the report says so);
  1 a work directory cannot be read, or FILE exists; 2 bad usage.`,
		Args: exactArgs(0, "no arguments (use --workdir)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runReport(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.workdirs, "workdir", nil, "a party's work `DIR` (repeat for several parties of one ceremony)")
	f.StringVarP(&opts.out, "output", "o", "", "write the report to `FILE` (must not exist)")
	f.StringVar(&opts.format, "format", "", "`FORMAT`: text or html (default: from the extension of -o, else text)")
	return cmd
}

func reportFormat(opts *reportOptions) (string, error) {
	switch opts.format {
	case "text", "html":
		return opts.format, nil
	case "":
	default:
		return "", usageErrorf("--format must be text or html, not %q", opts.format)
	}
	if opts.out == "" {
		return "text", nil
	}
	switch strings.ToLower(filepath.Ext(opts.out)) {
	case ".html", ".htm":
		return "html", nil
	case ".txt", ".text":
		return "text", nil
	}
	return "", usageErrorf("cannot tell the format from %q", opts.out).withHint("name the file .html or .txt, or add --format text|html")
}

func runReport(cmd *cobra.Command, opts *reportOptions) error {
	if len(opts.workdirs) == 0 {
		return usageErrorf("report needs --workdir").withHint("see 'coldsig report --help'")
	}
	format, err := reportFormat(opts)
	if err != nil {
		return err
	}
	if opts.out != "" {
		if err := checkAbsent(opts.out, "choose another -o FILE"); err != nil {
			return err
		}
	}
	var parties []*report.Party
	for _, d := range opts.workdirs {
		p, err := report.Load(d)
		if err != nil {
			return err
		}
		parties = append(parties, p)
	}
	rep, err := report.New(parties, buildinfo.Read(), time.Now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "html" {
		err = rep.HTML(&buf)
	} else {
		err = rep.Text(&buf)
	}
	if err != nil {
		return err
	}
	e := getEnv(cmd)
	if opts.out == "" {
		_, err := e.stdout.Write(buf.Bytes())
		return err
	}
	if err := atomicfile.Create(opts.out, buf.Bytes(), 0o644); err != nil {
		return createError(opts.out, err, "choose another -o FILE")
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s)\n", opts.out, format)
	if rep.Agreement.Compared && !rep.Agreement.Agree {
		fmt.Fprintf(e.stderr, "coldsig: warning: the parties' records DO NOT AGREE; see the report\n")
	}
	return nil
}
