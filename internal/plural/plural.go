// Package plural words counts for officers: "1 envelope", "3 envelopes",
// never "1 envelopes" or "envelope(s)".
package plural

import "strconv"

// Count says n of noun, a regular English noun in the singular: "1 byte",
// "0 bytes", "2 bytes".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
