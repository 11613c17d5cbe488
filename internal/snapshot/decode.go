package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"
	"reflect"
	"unsafe"

	"google.golang.org/protobuf/proto"
)

const (
	maxChanCap   = 1 << 20
	maxZeroSlice = 1 << 31
)

type decoder struct {
	s      *Schema
	data   []byte
	off    int
	types  []reflect.Type
	chans  []reflect.Value
	objs   []reflect.Value // pointers to the allocated objects
	budget int64           // bytes we may still allocate
	protoU proto.UnmarshalOptions
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// Decode restores the graph in data and returns the root pointer. A
// snapshot written by a build with another layout fingerprint is refused
// with a *SchemaMismatchError before anything else is read.
func (s *Schema) Decode(data []byte) (root any, err error) {
	s.mustSealed()
	if !bytes.HasPrefix(data, []byte(Magic)) {
		return nil, corrupt("not a coldsig state snapshot")
	}
	if len(data) < len(Magic)+32 {
		return nil, corrupt("truncated header")
	}
	var got [32]byte
	copy(got[:], data[len(Magic):])
	if got != s.fp {
		return nil, &SchemaMismatchError{Want: s.fp, Got: got}
	}
	d := &decoder{
		s:      s,
		data:   data,
		off:    len(Magic) + 32,
		budget: 64*int64(len(data)) + 1<<20,
		protoU: proto.UnmarshalOptions{DiscardUnknown: false},
	}
	// The engine's own checks should make every malformed input an error;
	// this is the backstop that keeps a reflect panic on hostile bytes from
	// taking the process down.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, corrupt("%v", r)
		}
	}()
	return d.run()
}

func (d *decoder) run() (any, error) {
	nt, err := d.count()
	if err != nil {
		return nil, err
	}
	for i := 0; i < nt; i++ {
		kind, err := d.byte()
		if err != nil {
			return nil, err
		}
		var t reflect.Type
		switch kind {
		case 0:
			name, err := d.str()
			if err != nil {
				return nil, err
			}
			t = d.s.byName[name]
			if t == nil {
				return nil, corrupt("unknown type %q", name)
			}
		case 1, 2:
			id, err := d.uint()
			if err != nil {
				return nil, err
			}
			if id >= uint64(len(d.types)) {
				return nil, corrupt("type %d refers to undefined type %d", i, id)
			}
			et := d.types[id]
			if kind == 2 {
				t = reflect.ChanOf(reflect.BothDir, et)
				break
			}
			n, err := d.uint()
			if err != nil {
				return nil, err
			}
			if n == 0 || et.Size() > 0 && n > uint64(d.budget)/uint64(et.Size()) || n > maxZeroSlice {
				return nil, corrupt("array length %d out of range", n)
			}
			t = reflect.ArrayOf(int(n), et)
		default:
			return nil, corrupt("bad type kind %d", kind)
		}
		d.types = append(d.types, t)
	}
	nc, err := d.count()
	if err != nil {
		return nil, err
	}
	for i := 0; i < nc; i++ {
		t, err := d.typ()
		if err != nil {
			return nil, err
		}
		if t.Kind() != reflect.Chan || t.ChanDir() != reflect.BothDir {
			return nil, corrupt("channel %d has non-channel type %s", i, typeName(t))
		}
		c, err := d.uint()
		if err != nil {
			return nil, err
		}
		if c > maxChanCap {
			return nil, corrupt("channel capacity %d out of range", c)
		}
		d.chans = append(d.chans, reflect.MakeChan(t, int(c)))
	}
	no, err := d.count()
	if err != nil {
		return nil, err
	}
	for i := 0; i < no; i++ {
		t, err := d.typ()
		if err != nil {
			return nil, err
		}
		if err := d.spend(t.Size()); err != nil {
			return nil, err
		}
		d.objs = append(d.objs, reflect.New(t))
	}
	rt, err := d.typ()
	if err != nil {
		return nil, err
	}
	if !d.s.roots[rt] {
		return nil, corrupt("root type %s is not a registered root", typeName(rt))
	}
	root := reflect.New(rt)
	if err := d.value(root.UnsafePointer(), rt, true); err != nil {
		return nil, err
	}
	for i, o := range d.objs {
		if err := d.value(o.UnsafePointer(), o.Type().Elem(), false); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
	}
	if d.off != len(d.data) {
		return nil, corrupt("%d trailing bytes", len(d.data)-d.off)
	}
	if root.Elem().IsNil() {
		return nil, corrupt("nil root")
	}
	return root.Elem().Interface(), nil
}

