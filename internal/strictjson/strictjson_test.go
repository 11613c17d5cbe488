package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type doc struct {
	Curve string `json:"curve"`
	Inner struct {
		A []int `json:"a"`
	} `json:"inner"`
	List []map[string]int `json:"list"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{`{"curve":"x","inner":{"a":[1,2]},"list":[{"k":1},{"k":2}]}`, ""},
		{` {"curve":"x"} ` + "\n", ""},
		{`{"curve":"x","curve":"y"}`, `duplicate key "curve"`},
		{`{"curve":"x","Curve":"y"}`, `duplicate key "Curve"`},
		{`{"curve":"x","CURVE":"y"}`, `duplicate key "CURVE"`},
		{"{\"K\":1,\"\u212a\":2}", "duplicate key"},
		{`{"inner":{"a":[1],"a":[2]}}`, `duplicate key "a"`},
		{`{"list":[{"k":1,"k":2}]}`, `duplicate key "k"`},
		{`{"curve":"x"}{"curve":"y"}`, "trailing data"},
		{`{"curve":"x"}}`, "invalid character"},
		{`{"curve":"x","other":1}`, "unknown field"},
		{`{"curve":`, "unexpected EOF"},
		{``, "EOF"},
	} {
		var d doc
		err := Decode([]byte(tc.in), &d)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
		}
	}
	// Keys in sibling objects may repeat.
	if err := CheckDuplicates([]byte(`[{"a":1},{"a":2},{"b":{"a":1}}]`)); err != nil {
		t.Fatal(err)
	}
	if err := CheckDuplicates([]byte(`{"a":{"b":1},"b":2,"c":[{"a":1}],"a2":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := CheckDuplicates([]byte(`{"a":{"b":1},"c":[1,{"d":2}],"a":1}`)); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate after nested values: %v", err)
	}
}

// FuzzDecode: whatever Decode accepts, encoding/json accepts with the same
// result, and CheckDuplicates never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"curve":"x"}`, `{"a":1,"A":2}`, `[{"a":{"b":[1,{"c":2}]}}]`, `{"inner":{"a":[1]},"list":[{"k":1}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = CheckDuplicates(data)
		var a, b doc
		if err := Decode(data, &a); err != nil {
			return
		}
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatalf("strict accepted what encoding/json refuses: %v", err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("different results: %s vs %s", ja, jb)
		}
	})
}
