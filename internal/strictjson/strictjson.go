// Package strictjson decodes the JSON formats coldsig reads (public.json,
// signature.json, tss-lib key data inside a share, pre-parameters) with
// every ambiguity refused. encoding/json on its own takes the last of two
// equal keys, matches keys case-insensitively (so "curve" and "Curve" are
// the same member, the last one winning), ignores unknown members and
// stops at the end of the first value. A file whose meaning depends on
// which of two readers looks at it is how a reviewed file and a used file
// come to differ, so each of those is an error here.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// ErrDuplicateKey is wrapped by the error for an object with a key twice
// (compared case-insensitively, as encoding/json matches them).
var ErrDuplicateKey = errors.New("duplicate key")

// Decode decodes data, which must hold exactly one JSON value (surrounding
// white space allowed), into v. Unknown members and duplicate keys are
// refused.
func Decode(data []byte, v any) error {
	if err := CheckDuplicates(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// CheckDuplicates walks data's tokens and refuses any object that holds a
// key twice.
func CheckDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// One set of seen keys per open object; nil for an open array.
	var stack []map[string]bool
	expectKey := func() bool {
		return len(stack) > 0 && stack[len(stack)-1] != nil
	}
	// Inside an object, tokens alternate key, value; a nested object or
	// array is one value.
	var keyNext []bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				markValue(keyNext)
				stack = append(stack, map[string]bool{})
				keyNext = append(keyNext, true)
			case '[':
				markValue(keyNext)
				stack = append(stack, nil)
				keyNext = append(keyNext, false)
			case '}', ']':
				stack = stack[:len(stack)-1]
				keyNext = keyNext[:len(keyNext)-1]
			}
			continue
		}
		if expectKey() && keyNext[len(keyNext)-1] {
			k, _ := tok.(string)
			fold := foldKey(k)
			seen := stack[len(stack)-1]
			if seen[fold] {
				return fmt.Errorf("%w %q (at byte %d)", ErrDuplicateKey, k, dec.InputOffset())
			}
			seen[fold] = true
			keyNext[len(keyNext)-1] = false
			continue
		}
		markValue(keyNext)
	}
}

// foldKey maps every rune to the smallest rune of its Unicode case-folding
// orbit, so that keys encoding/json would match to one member (it folds
// "K", "k" and the Kelvin sign together) compare equal.
func foldKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// markValue records that a value was read: in an object the next token is
// a key again.
func markValue(keyNext []bool) {
	if n := len(keyNext); n > 0 {
		keyNext[n-1] = true
	}
}
