package plural

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 envelopes"}, {1, "1 envelope"}, {2, "2 envelopes"}, {-1, "-1 envelopes"}} {
		if got := Count(c.n, "envelope"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
