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

// TestLines: a value of what is signed is shown whole: wrapped, escaped
// per line, never cut (review finding M2: termsafe.String cut call data
// after 256 bytes).
func TestLines(t *testing.T) {
	hexData := "0x" + strings.Repeat("ab", 150) + "deadbeef" + strings.Repeat("cd", 46) // 200 bytes
	for _, w := range []int{0, 64} {
		lines := Lines(hexData, w)
		if got := strings.Join(lines, ""); got != hexData {
			t.Fatalf("width %d: lost characters: %q", w, lines)
		}
		for _, l := range lines {
			if w > 0 && len(l) > w {
				t.Fatalf("width %d: line of %d", w, len(l))
			}
		}
	}
	words := Lines("pay 1 ETH to 0x00000000000000000000000000000000000000aa now", 50)
	if len(words) != 2 || words[0] != "pay 1 ETH to " || words[1] != "0x00000000000000000000000000000000000000aa now" {
		t.Fatalf("%q", words)
	}
	long := strings.Repeat("é", 150) + "\nsecond\x1bline"
	lines := Lines(long, 64)
	if len(lines) != 4 || lines[3] != `"second\x1bline"` {
		t.Fatalf("%q", lines)
	}
	if strings.Join(lines[:3], "") != strings.Repeat("é", 150) {
		t.Fatal("wrapped text lost characters")
	}
	// A long unsafe line is escaped whole, not cut as String would.
	evil := strings.Repeat("x", 300) + "\x1b[2K" + strings.Repeat("y", 300)
	got := Lines(evil, 0)
	if len(got) != 1 || !strings.Contains(got[0], `\x1b[2K`) || !strings.HasSuffix(got[0], strings.Repeat("y", 300)+`"`) {
		t.Fatalf("%q", got)
	}
	huge := strings.Repeat("z", MaxShown+1)
	if got := Lines(huge, 64); len(got) != 1 || !strings.Contains(got[0], "16385 bytes, too long to show: SHA-256 ") {
		t.Fatalf("%q", got)
	}
}
