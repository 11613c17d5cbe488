// Package bytewords implements Blockchain Commons Bytewords (BCR-2020-012):
// each byte is one of 256 four-letter English words, chosen so that the
// first and last letters alone identify the word. Encoded strings carry a
// CRC-32 of the data so that a mistyped or misread word is detected.
//
// Three styles exist. Standard separates full words with spaces, URI with
// dashes, and Minimal writes only the first and last letter of each word
// with no separator; Minimal is what Uniform Resources (UR) use, and in
// upper case it fits the QR alphanumeric mode.
package bytewords

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Style selects how words are written.
type Style int

const (
	// Standard is full words separated by single spaces.
	Standard Style = iota
	// URI is full words separated by single dashes.
	URI
	// Minimal is the first and last letter of each word, no separator.
	Minimal
)

func (s Style) String() string {
	switch s {
	case Standard:
		return "standard"
	case URI:
		return "uri"
	case Minimal:
		return "minimal"
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// Errors returned by Decode; callers may branch on them with errors.Is.
var (
	ErrInvalidWord = errors.New("not a byteword")
	ErrChecksum    = errors.New("bytewords checksum mismatch")
	ErrTooShort    = errors.New("bytewords too short to hold a checksum")
	ErrStyle       = errors.New("unknown bytewords style")
)

// wordList is the BCR-2020-012 list, in byte order. It is alphabetical,
// which TestWordList relies on together with the uniqueness of every
// first+last letter pair.
const wordList = "" +
	"able acid also apex aqua arch atom aunt away axis back bald barn belt beta bias " +
	"blue body brag brew bulb buzz calm cash cats chef city claw code cola cook cost " +
	"crux curl cusp cyan dark data days deli dice diet door down draw drop drum dull " +
	"duty each easy echo edge epic even exam exit eyes fact fair fern figs film fish " +
	"fizz flap flew flux foxy free frog fuel fund gala game gear gems gift girl glow " +
	"good gray grim guru gush gyro half hang hard hawk heat help high hill holy hope " +
	"horn huts iced idea idle inch inky into iris iron item jade jazz join jolt jowl " +
	"judo jugs jump junk jury keep keno kept keys kick kiln king kite kiwi knob lamb " +
	"lava lazy leaf legs liar limp lion list logo loud love luau luck lung main many " +
	"math maze memo menu meow mild mint miss monk nail navy need news next noon note " +
	"numb obey oboe omit onyx open oval owls paid part peck play plus poem pool pose " +
	"puff puma purr quad quiz race ramp real redo rich road rock roof ruby ruin runs " +
	"rust safe saga scar sets silk skew slot soap solo song stub surf swan taco task " +
	"taxi tent tied time tiny toil tomb toys trip tuna twin ugly undo unit urge user " +
	"vast very veto vial vibe view visa void vows wall wand warm wasp wave waxy webs " +
	"what when whiz wolf work yank yawn yell yoga yurt zaps zero zest zinc zone zoom"

var (
	words [256]string
	// minimal maps first*26+last letter to byte value + 1 (0 = no word).
	minimal [26 * 26]int16
)

func init() {
	ws := strings.Split(wordList, " ")
	if len(ws) != 256 {
		panic("bytewords: word list does not have 256 words")
	}
	for i, w := range ws {
		words[i] = w
		k := int(w[0]-'a')*26 + int(w[3]-'a')
		if minimal[k] != 0 {
			panic("bytewords: first+last letters not unique: " + w)
		}
		minimal[k] = int16(i + 1)
	}
}

// Word returns the full word for b.
func Word(b byte) string { return words[b] }

// Words returns one full lowercase word per byte, without a checksum. It is
// meant for reading fingerprints aloud, where the fingerprint is itself the
// check.
func Words(b []byte) []string {
	out := make([]string, len(b))
	for i, c := range b {
		out[i] = words[c]
	}
	return out
}

// Encode returns b followed by its CRC-32 (IEEE, big-endian) in the given
// style, in lower case.
func Encode(style Style, b []byte) (string, error) {
	buf := appendCRC(b)
	var sb strings.Builder
	switch style {
	case Standard, URI:
		sep := byte(' ')
		if style == URI {
			sep = '-'
		}
		sb.Grow(len(buf) * 5)
		for i, c := range buf {
			if i > 0 {
				sb.WriteByte(sep)
			}
			sb.WriteString(words[c])
		}
	case Minimal:
		sb.Grow(len(buf) * 2)
		for _, c := range buf {
			w := words[c]
			sb.WriteByte(w[0])
			sb.WriteByte(w[3])
		}
	default:
		return "", fmt.Errorf("%w: %d", ErrStyle, int(style))
	}
	return sb.String(), nil
}

// EncodeMinimal is Encode(Minimal, b), which cannot fail.
func EncodeMinimal(b []byte) string {
	s, _ := Encode(Minimal, b)
	return s
}

func appendCRC(b []byte) []byte {
	buf := make([]byte, len(b), len(b)+4)
	copy(buf, b)
	return binary.BigEndian.AppendUint32(buf, crc32.ChecksumIEEE(b))
}

// Decode parses s in the given style, case-insensitively, checks the
// trailing CRC-32 and returns the data before it. The data may be empty
// (the four checksum words alone), as in the current reference
// implementation.
func Decode(style Style, s string) ([]byte, error) {
	var buf []byte
	switch style {
	case Standard, URI:
		sep := " "
		if style == URI {
			sep = "-"
		}
		if s == "" {
			return nil, ErrTooShort
		}
		parts := strings.Split(s, sep)
		buf = make([]byte, 0, len(parts))
		for i, w := range parts {
			c, ok := lookup(w, 4)
			if !ok {
				return nil, fmt.Errorf("word %d %q: %w", i+1, clip(w), ErrInvalidWord)
			}
			buf = append(buf, c)
		}
	case Minimal:
		if len(s)%2 != 0 {
			return nil, fmt.Errorf("odd length %d: %w", len(s), ErrInvalidWord)
		}
		buf = make([]byte, 0, len(s)/2)
		for i := 0; i < len(s); i += 2 {
			c, ok := lookup(s[i:i+2], 2)
			if !ok {
				return nil, fmt.Errorf("word %d %q: %w", i/2+1, s[i:i+2], ErrInvalidWord)
			}
			buf = append(buf, c)
		}
	default:
		return nil, fmt.Errorf("%w: %d", ErrStyle, int(style))
	}
	if len(buf) < 4 {
		return nil, fmt.Errorf("%d words: %w", len(buf), ErrTooShort)
	}
	body, sum := buf[:len(buf)-4], binary.BigEndian.Uint32(buf[len(buf)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("%w: computed %08x, encoded %08x", ErrChecksum, got, sum)
	}
	return body, nil
}

// lookup decodes one word of length n (4 for full words, 2 for minimal).
func lookup(w string, n int) (byte, bool) {
	if len(w) != n {
		return 0, false
	}
	first, last := lower(w[0]), lower(w[n-1])
	if first < 'a' || first > 'z' || last < 'a' || last > 'z' {
		return 0, false
	}
	v := minimal[int(first-'a')*26+int(last-'a')]
	if v == 0 {
		return 0, false
	}
	c := byte(v - 1)
	if n == 4 && (lower(w[1]) != words[c][1] || lower(w[2]) != words[c][2]) {
		return 0, false
	}
	return c, true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// clip keeps error messages short when the input is garbage.
func clip(s string) string {
	if len(s) > 16 {
		return s[:16] + "..."
	}
	return s
}
