package snapshot

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

type shape interface{ Area() int }

type square struct{ Side int }

func (s *square) Area() int { return s.Side * s.Side }

type label string

func (l label) Area() int { return len(l) }

// curve stands in for an elliptic curve: a process-wide object that must
// come back as the registered instance, not as a copy.
type curve struct{ name string }

var theCurve = &curve{name: "toy"}

// pid mimics tss.PartyID: it embeds a protobuf message pointer, so it
// satisfies proto.Message, but it is not a message itself.
type pid struct {
	*wrapperspb.StringValue
	Index int
}

type inner struct {
	X    *big.Int
	Vals [3]int
	B    []byte
}

type node struct {
	mu      sync.Mutex
	Name    string
	In      inner
	PIn     *inner
	PX      *big.Int
	Nums    []int
	Nums2   []int
	PElem   *int
	Arr     [2]*big.Int
	ArrS    []*big.Int
	Shape   shape
	Label   shape
	Rand    io.Reader
	Ch      chan int
	ChSend  chan<- int
	Self    *node
	Msg     *wrapperspb.StringValue
	Any     *anypb.Any
	ID      *pid
	Curve   *curve
	F       float64
	C       complex64
	I16     int16
	U8      uint8
	Ok      bool
	Zero    *struct{}
	Empty   []int
	NilS    []int
	Fn      func()
	UP      unsafe.Pointer
	M       map[string]int
	Neg     big.Int
	unusedP *node
	hidden  inner
	PHidden *inner
	PB      *uint8
}

func testSchema(t testing.TB) *Schema {
	t.Helper()
	s := New()
	s.AddRoot(&node{})
	s.AddConcrete(&square{})
	s.AddConcrete(label(""))
	s.AddHook(reflect.TypeOf(theCurve), Hook{
		Name: func(v reflect.Value) (string, error) {
			c := v.Interface().(*curve)
			if c.name != theCurve.name {
				return "", fmt.Errorf("unknown curve %q", c.name)
			}
			return c.name, nil
		},
		Resolve: func(name string) (reflect.Value, error) {
			if name != theCurve.name {
				return reflect.Value{}, fmt.Errorf("unknown curve %q", name)
			}
			return reflect.ValueOf(theCurve), nil
		},
	})
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	return s
}

func sample() *node {
	n := &node{Name: "n"}
	n.In = inner{X: big.NewInt(-77), Vals: [3]int{1, 2, 3}, B: []byte("abc")}
	n.PIn = &n.In
	n.PX = n.In.X
	n.Nums = make([]int, 3, 5)
	n.Nums[0], n.Nums[1], n.Nums[2] = 10, 11, 12
	n.Nums2 = n.Nums[1:4]
	n.PElem = &n.Nums[2]
	n.Arr = [2]*big.Int{big.NewInt(5), big.NewInt(0)}
	n.ArrS = n.Arr[:]
	n.Shape = &square{Side: 3}
	n.Label = label("hello")
	n.Rand = rand.Reader
	n.Ch = make(chan int, 4)
	n.ChSend = n.Ch
	n.Self = n
	n.Msg = wrapperspb.String("msg")
	n.Any, _ = anypb.New(wrapperspb.String("inside any"))
	n.ID = &pid{StringValue: wrapperspb.String("party"), Index: 7}
	n.Curve = &curve{name: "toy"} // a fresh object with the registered name
	n.F = 1.5
	n.C = complex(2, -3)
	n.I16 = -300
	n.U8 = 200
	n.Ok = true
	n.Zero = &struct{}{}
	n.Empty = []int{}
	n.Neg.SetInt64(-12345)
	n.hidden.Vals[1] = 42
	n.PHidden = &n.hidden
	// Bytes shared with a protobuf message come back as an equal copy.
	n.In.B = n.Any.Value
	return n
}

