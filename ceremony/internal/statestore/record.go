package statestore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/coldsig/coldsig/internal/textrec"
)

// StateMagic is the magic line of a step file's plaintext.
const StateMagic = "coldsig/state/v1"

// maxPlaintext bounds what a step file may decrypt to. The largest
// snapshots are about 1.1 MB (ECDSA keygen), and a step file also holds
// every envelope the party sent so far (an ECDSA reshare sends ~175 KB per
// recipient); the bound only stops a damaged or hostile file from
// exhausting memory (decoding holds a few copies of it).
const maxPlaintext = 32 << 20

// maxStepFile bounds a step file on disk: maxPlaintext plus age's framing.
const maxStepFile = maxPlaintext + maxPlaintext/32 + 4096

const (
	maxParty    = 65535
	maxProtocol = 64
	maxName     = 128
)

// ErrNotAuthentic means a step file decrypted but its MAC does not verify:
// it was not written by this party (or was altered before encryption).
var ErrNotAuthentic = errors.New("not written by this party: MAC does not verify")

// ErrBinding means an authentic step file belongs to another session,
// party, protocol or step (it was copied or renamed).
var ErrBinding = errors.New("state is bound to another")

// Binding is what a state belongs to. It is written into every step file
// and checked on every load.
type Binding struct {
	Session  [32]byte
	Party    int
	Protocol string
}

func (b Binding) validate() error {
	if b.Party < 0 || b.Party > maxParty {
		return fmt.Errorf("party %d out of range 0..%d", b.Party, maxParty)
	}
	return validProtocol(b.Protocol)
}

func validProtocol(p string) error {
	if p == "" || len(p) > maxProtocol {
		return fmt.Errorf("protocol %q: must be 1 to %d characters", p, maxProtocol)
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("protocol %q: only a-z, 0-9 and - allowed", p)
		}
	}
	return nil
}

// File is a named opaque blob: an outbound envelope or a result file.
type File struct {
	Name string
	Data []byte
}

// ValidName reports whether name may be used for an outbox or result file:
// [A-Za-z0-9][A-Za-z0-9._-]{0,127}. This keeps names free of path
// separators and of the leading dot that marks temporary files.
func ValidName(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("file name %q: must be 1 to %d characters", name, maxName)
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i > 0 {
			ok = ok || c == '.' || c == '_' || c == '-'
		}
		if !ok {
			return fmt.Errorf("file name %q: only A-Z, a-z, 0-9 and (not first) . _ - allowed", name)
		}
	}
	return nil
}

// transition is one advance: the inbound digest that produced a step and
// the outbound envelopes it emitted.
type transition struct {
	in  [32]byte
	out []File
}

// record is the plaintext of a step file.
type record struct {
	binding  Binding
	step     uint64
	snapshot []byte
	// history[k-1] produced step k; len(history) == step.
	history []transition
}

func (r *record) check() error {
	if err := r.binding.validate(); err != nil {
		return err
	}
	if r.step == 0 {
		return errors.New("step must be at least 1")
	}
	if uint64(len(r.history)) != r.step {
		return fmt.Errorf("%d transitions recorded for step %d", len(r.history), r.step)
	}
	if len(r.snapshot) == 0 {
		return errors.New("empty snapshot")
	}
	seen := map[string]bool{}
	for k, t := range r.history {
		for i, f := range t.out {
			if err := ValidName(f.Name); err != nil {
				return err
			}
			if len(f.Data) == 0 {
				return fmt.Errorf("outbound envelope %q is empty", f.Name)
			}
			if seen[f.Name] {
				return fmt.Errorf("outbound envelope name %q used twice", f.Name)
			}
			seen[f.Name] = true
			if i > 0 && t.out[i-1].Name >= f.Name {
				return fmt.Errorf("outbound envelopes of step %d not sorted by name", k+1)
			}
		}
	}
	return nil
}

// encode returns the canonical plaintext, MAC included.
func (r *record) encode(macKey []byte) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	w := textrec.NewWriter(StateMagic)
	w.Hex("session", r.binding.Session[:])
	w.Uint("party", uint64(r.binding.Party))
	w.String("protocol", r.binding.Protocol)
	w.Uint("step", r.step)
	w.Base64("snapshot", r.snapshot)
	for k, t := range r.history {
		w.String("in", strconv.Itoa(k+1)+" "+hex.EncodeToString(t.in[:]))
	}
	for k, t := range r.history {
		for _, f := range t.out {
			w.String("out", strconv.Itoa(k+1)+" "+f.Name+" "+base64.StdEncoding.EncodeToString(f.Data))
		}
	}
	body, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	sum := computeMAC(macKey, body)
	out := make([]byte, 0, len(body)+len("mac: \n")+64)
	out = append(out, body...)
	out = append(out, "mac: "...)
	out = hex.AppendEncode(out, sum)
	out = append(out, '\n')
	return out, nil
}

func computeMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// decodeRecord parses a step file's plaintext and verifies its MAC before
// interpreting any field.
func decodeRecord(data, macKey []byte) (*record, error) {
	rec, macField, err := parseSyntax(data)
	if err != nil {
		return nil, err
	}
	want := computeMAC(macKey, data[:macField.Offset])
	got, err := hex.DecodeString(macField.Value)
	if err != nil || len(got) != sha256.Size || hex.EncodeToString(got) != macField.Value {
		return nil, &textrec.LineError{Line: macField.Line, Msg: "mac: not 32 bytes of lowercase hex"}
	}
	if !hmac.Equal(got, want) {
		return nil, ErrNotAuthentic
	}
	return parseFields(rec)
}