func (d *decoder) spend(n uintptr) error {
	if int64(n) > d.budget || int64(n) < 0 {
		return corrupt("snapshot would allocate more memory than its size allows")
	}
	d.budget -= int64(n)
	return nil
}

func (d *decoder) byte() (byte, error) {
	if d.off >= len(d.data) {
		return 0, corrupt("truncated")
	}
	b := d.data[d.off]
	d.off++
	return b, nil
}

func (d *decoder) uint() (uint64, error) {
	v, n := binary.Uvarint(d.data[d.off:])
	if n <= 0 {
		return 0, corrupt("bad varint at offset %d", d.off)
	}
	d.off += n
	return v, nil
}

func (d *decoder) int() (int64, error) {
	v, n := binary.Varint(d.data[d.off:])
	if n <= 0 {
		return 0, corrupt("bad varint at offset %d", d.off)
	}
	d.off += n
	return v, nil
}

// count reads a length that must be backed by at least that many bytes.
func (d *decoder) count() (int, error) {
	v, err := d.uint()
	if err != nil {
		return 0, err
	}
	if v > uint64(len(d.data)-d.off) {
		return 0, corrupt("count %d exceeds the remaining input", v)
	}
	return int(v), nil
}

func (d *decoder) bytes() ([]byte, error) {
	n, err := d.count()
	if err != nil {
		return nil, err
	}
	b := d.data[d.off : d.off+n]
	d.off += n
	return b, nil
}

func (d *decoder) str() (string, error) {
	b, err := d.bytes()
	return string(b), err
}

func (d *decoder) typ() (reflect.Type, error) {
	id, err := d.uint()
	if err != nil {
		return nil, err
	}
	if id >= uint64(len(d.types)) {
		return nil, corrupt("undefined type %d", id)
	}
	return d.types[id], nil
}

// ref reads (object, path) and returns the addressed location and, when
// the last step indexes an array, that array and the index. Locations are
// built from addresses (reflect.NewAt) rather than Field(), so unexported
// fields can be written.
func (d *decoder) ref() (loc, parent reflect.Value, last int, err error) {
	id, err := d.uint()
	if err != nil {
		return
	}
	if id >= uint64(len(d.objs)) {
		err = corrupt("reference to undefined object %d", id)
		return
	}
	n, err := d.count()
	if err != nil {
		return
	}
	p := d.objs[id].UnsafePointer()
	t := d.objs[id].Type().Elem()
	var pp unsafe.Pointer
	var pt reflect.Type
	last = -1
	for i := 0; i < n; i++ {
		var s uint64
		if s, err = d.uint(); err != nil {
			return
		}
		if d.s.classify(t) != plain {
			err = corrupt("path descends into %s", typeName(t))
			return
		}
		switch t.Kind() {
		case reflect.Struct:
			if s >= uint64(t.NumField()) {
				err = corrupt("path step %d out of range for %s", s, typeName(t))
				return
			}
			f := t.Field(int(s))
			pp, pt, last = nil, nil, -1
			p, t = unsafe.Add(p, f.Offset), f.Type
		case reflect.Array:
			if s >= uint64(t.Len()) {
				err = corrupt("path step %d out of range for %s", s, typeName(t))
				return
			}
			pp, pt, last = p, t, int(s)
			p, t = unsafe.Add(p, uintptr(s)*t.Elem().Size()), t.Elem()
		default:
			err = corrupt("path step into %s", typeName(t))
			return
		}
	}
	loc = reflect.NewAt(t, p).Elem()
	if pp != nil {
		parent = reflect.NewAt(pt, pp).Elem()
	}
	return
}

