package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// bundleMagic starts an envelope payload that carries several tss-lib
// messages. A reshare addresses every message to one recipient, and some
// rounds send two messages from one party to another (a private share and
// a broadcast decommitment); they travel in one envelope, because the
// receiving rules allow one envelope per sender, round and recipient. A
// plain tss-lib payload (a protobuf Any, starting with byte 0x0a) can never
// start with this magic.
const bundleMagic = "coldsig/bundle/v1\n"

// maxBundle bounds the messages in one bundle (tss-lib sends at most two
// per round and recipient).
const maxBundle = 4

func bundle(msgs [][]byte) []byte {
	if len(msgs) == 1 {
		return msgs[0]
	}
	var b bytes.Buffer
	b.WriteString(bundleMagic)
	for _, m := range msgs {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(m)))
		b.Write(n[:])
		b.Write(m)
	}
	return b.Bytes()
}

var errBundle = errors.New("malformed message bundle")

// unbundle splits a payload into tss-lib wire messages.
func unbundle(p []byte) ([][]byte, error) {
	rest, ok := bytes.CutPrefix(p, []byte(bundleMagic))
	if !ok {
		return [][]byte{p}, nil
	}
	var out [][]byte
	for len(rest) > 0 {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: truncated length", errBundle)
		}
		n := binary.BigEndian.Uint32(rest[:4])
		rest = rest[4:]
		if n == 0 || uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: message length %d with %d bytes left", errBundle, n, len(rest))
		}
		out = append(out, rest[:n])
		rest = rest[n:]
		if len(out) > maxBundle {
			return nil, fmt.Errorf("%w: more than %d messages", errBundle, maxBundle)
		}
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("%w: a bundle holds at least two messages", errBundle)
	}
	return out, nil
}

// itemsMagic starts the payload of a batch signing's envelope: the
// messages of items 1..N for one (round, recipient), each tagged with its
// item index, so that a message is bound to its item by the sender's
// signature over the envelope (tss-lib's signing session id is the same for
// every signing by the same signers, so it cannot tell the items apart).
const itemsMagic = "coldsig/items/v1\n"

// itemsPayload encodes wires[i] as item i+1: per item a 2-byte big-endian
// index, a 4-byte big-endian length (non-zero) and the bytes.
func itemsPayload(wires [][]byte) ([]byte, error) {
	if len(wires) < 2 || len(wires) > 0xffff {
		return nil, fmt.Errorf("internal: %d items in one payload", len(wires))
	}
	var b bytes.Buffer
	b.WriteString(itemsMagic)
	for i, w := range wires {
		if len(w) == 0 {
			return nil, fmt.Errorf("internal: item %d has an empty message", i+1)
		}
		var h [6]byte
		binary.BigEndian.PutUint16(h[:2], uint16(i+1))
		binary.BigEndian.PutUint32(h[2:], uint32(len(w)))
		b.Write(h[:])
		b.Write(w)
	}
	return b.Bytes(), nil
}

// unitems splits an items payload, which must hold exactly items 1..n in
// order.
func unitems(p []byte, n int) ([][]byte, error) {
	rest, ok := bytes.CutPrefix(p, []byte(itemsMagic))
	if !ok {
		return nil, fmt.Errorf("the payload is not a batch of %d items (no %q header)", n, strings.TrimSpace(itemsMagic))
	}
	out := make([][]byte, 0, n)
	for len(rest) > 0 {
		if len(out) == n {
			return nil, fmt.Errorf("more than %d items", n)
		}
		if len(rest) < 6 {
			return nil, errors.New("truncated item header")
		}
		idx := int(binary.BigEndian.Uint16(rest[:2]))
		size := binary.BigEndian.Uint32(rest[2:6])
		rest = rest[6:]
		if idx != len(out)+1 {
			return nil, fmt.Errorf("item %d where item %d belongs", idx, len(out)+1)
		}
		if size == 0 || uint64(size) > uint64(len(rest)) {
			return nil, fmt.Errorf("item %d: length %d with %d bytes left", idx, size, len(rest))
		}
		out = append(out, rest[:size])
		rest = rest[size:]
	}
	if len(out) != n {
		return nil, fmt.Errorf("%d items, the plan has %d", len(out), n)
	}
	return out, nil
}
