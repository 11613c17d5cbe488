package snapshot

import (
	"bytes"
	"fmt"
	"math/big"
	"reflect"
	"unsafe"

	"google.golang.org/protobuf/proto"
)

// MismatchError reports where two graphs differ.
type MismatchError struct {
	Path   string
	Reason string
}

func (e *MismatchError) Error() string { return fmt.Sprintf("snapshot: %s: %s", e.Path, e.Reason) }

type comparer struct {
	s          *Schema
	ab, ba     map[locKey]uintptr
	chAB, chBA map[uintptr]uintptr
	keep       []reflect.Value
}

// Compare walks two graphs of the same root type in parallel and reports
// the first difference in values or in sharing. Sharing is checked as a
// bijection between typed locations: if a pointer in a refers to memory
// that a also reaches another way (the same object, or a field inside a
// larger one), the corresponding pointer in b must refer to the
// corresponding memory in b, and vice versa. It is the test oracle for
// "restore gives back an equivalent party". Channels are matched as a
// bijection too; protobuf messages, *big.Int values and hooked values are
// compared by value.
func (s *Schema) Compare(a, b any) error {
	s.mustSealed()
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() || va.Type() != vb.Type() || va.Kind() != reflect.Pointer {
		return fmt.Errorf("snapshot: compare needs two pointers of one type, got %T and %T", a, b)
	}
	if va.IsNil() || vb.IsNil() {
		if va.IsNil() && vb.IsNil() {
			return nil
		}
		return &MismatchError{"root", "one side is nil"}
	}
	c := &comparer{
		s:    s,
		ab:   map[locKey]uintptr{},
		ba:   map[locKey]uintptr{},
		chAB: map[uintptr]uintptr{},
		chBA: map[uintptr]uintptr{},
	}
	return c.walk(va.UnsafePointer(), vb.UnsafePointer(), va.Type().Elem(), nil)
}

func mismatch(path *pathNode, format string, args ...any) error {
	return &MismatchError{Path: path.String(), Reason: fmt.Sprintf(format, args...)}
}

func (c *comparer) bind(pa, pb unsafe.Pointer, t reflect.Type, path *pathNode) (bool, error) {
	ka, kb := locKey{uintptr(pa), t}, locKey{uintptr(pb), t}
	xb, okA := c.ab[ka]
	xa, okB := c.ba[kb]
	if okA && xb != uintptr(pb) || okB && xa != uintptr(pa) || okA != okB {
		return false, mismatch(path, "sharing differs: this %s is reached another way in one graph but not in the other", typeName(t))
	}
	if okA {
		return true, nil
	}
	c.ab[ka], c.ba[kb] = uintptr(pb), uintptr(pa)
	return false, nil
}

func (c *comparer) cell(v reflect.Value) unsafe.Pointer {
	x := reflect.New(v.Type())
	x.Elem().Set(v)
	c.keep = append(c.keep, x)
	return x.UnsafePointer()
}

func (c *comparer) walk(pa, pb unsafe.Pointer, t reflect.Type, path *pathNode) error {
	if t.Size() > 0 {
		seen, err := c.bind(pa, pb, t, path)
		if err != nil || seen {
			return err
		}
	}
	switch c.s.classify(t) {
	case bigInt:
		if (*big.Int)(pa).Cmp((*big.Int)(pb)) != 0 {
			return mismatch(path, "integers differ")
		}
		return nil
	case mutex:
		return nil
	case protoMsg:
		ma := reflect.NewAt(t, pa).Interface().(proto.Message)
		mb := reflect.NewAt(t, pb).Interface().(proto.Message)
		if !proto.Equal(ma, mb) {
			return mismatch(path, "protobuf messages differ")
		}
		return nil
	case hooked:
		h := c.s.hooks[t]
		nilA, nilB := isNil(reflect.NewAt(t, pa).Elem()), isNil(reflect.NewAt(t, pb).Elem())
		if nilA || nilB {
			if nilA != nilB {
				return mismatch(path, "one hooked value is nil")
			}
			return nil
		}
		na, errA := h.Name(reflect.NewAt(t, pa).Elem())
		nb, errB := h.Name(reflect.NewAt(t, pb).Elem())
		if errA != nil || errB != nil || na != nb {
			return mismatch(path, "hooked values differ (%q, %q)", na, nb)
		}
		return nil
	}
	va, vb := reflect.NewAt(t, pa).Elem(), reflect.NewAt(t, pb).Elem()
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		if !bytes.Equal(unsafe.Slice((*byte)(pa), t.Size()), unsafe.Slice((*byte)(pb), t.Size())) {
			return mismatch(path, "values differ")
		}
	case reflect.String:
		if va.String() != vb.String() {
			return mismatch(path, "strings differ")
		}
	case reflect.Func, reflect.Map, reflect.UnsafePointer:
		if !va.IsNil() || !vb.IsNil() {
			return mismatch(path, "non-nil %s cannot be compared", t.Kind())
		}
	case reflect.Array:
		et := t.Elem()
		for i := 0; i < t.Len(); i++ {
			off := uintptr(i) * et.Size()
			if err := c.walk(unsafe.Add(pa, off), unsafe.Add(pb, off), et, path.add(fmt.Sprintf("[%d]", i))); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if err := c.walk(unsafe.Add(pa, f.Offset), unsafe.Add(pb, f.Offset), f.Type, path.add("."+f.Name)); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if va.IsNil() || vb.IsNil() {
			if va.IsNil() != vb.IsNil() {
				return mismatch(path, "one pointer is nil")
			}
			return nil
		}
		return c.walk(va.UnsafePointer(), vb.UnsafePointer(), t.Elem(), path)
	case reflect.Slice:
		if va.IsNil() != vb.IsNil() || va.Len() != vb.Len() || va.Cap() != vb.Cap() {
			return mismatch(path, "slices differ in nil-ness, length or capacity")
		}
		if va.IsNil() || va.Cap() == 0 || t.Elem().Size() == 0 {
			return nil
		}
		return c.walk(va.UnsafePointer(), vb.UnsafePointer(), reflect.ArrayOf(va.Cap(), t.Elem()), path)
	case reflect.Chan:
		if va.IsNil() || vb.IsNil() {
			if va.IsNil() != vb.IsNil() {
				return mismatch(path, "one channel is nil")
			}
			return nil
		}
		if va.Cap() != vb.Cap() || va.Len() != vb.Len() {
			return mismatch(path, "channels differ in capacity or length")
		}
		a, b := uintptr(va.UnsafePointer()), uintptr(vb.UnsafePointer())
		xb, okA := c.chAB[a]
		xa, okB := c.chBA[b]
		if okA != okB || okA && (xb != b || xa != a) {
			return mismatch(path, "channel sharing differs")
		}
		c.chAB[a], c.chBA[b] = b, a
	case reflect.Interface:
		if va.IsNil() || vb.IsNil() {
			if va.IsNil() != vb.IsNil() {
				return mismatch(path, "one interface is nil")
			}
			return nil
		}
		da, db := va.Elem(), vb.Elem()
		if da.Type() != db.Type() {
			return mismatch(path, "dynamic types differ: %s and %s", typeName(da.Type()), typeName(db.Type()))
		}
		na, extA := c.s.externalName(da)
		nb, extB := c.s.externalName(db)
		if extA || extB {
			if na != nb {
				return mismatch(path, "external values differ (%q, %q)", na, nb)
			}
			return nil
		}
		return c.walk(c.cell(da), c.cell(db), da.Type(), path.add(".("+da.Type().String()+")"))
	default:
		return mismatch(path, "unknown kind %s", t.Kind())
	}
	return nil
}
