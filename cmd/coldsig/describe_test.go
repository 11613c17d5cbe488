package main

import "testing"

// A message line is shown whole; one with a tab is quoted, so a tab and
// the spaces a terminal expands it to never look the same.
func TestMessageLine(t *testing.T) {
	for in, want := range map[string]string{
		"pay 1 coin":    "pay 1 coin",
		"pay\t1 coin":   `"pay\t1 coin"`,
		"pay    1 coin": "pay    1 coin",
	} {
		if got := messageLine(in); got != want {
			t.Errorf("messageLine(%q) = %q, want %q", in, got, want)
		}
	}
}