// set stores v (of a type assignable or convertible to t) at p.
func set(p unsafe.Pointer, t reflect.Type, v reflect.Value) error {
	dst := reflect.NewAt(t, p).Elem()
	switch {
	case v.Type().AssignableTo(t):
		dst.Set(v)
	case v.Type().ConvertibleTo(t) && v.Kind() == t.Kind():
		dst.Set(v.Convert(t))
	default:
		return corrupt("cannot store %s in %s", typeName(v.Type()), typeName(t))
	}
	return nil
}

// value decodes the value of type t into p. p points to zeroed memory.
func (d *decoder) value(p unsafe.Pointer, t reflect.Type, isRoot bool) error {
	switch d.s.classify(t) {
	case bigInt:
		sign, err := d.byte()
		if err != nil {
			return err
		}
		mag, err := d.bytes()
		if err != nil {
			return err
		}
		if sign > 2 || (sign == 1) != (len(mag) == 0) || len(mag) > 0 && mag[0] == 0 {
			return corrupt("non-canonical integer")
		}
		x := (*big.Int)(p)
		x.SetBytes(mag)
		if sign == 0 {
			x.Neg(x)
		}
		return nil
	case mutex:
		return nil
	case protoMsg:
		b, err := d.bytes()
		if err != nil {
			return err
		}
		if err := d.protoU.Unmarshal(b, reflect.NewAt(t, p).Interface().(proto.Message)); err != nil {
			return corrupt("protobuf %s: %v", typeName(t), err)
		}
		return nil
	case hooked:
		m, err := d.byte()
		if err != nil {
			return err
		}
		if m == 0 && isNil(reflect.Zero(t)) {
			return nil
		}
		if m != 1 {
			return corrupt("bad hooked-value marker %d", m)
		}
		n, err := d.str()
		if err != nil {
			return err
		}
		v, err := d.s.hooks[t].Resolve(n)
		if err != nil {
			return corrupt("%s: %v", typeName(t), err)
		}
		if v.Type() != t {
			return corrupt("hook for %s resolved %q to a %s", typeName(t), n, typeName(v.Type()))
		}
		return set(p, t, v)
	}
	v := reflect.NewAt(t, p).Elem()
	switch t.Kind() {
	case reflect.Bool:
		b, err := d.byte()
		if err != nil {
			return err
		}
		if b > 1 {
			return corrupt("bad bool")
		}
		v.SetBool(b == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, err := d.int()
		if err != nil {
			return err
		}
		if v.OverflowInt(x) {
			return corrupt("%d overflows %s", x, typeName(t))
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, err := d.uint()
		if err != nil {
			return err
		}
		if v.OverflowUint(x) {
			return corrupt("%d overflows %s", x, typeName(t))
		}
		if t.Kind() == reflect.Uintptr && x != 0 {
			return corrupt("non-zero uintptr")
		}
		v.SetUint(x)
	case reflect.Float32:
		x, err := d.uint()
		if err != nil {
			return err
		}
		if x > 1<<32-1 {
			return corrupt("bad float32")
		}
		*(*uint32)(p) = uint32(x)
	case reflect.Float64:
		x, err := d.uint()
		if err != nil {
			return err
		}
		*(*uint64)(p) = x
	case reflect.Complex64:
		for i := 0; i < 2; i++ {
			x, err := d.uint()
			if err != nil {
				return err
			}
			if x > 1<<32-1 {
				return corrupt("bad complex64")
			}
			*(*uint32)(unsafe.Add(p, 4*i)) = uint32(x)
		}
	case reflect.Complex128:
		for i := 0; i < 2; i++ {
			x, err := d.uint()
			if err != nil {
				return err
			}
			*(*uint64)(unsafe.Add(p, 8*i)) = x
		}
	case reflect.String:
		s, err := d.str()
		if err != nil {
			return err
		}
		v.SetString(s)
	case reflect.Func, reflect.Map, reflect.UnsafePointer:
		b, err := d.byte()
		if err != nil {
			return err
		}
		if b != 0 {
			return corrupt("non-nil %s", t.Kind())
		}
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if len(d.data)-d.off < t.Len() {
				return corrupt("truncated")
			}
			copy(unsafe.Slice((*byte)(p), t.Len()), d.data[d.off:])
			d.off += t.Len()
			return nil
		}
		et := t.Elem()
		for i := 0; i < t.Len(); i++ {
			if err := d.value(unsafe.Add(p, uintptr(i)*et.Size()), et, false); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if err := d.value(unsafe.Add(p, f.Offset), f.Type, false); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		m, err := d.byte()
		if err != nil {
			return err
		}
		switch {
		case m == 0 && !isRoot:
		case m == 1 && t.Elem().Size() == 0:
			return set(p, t, reflect.New(t.Elem()))
		case m == 2:
			loc, _, _, err := d.ref()
			if err != nil {
				return err
			}
			if loc.Type() != t.Elem() {
				return corrupt("pointer of type %s refers to a %s", typeName(t), typeName(loc.Type()))
			}
			return set(p, t, loc.Addr())
		default:
			return corrupt("bad pointer marker %d", m)
		}
	case reflect.Slice:
		m, err := d.byte()
		if err != nil {
			return err
		}
		if m == 0 {
			return nil
		}
		l, err := d.uint()
		if err != nil {
			return err
		}
		c, err := d.uint()
		if err != nil {
			return err
		}
		if l > c || c > maxZeroSlice {
			return corrupt("slice len %d cap %d", l, c)
		}
		switch {
		case m == 1 && (c == 0 || t.Elem().Size() == 0):
			return set(p, t, reflect.MakeSlice(t, int(l), int(c)))
		case m == 2 && c > 0 && t.Elem().Size() > 0:
			loc, arr, i, err := d.ref()
			if err != nil {
				return err
			}
			if loc.Type() != t.Elem() || i < 0 || uint64(i)+c > uint64(arr.Len()) {
				return corrupt("slice of %s does not fit its backing array", typeName(t))
			}
			return set(p, t, arr.Slice3(i, i+int(l), i+int(c)))
		default:
			return corrupt("bad slice marker %d", m)
		}
	case reflect.Chan:
		m, err := d.byte()
		if err != nil {
			return err
		}
		if m == 0 {
			return nil
		}
		id, err := d.uint()
		if err != nil {
			return err
		}
		if m != 1 || id >= uint64(len(d.chans)) {
			return corrupt("bad channel reference")
		}
		c := d.chans[id]
		if c.Type().Elem() != t.Elem() {
			return corrupt("channel of %s stored in %s", typeName(c.Type().Elem()), typeName(t))
		}
		return set(p, t, c)
	case reflect.Interface:
		m, err := d.byte()
		if err != nil {
			return err
		}
		switch m {
		case 0:
			return nil
		case 1:
			n, err := d.str()
			if err != nil {
				return err
			}
			x, ok := d.s.externals[n]
			if !ok {
				return corrupt("unknown external %q", n)
			}
			if !reflect.TypeOf(x).Implements(t) {
				return corrupt("external %q does not implement %s", n, typeName(t))
			}
			v.Set(reflect.ValueOf(x))
			return nil
		case 2:
			dt, err := d.typ()
			if err != nil {
				return err
			}
			if !d.s.concrete[dt] && d.s.classify(dt) != hooked {
				return corrupt("type %s is not allowed behind interfaces", typeName(dt))
			}
			if !dt.Implements(t) {
				return corrupt("%s does not implement %s", typeName(dt), typeName(t))
			}
			c := reflect.New(dt)
			if err := d.value(c.UnsafePointer(), dt, false); err != nil {
				return err
			}
			v.Set(c.Elem())
			return nil
		default:
			return corrupt("bad interface marker %d", m)
		}
	default:
		return corrupt("unsupported kind %s", t.Kind())
	}
	return nil
}