func TestRoundTrip(t *testing.T) {
	s := testSchema(t)
	n := sample()
	data, err := s.Encode(n)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*node)
	if err := s.Compare(n, r); err != nil {
		t.Fatalf("compare: %v", err)
	}
	again, err := s.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatal("re-snapshot of the restored graph differs")
	}

	// Sharing, checked directly rather than only through Compare.
	if r.PIn != &r.In || r.PX != r.In.X || r.Self != r {
		t.Error("interior or self pointers not restored")
	}
	r.Nums[1] = 99
	if r.Nums2[0] != 99 || cap(r.Nums) != 5 || cap(r.Nums2) != 4 || len(r.Nums2) != 3 {
		t.Error("slices do not share their backing array")
	}
	if r.PElem != &r.Nums[2] || &r.ArrS[0] != &r.Arr[0] {
		t.Error("pointers into arrays not restored")
	}
	if r.PHidden != &r.hidden || r.hidden.Vals[1] != 42 {
		t.Error("pointer to an unexported field not restored")
	}
	if !bytes.Equal(r.In.B, r.Any.Value) || len(r.In.B) == 0 {
		t.Error("bytes shared with a protobuf message not restored")
	}
	if r.Rand != rand.Reader {
		t.Error("crypto/rand.Reader not re-attached")
	}
	if r.Curve != theCurve {
		t.Error("hooked value not resolved to the registered instance")
	}
	if r.ID.Index != 7 || r.ID.GetValue() != "party" {
		t.Errorf("embedded-proto struct lost fields: %+v", r.ID)
	}
	if (<-chan int)(r.Ch) == nil || r.ChSend != chan<- int(r.Ch) || cap(r.Ch) != 4 {
		t.Error("channel identity or capacity not restored")
	}
	if r.Neg.Int64() != -12345 || r.In.X.Int64() != -77 || r.Empty == nil || r.NilS != nil {
		t.Error("values not restored")
	}
	if r.Label.(label) != "hello" || r.Shape.(*square).Side != 3 {
		t.Error("interfaces not restored")
	}
}

func refusal(t *testing.T, s *Schema, n *node, wantPath, wantReason string) {
	t.Helper()
	_, err := s.Encode(n)
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v, want an UnsupportedError", err)
	}
	if !strings.Contains(ue.Path, wantPath) || !strings.Contains(err.Error(), wantReason) {
		t.Fatalf("error %q should name %q and say %q", err, wantPath, wantReason)
	}
}

func TestRefusals(t *testing.T) {
	s := testSchema(t)
	cases := []struct {
		name, path, reason string
		mod                func(n *node)
	}{
		{"func", "root.Fn", "func values", func(n *node) { n.Fn = func() {} }},
		{"unsafe", "root.UP", "unsafe.Pointer", func(n *node) { n.UP = unsafe.Pointer(n) }},
		{"map", "root.M", "maps", func(n *node) { n.M = map[string]int{} }},
		{"mutex", "root.mu", "locked", func(n *node) { n.mu.Lock() }},
		{"reader", "root.Rand", "io.Reader", func(n *node) { n.Rand = bytes.NewReader(nil) }},
		{"unregistered", "root.Shape", "not registered", func(n *node) { n.Shape = &other{} }},
		{"channel", "root.Ch", "unread", func(n *node) { n.Ch <- 1 }},
		{"hook", "root.Curve", "unknown curve", func(n *node) { n.Curve = &curve{name: "p256"} }},
		{"proto memory", "root.PB", "protobuf", func(n *node) { n.PB = &n.Any.Value[1] }},
		{"deep", "root.unusedP.Shape", "not registered", func(n *node) { n.unusedP = &node{Shape: &other{}} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := sample()
			c.mod(n)
			refusal(t, s, n, c.path, c.reason)
		})
	}
}

type other struct{}

func (*other) Area() int { return 0 }