// parseSyntax checks the text record syntax and splits off the final mac
// field.
func parseSyntax(data []byte) (*textrec.Record, textrec.Field, error) {
	if len(data) > maxPlaintext {
		return nil, textrec.Field{}, fmt.Errorf("state record is %d bytes, more than %d", len(data), maxPlaintext)
	}
	rec, err := textrec.Parse(data, StateMagic)
	if err != nil {
		return nil, textrec.Field{}, err
	}
	n := len(rec.Fields)
	if n == 0 || rec.Fields[n-1].Key != "mac" {
		line := 2
		if n > 0 {
			line = rec.Fields[n-1].Line + 1
		}
		return nil, textrec.Field{}, &textrec.LineError{Line: line, Msg: `missing "mac" as the last field`}
	}
	macField := rec.Fields[n-1]
	rec.Fields = rec.Fields[:n-1]
	return rec, macField, nil
}

// parseFields interprets the fields before mac.
func parseFields(rec *textrec.Record) (*record, error) {
	r := rec.Reader()
	out := &record{}
	copy(out.binding.Session[:], r.Hex("session", 32))
	out.binding.Party = r.IntIn("party", 0, maxParty)
	prf := r.Field("protocol")
	if r.Err() == nil {
		if err := validProtocol(prf.Value); err != nil {
			r.Fail(prf, "%v", err)
		}
		out.binding.Protocol = prf.Value
	}
	sf := r.Field("step")
	if r.Err() == nil {
		out.step = r.ParseUint(sf, sf.Value, 0, math.MaxUint64)
	}
	if r.Err() == nil && out.step == 0 {
		r.Fail(sf, "step: must be at least 1")
	}
	snf := r.Field("snapshot")
	if r.Err() == nil {
		out.snapshot = parseBase64(r, snf, "snapshot")
	}
	for r.Err() == nil && r.Peek() == "in" {
		f := r.Field("in")
		k, digest, ok := strings.Cut(f.Value, " ")
		want := uint64(len(out.history) + 1)
		if !ok {
			r.Fail(f, `in: expected "<step> <digest>"`)
			break
		}
		if n, err := textrec.ParseUint(k, 1, math.MaxUint64); err != nil || n != want {
			r.Fail(f, "in: step %q, want %d (one line per step, in order)", k, want)
			break
		}
		b, err := hex.DecodeString(digest)
		if err != nil || len(b) != 32 || hex.EncodeToString(b) != digest {
			r.Fail(f, "in: digest is not 32 bytes of lowercase hex")
			break
		}
		var t transition
		copy(t.in[:], b)
		out.history = append(out.history, t)
		if uint64(len(out.history)) > out.step {
			r.Fail(f, "in: more lines than steps (%d)", out.step)
		}
	}
	if r.Err() == nil && uint64(len(out.history)) != out.step {
		r.Fail(sf, "step: %d, but %d \"in\" lines (want one per step)", out.step, len(out.history))
	}
	seen := map[string]bool{}
	lastK, lastName := uint64(0), ""
	for r.Err() == nil && r.Peek() == "out" {
		f := r.Field("out")
		parts := strings.Split(f.Value, " ")
		if len(parts) != 3 {
			r.Fail(f, `out: expected "<step> <name> <base64>"`)
			break
		}
		k, err := textrec.ParseUint(parts[0], 1, out.step)
		if err != nil {
			r.Fail(f, "out: step %q not in 1..%d", parts[0], out.step)
			break
		}
		name := parts[1]
		if err := ValidName(name); err != nil {
			r.Fail(f, "out: %v", err)
			break
		}
		if seen[name] {
			r.Fail(f, "out: name %q used twice", name)
			break
		}
		if k < lastK || k == lastK && name <= lastName {
			r.Fail(f, "out: lines not sorted by step, then name")
			break
		}
		data, err := base64.StdEncoding.Strict().DecodeString(parts[2])
		if err != nil || len(data) == 0 {
			r.Fail(f, "out: invalid or empty base64")
			break
		}
		seen[name] = true
		lastK, lastName = k, name
		out.history[k-1].out = append(out.history[k-1].out, File{Name: name, Data: data})
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if err := out.check(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseBase64(r *textrec.Reader, f textrec.Field, what string) []byte {
	b, err := base64.StdEncoding.Strict().DecodeString(f.Value)
	if err != nil {
		r.Fail(f, "%s: invalid base64", what)
		return nil
	}
	return b
}

// checkBinding compares an authentic record with what the caller expects.
func (r *record) checkBinding(want Binding, step uint64) error {
	switch {
	case r.binding.Session != want.Session:
		return fmt.Errorf("%w session (%x, expected %x)", ErrBinding, r.binding.Session[:8], want.Session[:8])
	case r.binding.Party != want.Party:
		return fmt.Errorf("%w party (%d, expected %d)", ErrBinding, r.binding.Party, want.Party)
	case r.binding.Protocol != want.Protocol:
		return fmt.Errorf("%w protocol (%s, expected %s)", ErrBinding, r.binding.Protocol, want.Protocol)
	case r.step != step:
		return fmt.Errorf("%w step (%d, but its file name says %d)", ErrBinding, r.step, step)
	}
	return nil
}
