package qr

import (
	"encoding/binary"
	"fmt"
)

// CBOR as used by multipart URs: one fixed shape,
// [seqNum, seqLen, messageLen, checksum, fragment]. The parser accepts
// exactly the canonical (shortest-form, definite-length) encoding that the
// reference encoders produce, so that a part has a single byte form.

func appendHead(b []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(b, m|byte(v))
	case v <= 0xff:
		return append(b, m|24, byte(v))
	case v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, m|27), v)
	}
}

func (p part) cbor() []byte {
	b := make([]byte, 0, 24+len(p.data))
	b = append(b, 0x85)
	b = appendHead(b, 0, uint64(p.seqNum))
	b = appendHead(b, 0, uint64(p.seqLen))
	b = appendHead(b, 0, uint64(p.messageLen))
	b = appendHead(b, 0, uint64(p.checksum))
	b = appendHead(b, 2, uint64(len(p.data)))
	return append(b, p.data...)
}

// readHead reads one CBOR head of the given major type and returns its
// argument and the rest of the input.
func readHead(b []byte, major byte, what string) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("%w: part ends before %s", ErrMalformed, what)
	}
	if b[0]>>5 != major {
		return 0, nil, fmt.Errorf("%w: %s has CBOR major type %d, want %d", ErrMalformed, what, b[0]>>5, major)
	}
	info := b[0] & 31
	b = b[1:]
	var v uint64
	var n int
	switch {
	case info < 24:
		return uint64(info), b, nil
	case info == 24:
		n = 1
	case info == 25:
		n = 2
	case info == 26:
		n = 4
	case info == 27:
		n = 8
	default:
		return 0, nil, fmt.Errorf("%w: %s has unsupported CBOR length encoding %d", ErrMalformed, what, info)
	}
	if len(b) < n {
		return 0, nil, fmt.Errorf("%w: part ends inside %s", ErrMalformed, what)
	}
	for _, c := range b[:n] {
		v = v<<8 | uint64(c)
	}
	if len(appendHead(nil, major, v)) != n+1 {
		return 0, nil, fmt.Errorf("%w: %s is not in shortest CBOR form", ErrMalformed, what)
	}
	return v, b[n:], nil
}

// parsePart decodes the CBOR of one multipart frame.
func parsePart(b []byte) (part, error) {
	var p part
	if len(b) == 0 || b[0] != 0x85 {
		return p, fmt.Errorf("%w: part is not a 5-element CBOR array", ErrMalformed)
	}
	b = b[1:]
	var vals [4]uint64
	for i, what := range []string{"sequence number", "sequence length", "message length", "message checksum"} {
		var err error
		if vals[i], b, err = readHead(b, 0, what); err != nil {
			return p, err
		}
		if vals[i] > 0xffffffff {
			return p, fmt.Errorf("%w: %s %d does not fit 32 bits", ErrMalformed, what, vals[i])
		}
	}
	n, b, err := readHead(b, 2, "fragment")
	if err != nil {
		return p, err
	}
	if uint64(len(b)) < n {
		return p, fmt.Errorf("%w: fragment declares %d bytes, %d present", ErrMalformed, n, len(b))
	}
	if uint64(len(b)) > n {
		return p, fmt.Errorf("%w: %d bytes after the fragment", ErrMalformed, uint64(len(b))-n)
	}
	return part{
		seqNum:     uint32(vals[0]),
		seqLen:     int(vals[1]),
		messageLen: int(vals[2]),
		checksum:   uint32(vals[3]),
		data:       b,
	}, nil
}

// wrapBytes returns the CBOR byte string holding payload: the body of a
// ur:bytes.
func wrapBytes(payload []byte) []byte {
	return append(appendHead(make([]byte, 0, 9+len(payload)), 2, uint64(len(payload))), payload...)
}

// unwrapBytes is the inverse of wrapBytes, accepting nothing else.
func unwrapBytes(b []byte) ([]byte, error) {
	n, rest, err := readHead(b, 2, "ur:bytes content")
	if err != nil {
		return nil, err
	}
	if uint64(len(rest)) != n {
		return nil, fmt.Errorf("%w: ur:bytes content declares %d bytes, %d present", ErrMalformed, n, len(rest))
	}
	return rest, nil
}
