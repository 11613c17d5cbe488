package ceremony

import (
	"bytes"
	"strings"
	"testing"
)

func TestItemsPayload(t *testing.T) {
	wires := [][]byte{{0x0a, 1}, {0x0a, 2, 3}, {0x0a}}
	p, err := itemsPayload(wires)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unitems(p, 3)
	if err != nil || len(got) != 3 || !bytes.Equal(got[1], wires[1]) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, tc := range []struct {
		name string
		p    []byte
		n    int
		want string
	}{
		{"fewer items than the plan", p, 4, "3 items, the plan has 4"},
		{"more items than the plan", p, 2, "more than 2 items"},
		{"plain payload", wires[0], 3, "not a batch of 3 items"},
		{"item out of order", bytes.Replace(p, []byte{0, 2, 0, 0, 0, 3}, []byte{0, 3, 0, 0, 0, 3}, 1), 3, "item 3 where item 2 belongs"},
		{"truncated", p[:len(p)-1], 3, "length 1 with 0 bytes left"},
		{"zero length", append(bytes.Clone(p[:len(itemsMagic)]), 0, 1, 0, 0, 0, 0), 1, "length 0"},
	} {
		if _, err := unitems(tc.p, tc.n); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func FuzzUnitems(f *testing.F) {
	p, _ := itemsPayload([][]byte{{0x0a, 1}, {0x0a, 2, 3}})
	f.Add(p, 2)
	f.Add([]byte(itemsMagic), 1)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 1 || n > 64 {
			return
		}
		out, err := unitems(data, n)
		if err != nil {
			return
		}
		if len(out) != n {
			t.Fatalf("%d items for n=%d", len(out), n)
		}
		if n >= 2 {
			again, err := itemsPayload(out)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatal("accepted payload does not re-encode to its bytes")
			}
		}
	})
}
