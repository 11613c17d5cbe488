// Package textrec is the one encoding under every coldsig text format
// (cards, identities, plans, envelopes, shards): a versioned magic line
// followed by "key: value" lines in a fixed order.
//
// The encoding is canonical by construction: one space after the colon, no
// leading or trailing spaces, LF line endings, a final LF, no empty values
// and no control characters. A parser that accepts only canonical input
// means equal content always has equal bytes, which is what lets a
// fingerprint or a signature cover the encoded bytes directly.
//
// The formats built on it are specified in docs/format.md.
package textrec

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNotRecord means the input does not start with the expected magic line
// family at all (it is some other kind of file).
var ErrNotRecord = errors.New("not a coldsig file of this kind")

// ErrVersion means the magic line names the right kind but another version.
var ErrVersion = errors.New("unsupported format version")

// Field is one "key: value" line.
type Field struct {
	Key   string
	Value string
	// Line is the 1-based line number; Offset is the byte offset of the
	// start of the line in the parsed input (signatures cover data[:Offset]).
	Line   int
	Offset int
}

// Record is a parsed file: its magic line and its fields in order.
type Record struct {
	Magic  string
	Fields []Field
}

// LineError reports a malformed or unexpected line.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse parses data, which must start with exactly the magic line. magic is
// of the form "coldsig/<kind>/v<N>"; a line "coldsig/<kind>/v<M>" with M != N
// yields ErrVersion so callers can say "made by a newer coldsig".
func Parse(data []byte, magic string) (*Record, error) {
	first, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		if isFamily(string(first), magic) {
			return nil, &LineError{1, "missing newline after magic line"}
		}
		return nil, ErrNotRecord
	}
	if string(first) == magic+"\r" {
		// A file passed through a Windows editor or mail client: say so
		// rather than blaming the version.
		return nil, &LineError{1, "CRLF line endings; coldsig files use LF only"}
	}
	if string(first) != magic {
		if isFamily(string(first), magic) {
			return nil, fmt.Errorf("%w: %q (this coldsig reads %q)", ErrVersion, clip(string(first)), magic)
		}
		return nil, ErrNotRecord
	}
	rec := &Record{Magic: magic}
	offset := len(first) + 1
	line := 1
	for len(rest) > 0 {
		line++
		l, r, ok := bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, &LineError{line, "missing final newline"}
		}
		k, v, err := parseLine(l)
		if err != nil {
			return nil, &LineError{line, err.Error()}
		}
		rec.Fields = append(rec.Fields, Field{Key: k, Value: v, Line: line, Offset: offset})
		offset += len(l) + 1
		rest = r
	}
	return rec, nil
}

func isFamily(line, magic string) bool {
	i := strings.LastIndex(magic, "/v")
	return i > 0 && strings.HasPrefix(line, magic[:i+2])
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func parseLine(l []byte) (string, string, error) {
	k, v, ok := bytes.Cut(l, []byte(": "))
	if !ok {
		return "", "", errors.New(`expected "key: value"`)
	}
	if err := ValidKey(string(k)); err != nil {
		return "", "", err
	}
	if err := ValidValue(string(v)); err != nil {
		return "", "", fmt.Errorf("%s: %v", k, err)
	}
	return string(k), string(v), nil
}

// ValidKey reports whether k is a well-formed key: [a-z0-9-]+.
func ValidKey(k string) error {
	if k == "" {
		return errors.New("empty key")
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("invalid character %q in key", c)
		}
	}
	return nil
}

// ValidValue reports whether v may be written as a value: non-empty valid
// UTF-8, no control characters, no leading or trailing space.
func ValidValue(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	if !utf8.ValidString(v) {
		return errors.New("value is not valid UTF-8")
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029' {
			return fmt.Errorf("control character %U in value", c)
		}
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return errors.New("leading or trailing space in value")
	}
	return nil
}

// Writer builds a record. Errors are sticky and reported by Bytes.
type Writer struct {
	buf bytes.Buffer
	err error
}

// NewWriter starts a record with the given magic line.
func NewWriter(magic string) *Writer {
	w := &Writer{}
	w.buf.WriteString(magic)
	w.buf.WriteByte('\n')
	return w
}

// String appends a field.
func (w *Writer) String(key, value string) {
	if w.err != nil {
		return
	}
	if err := ValidKey(key); err != nil {
		w.err = err
		return
	}
	if err := ValidValue(value); err != nil {
		w.err = fmt.Errorf("%s: %w", key, err)
		return
	}
	w.buf.WriteString(key)
	w.buf.WriteString(": ")
	w.buf.WriteString(value)
	w.buf.WriteByte('\n')
}

// Hex appends a field holding lowercase hex.
func (w *Writer) Hex(key string, b []byte) { w.String(key, hex.EncodeToString(b)) }

// Uint appends a field holding a decimal number.
func (w *Writer) Uint(key string, n uint64) { w.String(key, strconv.FormatUint(n, 10)) }

// Base64 appends a field holding standard padded base64.
func (w *Writer) Base64(key string, b []byte) { w.String(key, base64.StdEncoding.EncodeToString(b)) }

// Len is the number of bytes written so far (the offset of the next line).
func (w *Writer) Len() int { return w.buf.Len() }

