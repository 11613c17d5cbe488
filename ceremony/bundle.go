package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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
