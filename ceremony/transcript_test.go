package ceremony

import (
	"errors"
	"strings"
	"testing"
)

func d(b byte) (x [32]byte) { x[0] = b; return }

func TestMergeViewsAgrees(t *testing.T) {
	a := View{{10, 1, d(1)}, {10, 2, d(2)}, {10, 3, d(3)}}
	b := View{{10, 3, d(3)}, {10, 1, d(1)}, {10, 2, d(2)}}
	u, err := MergeViews(map[int]View{1: a, 2: b})
	if err != nil {
		t.Fatal(err)
	}
	s := [32]byte{9}
	if TranscriptDigest(s, s, u) != TranscriptDigest(s, s, a) {
		t.Fatal("digest depends on view order")
	}
	if a.RoundDigest(1) != b.RoundDigest(1) {
		t.Fatal("round digest depends on order")
	}
	if a.RoundDigest(1) == (View{{10, 1, d(1)}}).RoundDigest(1) {
		t.Fatal("round digest ignores entries")
	}
}

func TestMergeViewsCatchesEquivocation(t *testing.T) {
	a := View{{22, 3, d(3)}}
	b := View{{22, 3, d(4)}}
	_, err := MergeViews(map[int]View{1: a, 2: b})
	var eq *EquivocationError
	if !errors.As(err, &eq) || eq.Sender != 3 || eq.Round != 22 || eq.Witness != 2 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "party 3 sent different round-2 broadcasts") {
		t.Fatalf("message: %v", err)
	}
}

func TestViewEncoding(t *testing.T) {
	v := View{{1, 2, d(2)}, {1, 1, d(1)}}
	got, err := parseView(encodeView(v))
	if err != nil || encodeView(got) != encodeView(v) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"1:2", "1:2:zz", "2:1:" + strings.Repeat("00", 32) + ",1:1:" + strings.Repeat("00", 32)} {
		if _, err := parseView(bad); err == nil {
			t.Errorf("parseView(%q) accepted", bad)
		}
	}
}

func TestLogChain(t *testing.T) {
	var l Log
	l.Append("sent r1 to all 00ff")
	l.Append("accepted r1 from 2 abcd")
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseLog(data)
	if err != nil || back.Head() != l.Head() {
		t.Fatalf("round trip: %v", err)
	}
	tampered := strings.Replace(string(data), "from 2", "from 3", 1)
	if _, err := ParseLog([]byte(tampered)); err == nil || !strings.Contains(err.Error(), "hash chain broken") {
		t.Fatalf("tampered log: %v", err)
	}
}

func FuzzParseLog(f *testing.F) {
	var l Log
	l.Append("sent r1 to all 00ff")
	data, _ := l.Marshal()
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		log, err := ParseLog(b)
		if err != nil {
			return
		}
		out, err := log.Marshal()
		if err != nil || string(out) != string(b) {
			t.Fatalf("not canonical: %q vs %q (%v)", b, out, err)
		}
	})
}

func FuzzParseView(f *testing.F) {
	f.Add(encodeView(View{{1, 2, d(2)}, {3, 1, d(1)}}))
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseView(s)
		if err != nil {
			return
		}
		if encodeView(v) != s {
			t.Fatalf("not canonical: %q vs %q", s, encodeView(v))
		}
	})
}

func TestPad32(t *testing.T) {
	if got := pad32([]byte{1, 2}); len(got) != 32 || got[30] != 1 || got[31] != 2 || got[0] != 0 {
		t.Fatalf("pad32 = %x", got)
	}
	if pad32(make([]byte, 33)) != nil {
		t.Fatal("pad32 accepted 33 bytes")
	}
}
