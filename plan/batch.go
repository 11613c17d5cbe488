package plan

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/internal/textrec"
)

// BatchMagic starts a batch file: the list of payloads 'coldsig plan sign
// --batch FILE' signs in one plan (docs/format.md, "Batch file").
const BatchMagic = "coldsig/batch/v1"

// MaxBatchFile bounds a batch file's size.
const MaxBatchFile = 1 << 20

// BatchKind is what a batch line signs.
type BatchKind string

// Batch line kinds: the same as plan sign's --digest, --message, --file.
const (
	BatchDigest  BatchKind = "digest"
	BatchMessage BatchKind = "message"
	BatchFile    BatchKind = "file"
)

// BatchEntry is one payload line of a batch file.
type BatchEntry struct {
	// Line is the 1-based line number, for errors.
	Line int
	// Path is the derivation path (nil: the key itself).
	Path hd.Path
	Kind BatchKind
	// Value is the rest of the line: the digest's hex, the message text, or
	// the file's path (relative paths are relative to the batch file).
	Value string
}

// ErrBatch wraps every batch file error.
var ErrBatch = errors.New("invalid batch file")

// ParseBatch reads a batch file: the magic line, then one payload per
// line, "[PATH ]KIND VALUE" with single spaces, where PATH is "m" or
// "m/..." (non-hardened) and KIND is digest, message or file. Empty lines
// and lines starting with "#" are ignored. It checks the syntax and the
// paths; the plan checks the payloads against the key.
func ParseBatch(data []byte) ([]BatchEntry, error) {
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %w", ErrBatch, &textrec.LineError{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if len(data) > MaxBatchFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBatch, MaxBatchFile)
	}
	first, rest, ok := bytes.Cut(data, []byte("\n"))
	switch {
	case string(first) == BatchMagic+"\r":
		return nil, bad(1, "CRLF line endings; coldsig files use LF only")
	case string(first) != BatchMagic && strings.HasPrefix(string(first), "coldsig/batch/v"):
		return nil, fmt.Errorf("%w: unsupported format version %q (this coldsig reads %q)", ErrBatch, clipText(string(first)), BatchMagic)
	case string(first) != BatchMagic:
		return nil, fmt.Errorf("%w: the first line must be %q", ErrBatch, BatchMagic)
	case !ok:
		return nil, bad(1, "missing newline after magic line")
	}
	var out []BatchEntry
	n := 1
	for len(rest) > 0 {
		n++
		l, r, ok := bytes.Cut(rest, []byte("\n"))
		rest = r
		if !ok {
			return nil, bad(n, "missing final newline")
		}
		if !utf8.Valid(l) {
			return nil, bad(n, "not valid UTF-8")
		}
		line := string(l)
		if strings.ContainsRune(line, '\r') {
			return nil, bad(n, "carriage return (CRLF line endings?); coldsig files use LF only")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e := BatchEntry{Line: n}
		if line == "m" || strings.HasPrefix(line, "m ") || strings.HasPrefix(line, "m/") {
			p, after, _ := strings.Cut(line, " ")
			path, err := hd.ParsePath(p)
			if err != nil {
				return nil, bad(n, "%v", err)
			}
			if len(path) > 0 {
				e.Path = path
			}
			line = after
		}
		kind, value, _ := strings.Cut(line, " ")
		e.Kind, e.Value = BatchKind(kind), value
		switch e.Kind {
		case BatchDigest, BatchMessage, BatchFile:
		default:
			return nil, bad(n, "%q is not a payload kind: a line is \"[PATH ]digest HEX\", \"[PATH ]message TEXT\" or \"[PATH ]file PATH\"", clipText(kind))
		}
		if value == "" {
			return nil, bad(n, "%s without a value", kind)
		}
		if e.Kind != BatchMessage && strings.TrimSpace(value) != value {
			return nil, bad(n, "%s value starts or ends with a space", kind)
		}
		if len(out) == MaxItems {
			return nil, bad(n, "more than %d payloads; split the batch into several plans", MaxItems)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no payload lines", ErrBatch)
	}
	return out, nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