// Bytes returns the encoded record or the first error met.
func (w *Writer) Bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return bytes.Clone(w.buf.Bytes()), nil
}

// Reader walks a record's fields in their required order. Errors are sticky
// and reported by Done, so decoders read straight through and check once.
type Reader struct {
	rec *Record
	i   int
	err error
}

// Reader returns a Reader positioned at the first field.
func (r *Record) Reader() *Reader { return &Reader{rec: r} }

func (r *Reader) fail(line int, format string, args ...any) {
	if r.err == nil {
		r.err = &LineError{line, fmt.Sprintf(format, args...)}
	}
}

func (r *Reader) lineNo() int {
	if r.i < len(r.rec.Fields) {
		return r.rec.Fields[r.i].Line
	}
	if n := len(r.rec.Fields); n > 0 {
		return r.rec.Fields[n-1].Line + 1
	}
	return 2
}

// Peek returns the key of the next field, or "" at the end.
func (r *Reader) Peek() string {
	if r.err != nil || r.i >= len(r.rec.Fields) {
		return ""
	}
	return r.rec.Fields[r.i].Key
}

// Field returns the next field, which must have the given key.
func (r *Reader) Field(key string) Field {
	if r.err != nil {
		return Field{}
	}
	if r.i >= len(r.rec.Fields) {
		r.fail(r.lineNo(), "missing %q", key)
		return Field{}
	}
	f := r.rec.Fields[r.i]
	if f.Key != key {
		r.fail(f.Line, "expected %q, found %q", key, f.Key)
		return Field{}
	}
	r.i++
	return f
}

// String returns the value of the next field, which must have the given key.
func (r *Reader) String(key string) string { return r.Field(key).Value }

// Optional returns the next field's value if its key matches.
func (r *Reader) Optional(key string) (string, bool) {
	if r.Peek() != key {
		return "", false
	}
	return r.String(key), true
}

// All returns the values of all consecutive fields with the given key.
func (r *Reader) All(key string) []string {
	var out []string
	for r.Peek() == key {
		out = append(out, r.String(key))
	}
	return out
}

// Hex decodes a lowercase hex field of exactly n bytes (any length if n < 0).
func (r *Reader) Hex(key string, n int) []byte {
	f := r.Field(key)
	if r.err != nil {
		return nil
	}
	return r.ParseHex(f, n)
}

// ParseHex decodes f's value as lowercase hex of exactly n bytes (n < 0: any).
func (r *Reader) ParseHex(f Field, n int) []byte {
	b, err := hex.DecodeString(f.Value)
	if err != nil || hex.EncodeToString(b) != f.Value {
		r.fail(f.Line, "%s: not lowercase hex", f.Key)
		return nil
	}
	if n >= 0 && len(b) != n {
		r.fail(f.Line, "%s: %d bytes, want %d", f.Key, len(b), n)
		return nil
	}
	return b
}

// Uint decodes a canonical decimal field (no sign, no leading zeros).
func (r *Reader) Uint(key string) uint64 { return r.UintIn(key, 0, math.MaxUint64) }

// UintIn decodes a canonical decimal field and requires lo <= n <= hi. It
// is the one bounded-integer reader of every format: a count, index or
// step that does not fit is refused at its line, not converted to int and
// checked (or forgotten) later.
func (r *Reader) UintIn(key string, lo, hi uint64) uint64 {
	f := r.Field(key)
	if r.err != nil {
		return 0
	}
	return r.ParseUint(f, f.Value, lo, hi)
}

// IntIn is UintIn for the small counts and indexes held in an int; hi
// must fit in an int.
func (r *Reader) IntIn(key string, lo, hi int) int {
	return int(r.UintIn(key, uint64(lo), uint64(hi)))
}

// ParseUint decodes s, a number inside field f (for example the first
// word of "<step> <digest>"), as UintIn does, reporting an error at f.
func (r *Reader) ParseUint(f Field, s string, lo, hi uint64) uint64 {
	n, err := ParseUint(s, lo, hi)
	if err != nil {
		r.fail(f.Line, "%s: %v", f.Key, err)
		return 0
	}
	return n
}

// ErrNotDecimal means a value is not a canonical decimal number.
var ErrNotDecimal = errors.New("not a canonical decimal number")

// ParseUint parses s as a canonical decimal number (ASCII digits, no sign,
// no leading zeros) in lo..hi.
func ParseUint(s string, lo, hi uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, ErrNotDecimal
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

// Base64 decodes a standard padded base64 field in canonical form.
func (r *Reader) Base64(key string) []byte {
	f := r.Field(key)
	if r.err != nil {
		return nil
	}
	b, err := base64.StdEncoding.Strict().DecodeString(f.Value)
	if err != nil {
		r.fail(f.Line, "%s: invalid base64", f.Key)
		return nil
	}
	return b
}

// Fail records a semantic error found by the caller at field f.
func (r *Reader) Fail(f Field, format string, args ...any) {
	r.fail(f.Line, format, args...)
}

// Err returns the first error so far.
func (r *Reader) Err() error { return r.err }

// Done checks that all fields were consumed and returns the first error.
func (r *Reader) Done() error {
	if r.err == nil && r.i < len(r.rec.Fields) {
		f := r.rec.Fields[r.i]
		r.fail(f.Line, "unexpected field %q", f.Key)
	}
	return r.err
}
