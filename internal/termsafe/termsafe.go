// Package termsafe makes untrusted strings safe to print on an officer's
// terminal. File names on a shared stick, names in cards and plans, and
// payload text are chosen by whoever last wrote to the stick; printed raw,
// a control sequence could move the cursor, recolour or erase lines, and
// fake the words officers compare aloud. Every untrusted string that
// reaches a terminal goes through String (or Path).
package termsafe

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the longest untrusted string printed in full, in bytes. Longer
// ones are cut (with the full length said), so a 4 KB file name cannot
// push the lines that matter off the screen.
const MaxLen = 256

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
