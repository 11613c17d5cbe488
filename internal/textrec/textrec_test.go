package textrec

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const magic = "coldsig/test/v1"

func TestRoundTrip(t *testing.T) {
	w := NewWriter(magic)
	w.String("name", "Alice Ümlaut")
	w.Hex("id", []byte{0xde, 0xad})
	w.Uint("n", 42)
	w.Base64("blob", []byte("hello"))
	w.String("party", "a")
	w.String("party", "b")
	data, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Parse(data, magic)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Reader()
	if got := r.String("name"); got != "Alice Ümlaut" {
		t.Errorf("name = %q", got)
	}
	if got := r.Hex("id", 2); !bytes.Equal(got, []byte{0xde, 0xad}) {
		t.Errorf("id = %x", got)
	}
	if got := r.Uint("n"); got != 42 {
		t.Errorf("n = %d", got)
	}
	if got := r.Base64("blob"); string(got) != "hello" {
		t.Errorf("blob = %q", got)
	}
	if got := r.All("party"); strings.Join(got, ",") != "a,b" {
		t.Errorf("party = %v", got)
	}
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"hello\n", "not a coldsig file"},
		{"coldsig/test/v2\nk: v\n", "unsupported format version"},
		{"coldsig/test/v1", "missing newline after magic"},
		{"coldsig/test/v1\nk: v", "line 2: missing final newline"},
		{"coldsig/test/v1\nk:v\n", `line 2: expected "key: value"`},
		{"coldsig/test/v1\nK: v\n", "invalid character"},
		{"coldsig/test/v1\nk: \n", "empty value"},
		{"coldsig/test/v1\nk: v \n", "trailing space"},
		{"coldsig/test/v1\nk: a\tb\n", "control character"},
		{"coldsig/test/v1\nk: v\r\n", "control character"},
		{"coldsig/test/v1\n\n", `line 2: expected "key: value"`},
	} {
		_, err := Parse([]byte(tc.in), magic)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	rec, err := Parse([]byte("coldsig/test/v1\nn: 007\nx: zz\n"), magic)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Reader()
	r.Uint("n")
	if err := r.Done(); err == nil || !strings.Contains(err.Error(), "line 2: n: not a canonical decimal") {
		t.Fatalf("got %v", err)
	}
	r = rec.Reader()
	r.String("x")
	var le *LineError
	if err := r.Done(); !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("got %v", err)
	}
	r = rec.Reader()
	r.String("n")
	if err := r.Done(); err == nil || !strings.Contains(err.Error(), `line 3: unexpected field "x"`) {
		t.Fatalf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("coldsig/test/v1\nk: v\nparty: a\n"))
	f.Add([]byte("coldsig/test/v9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Parse(data, magic)
		if err != nil {
			return
		}
		// Canonical: re-encoding what was parsed gives the same bytes.
		w := NewWriter(magic)
		for _, fl := range rec.Fields {
			w.String(fl.Key, fl.Value)
		}
		out, err := w.Bytes()
		if err != nil {
			t.Fatalf("parsed record does not re-encode: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("not canonical:\n%q\n%q", data, out)
		}
	})
}

// TestCRLFNamed checks that a record whose line endings were converted to
// CRLF is reported as such, not as a file from another coldsig version.
func TestCRLFNamed(t *testing.T) {
	_, err := Parse([]byte("coldsig/card/v1\r\nname: a\r\n"), "coldsig/card/v1")
	if err == nil || errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "CRLF") {
		t.Fatalf("got %v, want a CRLF line error", err)
	}
}

func TestParseUint(t *testing.T) {
	for _, tc := range []struct {
		s      string
		lo, hi uint64
		want   uint64
		err    string
	}{
		{"0", 0, 9, 0, ""},
		{"7", 1, 9, 7, ""},
		{"18446744073709551615", 0, ^uint64(0), ^uint64(0), ""},
		{"18446744073709551616", 0, ^uint64(0), 0, "not a canonical decimal number"},
		{"07", 0, 9, 0, "not a canonical decimal number"},
		{"+7", 0, 9, 0, "not a canonical decimal number"},
		{"-1", 0, 9, 0, "not a canonical decimal number"},
		{"", 0, 9, 0, "not a canonical decimal number"},
		{"0x1", 0, 9, 0, "not a canonical decimal number"},
		{"0", 1, 9, 0, "0 is out of range 1..9"},
		{"10", 1, 9, 0, "10 is out of range 1..9"},
	} {
		got, err := ParseUint(tc.s, tc.lo, tc.hi)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("ParseUint(%q, %d, %d) = %d, %v; want %d", tc.s, tc.lo, tc.hi, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || err.Error() != tc.err) {
			t.Errorf("ParseUint(%q, %d, %d) error = %v; want %q", tc.s, tc.lo, tc.hi, err, tc.err)
		}
	}
}

func TestReaderIntIn(t *testing.T) {
	rec, err := Parse([]byte("coldsig/test/v1\na: 3\nb: 30\n"), "coldsig/test/v1")
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Reader()
	if got := r.IntIn("a", 1, 16); got != 3 {
		t.Fatalf("a = %d", got)
	}
	r.IntIn("b", 1, 16)
	if err := r.Done(); err == nil || err.Error() != "line 3: b: 30 is out of range 1..16" {
		t.Fatalf("err = %v", err)
	}
}