func TestCompareCatchesDifferences(t *testing.T) {
	s := testSchema(t)
	n := sample()
	data, err := s.Encode(n)
	if err != nil {
		t.Fatal(err)
	}
	restore := func() *node {
		v, err := s.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		return v.(*node)
	}
	cases := []struct {
		name string
		mod  func(r *node)
	}{
		{"broken interior alias", func(r *node) { c := r.In; r.PIn = &c }},
		{"broken bigint alias", func(r *node) { r.PX = new(big.Int).Set(r.PX) }},
		{"broken slice sharing", func(r *node) {
			c := make([]int, 4)
			copy(c, r.Nums2[:4])
			r.Nums2 = c[:3]
		}},
		{"extra alias", func(r *node) { r.Arr[1] = r.Arr[0] }},
		{"changed bigint", func(r *node) { r.In.X.SetInt64(1) }},
		{"changed int", func(r *node) { r.Vals()[0]++ }},
		{"changed proto", func(r *node) { r.Msg.Value = "other" }},
		{"changed interface", func(r *node) { r.Label = label("bye") }},
		{"changed slice cap", func(r *node) { r.Nums2 = r.Nums2[:3:3] }},
		{"changed embedded index", func(r *node) { r.ID.Index = 8 }},
		{"other channel", func(r *node) { r.ChSend = make(chan int, 4) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := restore()
			if err := s.Compare(n, r); err != nil {
				t.Fatalf("unmodified restore differs: %v", err)
			}
			c.mod(r)
			var me *MismatchError
			if err := s.Compare(n, r); !errors.As(err, &me) {
				t.Fatalf("comparison missed the change (err=%v)", err)
			}
		})
	}
}

func (n *node) Vals() *[3]int { return &n.In.Vals }

func TestSchemaMismatch(t *testing.T) {
	s := testSchema(t)
	data, err := s.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	s2 := New()
	s2.AddRoot(&node{})
	s2.AddConcrete(&square{}) // no label: a different schema
	if err := s2.Seal(); err != nil {
		t.Fatal(err)
	}
	_, err = s2.Decode(data)
	var sm *SchemaMismatchError
	if !errors.As(err, &sm) || !errors.Is(err, ErrSchemaMismatch) {
		t.Fatalf("got %v, want a schema mismatch", err)
	}
	if !strings.Contains(err.Error(), "same coldsig binary") && !strings.Contains(err.Error(), "exact coldsig binary") {
		t.Errorf("error does not tell the officer what to do: %v", err)
	}
}

func TestCorrupt(t *testing.T) {
	s := testSchema(t)
	data, err := s.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"magic", append([]byte("coldsig/snapshot/v2\n"), data[len(Magic):]...)},
		{"truncated", data[:len(data)-1]},
		{"trailing", append(append([]byte(nil), data...), 0)},
		{"header only", data[:len(Magic)+32]},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Decode(c.b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestLayoutNamesFullPackage(t *testing.T) {
	s := testSchema(t)
	l := s.Layout()
	for _, want := range []string{
		"github.com/coldsig/coldsig/internal/snapshot.node kind=struct",
		"field PIn *github.com/coldsig/coldsig/internal/snapshot.inner off=",
		"proto=google.protobuf.StringValue",
		"external crypto/rand.Reader",
	} {
		if !strings.Contains(l, want) {
			t.Errorf("layout lacks %q", want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	s := testSchema(f)
	data, err := s.Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	small := &node{Name: "x", Self: nil}
	if d, err := s.Encode(small); err == nil {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := s.Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must snapshot again, and that snapshot must be
		// a fixed point.
		enc, err := s.Encode(v)
		if err != nil {
			t.Fatalf("decoded graph does not re-encode: %v", err)
		}
		v2, err := s.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded graph does not decode: %v", err)
		}
		if err := s.Compare(v, v2); err != nil {
			t.Fatal(err)
		}
		enc2, err := s.Encode(v2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not a fixed point (err=%v)", err)
		}
	})
}
