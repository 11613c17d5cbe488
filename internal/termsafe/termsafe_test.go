package termsafe

import (
	"strings"
	"testing"
	"unicode"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"inbox/cs-1a2b-r01-p1.age", "inbox/cs-1a2b-r01-p1.age"},
		{"Zoë Łukasz 山田", "Zoë Łukasz 山田"},
		{"", ""},
		{"fake\ntranscript: able acid", `"fake\ntranscript: able acid"`},
		{"\x1b[2K\x1b[1Ahidden", `"\x1b[2K\x1b[1Ahidden"`},
		{"evil\u202etxt.age", `"evil\u202etxt.age"`},
		{"zero\u200bwidth", `"zero\u200bwidth"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{"tab\there", `"tab\there"`},
		{"cr\rover", `"cr\rover"`},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestStringLong(t *testing.T) {
	long := strings.Repeat("a", 5000)
	got := String(long)
	if !strings.HasSuffix(got, "... (5000 bytes)") || len(got) > MaxLen+40 {
		t.Fatalf("long string: %q", got)
	}
	// A cut never splits a rune into an invalid byte sequence.
	multi := strings.Repeat("é", 300) // 600 bytes
	got = String(multi)
	if strings.Contains(got, `\x`) {
		t.Fatalf("cut split a rune: %q", got)
	}
}

// FuzzString checks the property that matters: the output never contains a
// rune a terminal would interpret, and is never longer than a bound.
func FuzzString(f *testing.F) {
	for _, s := range []string{"alice", "a\nb", "\x1b[31m", "\u202e", "\xff", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		for _, r := range out {
			if r != ' ' && !unicode.IsPrint(r) {
				t.Fatalf("String(%q) = %q contains %U", s, out, r)
			}
		}
		if len(out) > 4*MaxLen+64 {
			t.Fatalf("String output %d bytes", len(out))
		}
		if Safe(s) && len(s) <= MaxLen && out != s {
			t.Fatalf("safe string altered: %q -> %q", s, out)
		}
	})
}

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"", ""},
		{`inbox/a.age: bad signature`, `inbox/a.age: bad signature`},
		{"x\x1b[2Ky: bad", `x\x1b[2Ky: bad`},
		{"fake\ntranscript", `fake\ntranscript`},
		{"evil\u202etxt", `evil\u202etxt`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"Zoë \"quoted\"", "Zoë \"quoted\""},
	} {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("a", 5000)
	if Line(long) != long {
		t.Error("Line cut a safe long string")
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"alice", "a\nb", "\x1b[31m", "\u202e", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		for _, r := range out {
			if r != ' ' && !unicode.IsPrint(r) {
				t.Fatalf("Line(%q) = %q contains %U", s, out, r)
			}
		}
		if Safe(s) && Line(s) != s {
			t.Fatalf("safe string altered: %q", s)
		}
	})
}
