// Package termsafe makes untrusted strings safe to print on an officer's
// terminal. File names on a shared stick, names in cards and plans, and
// payload text are chosen by whoever last wrote to the stick; printed raw,
// a control sequence could move the cursor, recolour or erase lines, and
// fake the words officers compare aloud. Every untrusted string that
// reaches a terminal goes through String (or Path).
package termsafe

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the longest untrusted name or path printed in full, in bytes.
// Longer ones are cut (with the full length said), so a 4 KB file name
// cannot push the lines that matter off the screen. Never use String for
// what is signed: Lines shows that in full.
const MaxLen = 256

// MaxShown is the longest value Lines shows. Describers of what is signed
// show longer values by their length and hash themselves (Ethereum call
// data, EIP-712 strings, scripts); this is the backstop that keeps Lines
// from ever cutting a value silently.
const MaxShown = 16 << 10

// String returns s unchanged when every rune is printable (letters, marks,
// numbers, punctuation, symbols, ASCII space) and s is valid UTF-8 of at
// most MaxLen bytes. Otherwise it returns a Go-quoted form in which every
// control, format (bidi overrides, zero-width) and invalid byte is escaped,
// cut to MaxLen bytes of input. The quotes mark that it was altered.
func String(s string) string {
	if Safe(s) && len(s) <= MaxLen {
		return s
	}
	if len(s) <= MaxLen {
		return strconv.Quote(s)
	}
	cut := s[:MaxLen]
	// Do not split a rune: back up to a rune start.
	for i := 0; i < utf8.UTFMax && len(cut) > 0 && !utf8.RuneStart(s[len(cut)]); i++ {
		cut = cut[:len(cut)-1]
	}
	return strconv.Quote(cut) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// Safe reports whether s prints as itself: valid UTF-8 and only printable
// runes.
func Safe(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsPrint(r)) {
			return false
		}
	}
	return true
}

// Path is String for file paths: the same rules.
func Path(p string) string { return String(p) }

// Line escapes, in place, every rune of s that String would escape, and
// keeps the rest as it is: for a message coldsig composed (an error, a
// progress line) that may embed untrusted parts. Unlike String it neither
// quotes nor cuts, so a long error stays whole and readable; untrusted
// names inside it should already have gone through String. A newline is
// escaped too: callers print one line per call.
func Line(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r != ' ' && !unicode.IsPrint(r)) {
			// strconv.Quote of the one rune (or byte) gives Go's escape.
			q := strconv.Quote(s[i : i+size])
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Lines is how a value of what is signed (a plan.Describe field or
// message) reaches an officer's screen or a printed record: in full, never
// cut. s is split at each newline; a line longer than width runes is
// broken, after a space where one is not too early in the line, else at
// width (width <= 0: never broken); each piece that is not plain printable
// text is Go-quoted (escaped, and the quotes mark that it was altered).
// A value over MaxShown bytes, which no describer produces, is shown as one
// line with its length and SHA-256, so officers can still compare it.
func Lines(s string, width int) []string {
	if len(s) > MaxShown {
		return []string{fmt.Sprintf("(%d bytes, too long to show: SHA-256 %x)", len(s), sha256.Sum256([]byte(s)))}
	}
	var out []string
	show := func(p string) {
		if Safe(p) {
			out = append(out, p)
		} else {
			out = append(out, strconv.Quote(p))
		}
	}
	for _, para := range strings.Split(s, "\n") {
		for width > 0 && utf8.RuneCountInString(para) > width {
			cut := 0
			for i := 0; i < width; i++ {
				_, n := utf8.DecodeRuneInString(para[cut:])
				cut += n
			}
			// Prefer to break after a space (not too early in the
			// line), so words and addresses stay whole where they can.
			if sp := strings.LastIndexByte(para[:cut], ' '); sp >= cut/4 {
				cut = sp + 1
			}
			show(para[:cut])
			para = para[cut:]
		}
		show(para)
	}
	return out
}
