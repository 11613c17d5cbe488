package snapshot

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"sync"
	"unsafe"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pathNode is a lazily rendered location such as
// root.P.(*keygen.LocalParty).temp.ssid, used only in error messages.
type pathNode struct {
	parent *pathNode
	seg    string
}

func (p *pathNode) String() string {
	if p == nil {
		return "root"
	}
	var segs []string
	for n := p; n != nil; n = n.parent {
		segs = append(segs, n.seg)
	}
	out := "root"
	for i := len(segs) - 1; i >= 0; i-- {
		out += segs[i]
	}
	return out
}

func (p *pathNode) add(seg string) *pathNode { return &pathNode{p, seg} }

func unsupported(path *pathNode, t reflect.Type, format string, args ...any) error {
	return &UnsupportedError{Path: path.String(), Type: typeName(t), Reason: fmt.Sprintf(format, args...)}
}

// locKey identifies a typed memory location: &s and &s.first share an
// address but are different locations.
type locKey struct {
	addr uintptr
	t    reflect.Type
}

// A region is memory some pointer or slice refers to; regions that overlap
// are merged into one object, and pointers into it become (object, path).
type region struct {
	start, end uintptr
	t          reflect.Type
	p          unsafe.Pointer
	path       *pathNode
	slice      bool // t is [cap]elem of a slice's backing array
}

type object struct {
	start, end uintptr
	t          reflect.Type
	p          unsafe.Pointer
	id         int
}

type span struct{ start, end uintptr }

type encoder struct {
	s       *Schema
	visited map[locKey]bool
	regions []region
	opaque  []span // bytes owned by protobuf messages
	keep    []reflect.Value

	objs   []*object // sorted by start
	queue  []*object // in id order
	types  map[reflect.Type]int
	tlist  []reflect.Type
	chans  map[uintptr]int
	clist  []reflect.Value
	buf    []byte
	protoM proto.MarshalOptions
}

// Encode snapshots the graph reachable from root, a non-nil pointer of a
// registered root type.
func (s *Schema) Encode(root any) ([]byte, error) {
	s.mustSealed()
	rv := reflect.ValueOf(root)
	if !rv.IsValid() || !s.roots[rv.Type()] {
		return nil, fmt.Errorf("snapshot: %T is not a registered root type", root)
	}
	if rv.IsNil() {
		return nil, fmt.Errorf("snapshot: nil root")
	}
	e := &encoder{
		s:       s,
		visited: map[locKey]bool{},
		types:   map[reflect.Type]int{},
		chans:   map[uintptr]int{},
		protoM:  proto.MarshalOptions{Deterministic: true},
	}
	rp := rv.UnsafePointer()
	rt := rv.Type().Elem()
	e.addRegion(rp, rt, nil, false)
	if err := e.walk(rp, rt, nil); err != nil {
		return nil, err
	}
	if err := e.merge(); err != nil {
		return nil, err
	}
	if err := e.checkOpaque(); err != nil {
		return nil, err
	}
	// Body first: object ids, type ids and channel ids are assigned in the
	// order the encoding meets them, which depends only on the graph's
	// shape, never on addresses. That is what makes a re-snapshot of a
	// restored graph byte-identical.
	rootType := e.typeID(rv.Type())
	e.buf = append(e.buf, 2) // pointer marker, as for any non-nil pointer
	if err := e.ref(rp, rt, nil); err != nil {
		return nil, err
	}
	rootRef := e.buf
	e.buf = nil
	for i := 0; i < len(e.queue); i++ {
		o := e.queue[i]
		if err := e.value(o.p, o.t, nil); err != nil {
			return nil, err
		}
	}
	body := e.buf

	out := make([]byte, 0, len(body)+1024)
	out = append(out, Magic...)
	out = append(out, s.fp[:]...)
	out = binary.AppendUvarint(out, uint64(len(e.tlist)))
	for _, t := range e.tlist {
		switch {
		case t.Kind() == reflect.Array && s.names[t] == "":
			out = append(out, 1)
			out = binary.AppendUvarint(out, uint64(e.types[t.Elem()]))
			out = binary.AppendUvarint(out, uint64(t.Len()))
		case t.Kind() == reflect.Chan && s.names[t] == "":
			out = append(out, 2)
			out = binary.AppendUvarint(out, uint64(e.types[t.Elem()]))
		default:
			if s.names[t] == "" {
				return nil, fmt.Errorf("snapshot: internal error: unregistered type %s", typeName(t))
			}
			out = append(out, 0)
			out = appendString(out, s.names[t])
		}
	}
	out = binary.AppendUvarint(out, uint64(len(e.clist)))
	for _, c := range e.clist {
		out = binary.AppendUvarint(out, uint64(e.types[reflect.ChanOf(reflect.BothDir, c.Type().Elem())]))
		out = binary.AppendUvarint(out, uint64(c.Cap()))
	}
	out = binary.AppendUvarint(out, uint64(len(e.queue)))
	for _, o := range e.queue {
		out = binary.AppendUvarint(out, uint64(e.types[o.t]))
	}
	out = binary.AppendUvarint(out, uint64(rootType))
	out = append(out, rootRef...)
	out = append(out, body...)
	return out, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (e *encoder) addRegion(p unsafe.Pointer, t reflect.Type, path *pathNode, slice bool) {
	if t.Size() == 0 {
		return
	}
	a := uintptr(p)
	e.regions = append(e.regions, region{start: a, end: a + t.Size(), t: t, p: p, path: path, slice: slice})
}

// cell copies an interface's dynamic value into fresh memory so it can be
// walked like any other location. Cells are kept alive for the whole
// operation so their addresses are never reused.
func (e *encoder) cell(v reflect.Value) unsafe.Pointer {
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	e.keep = append(e.keep, c)
	return c.UnsafePointer()
}

// walk is the discovery pass: it visits every location reachable from p,
// records the memory regions pointers and slices refer to, and refuses
// anything it could not restore faithfully.
func (e *encoder) walk(p unsafe.Pointer, t reflect.Type, path *pathNode) error {
	k := locKey{uintptr(p), t}
	if e.visited[k] {
		return nil
	}
	e.visited[k] = true
	if forbiddenPkg(t) && t != mutexType {
		return unsupported(path, t, "types of package %s hold runtime state that cannot be copied", t.PkgPath())
	}
	switch e.s.classify(t) {
	case bigInt:
		return nil
	case mutex:
		m := (*sync.Mutex)(p)
		if !m.TryLock() {
			return unsupported(path, t, "mutex is locked (snapshot taken while the party is in use)")
		}
		m.Unlock()
		return nil
	case protoMsg:
		e.protoSpans(reflect.NewAt(t, p).Interface().(proto.Message).ProtoReflect(), 0)
		return nil
	case hooked:
		if isNil(reflect.NewAt(t, p).Elem()) {
			return nil
		}
		if _, err := e.s.hooks[t].Name(reflect.NewAt(t, p).Elem()); err != nil {
			return unsupported(path, t, "%v", err)
		}
		return nil
	}
	if t.Kind() != reflect.Interface && t.Implements(readerIface) {
		return unsupported(path, t, "an io.Reader other than crypto/rand.Reader (a saved generator state would replay nonces)")
	}
	v := reflect.NewAt(t, p).Elem()
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return nil
	case reflect.Uintptr:
		if v.Uint() != 0 {
			return unsupported(path, t, "uintptr values may hide pointers")
		}
		return nil
	case reflect.UnsafePointer:
		if !v.IsNil() {
			return unsupported(path, t, "unsafe.Pointer values are refused")
		}
		return nil
	case reflect.Func:
		if !v.IsNil() {
			return unsupported(path, t, "func values are refused")
		}
		return nil
	case reflect.Map:
		if !v.IsNil() {
			return unsupported(path, t, "maps are not supported")
		}
		return nil
	case reflect.Chan:
		if v.IsNil() {
			return nil
		}
		if v.Len() != 0 {
			return unsupported(path, t, "channel holds %d unread values; drain it before the snapshot", v.Len())
		}
		return nil
	case reflect.Array:
		et := t.Elem()
		for i := 0; i < t.Len(); i++ {
			if err := e.walk(unsafe.Add(p, uintptr(i)*et.Size()), et, path.add(fmt.Sprintf("[%d]", i))); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if err := e.walk(unsafe.Add(p, f.Offset), f.Type, path.add("."+f.Name)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		q := v.UnsafePointer()
		et := t.Elem()
		e.addRegion(q, et, path, false)
		return e.walk(q, et, path)
	case reflect.Slice:
		if v.IsNil() || v.Cap() == 0 {
			return nil
		}
		at := reflect.ArrayOf(v.Cap(), t.Elem())
		q := v.UnsafePointer()
		e.addRegion(q, at, path, true)
		return e.walk(q, at, path)
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		d := v.Elem()
		dt := d.Type()
		if _, ok := e.s.externalName(d); ok {
			return nil
		}
		sub := path.add(".(" + dt.String() + ")")
		if !e.s.concrete[dt] && e.s.classify(dt) != hooked {
			if dt.Implements(readerIface) {
				return unsupported(sub, dt, "an io.Reader other than crypto/rand.Reader (a saved generator state would replay nonces)")
			}
			return unsupported(sub, dt, "type is not registered as a concrete type for interfaces")
		}
		return e.walk(e.cell(d), dt, sub)
	}
	return unsupported(path, t, "unknown kind %s", t.Kind())
}

// protoSpans records the byte slices owned by a protobuf message. The
// message is stored as an opaque blob, so any other part of the graph that
// shares those bytes loses the sharing on restore. For byte slices that is
// accepted: tss-lib keeps byte strings it put into a message (or read from
// one), such as the session id, and never writes into them; appends
// reallocate or write past the message's length, where the message cannot
// see it. Restored, both sides hold equal bytes in separate arrays. Any other
// type sharing a message's memory is refused by checkOpaque.
func (e *encoder) protoSpans(m protoreflect.Message, depth int) {
	if depth > 64 || !m.IsValid() {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.BytesKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				e.byteSpan(l.Get(i).Bytes())
			}
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				e.protoSpans(l.Get(i).Message(), depth+1)
			}
		case fd.Kind() == protoreflect.BytesKind && !fd.IsMap():
			e.byteSpan(v.Bytes())
		case fd.Message() != nil && !fd.IsMap():
			e.protoSpans(v.Message(), depth+1)
		}
		return true
	})
}

func (e *encoder) byteSpan(b []byte) {
	if cap(b) == 0 {
		return
	}
	a := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	e.opaque = append(e.opaque, span{a, a + uintptr(cap(b))})
}

func (e *encoder) checkOpaque() error {
	if len(e.opaque) == 0 {
		return nil
	}
	op := e.opaque
	sort.Slice(op, func(i, j int) bool { return op[i].start < op[j].start })
	maxEnd := make([]uintptr, len(op))
	for i, o := range op {
		maxEnd[i] = o.end
		if i > 0 && maxEnd[i-1] > o.end {
			maxEnd[i] = maxEnd[i-1]
		}
	}
	for _, r := range e.regions {
		// Spans starting before r.end overlap r iff one of them ends after
		// r.start.
		i := sort.Search(len(op), func(i int) bool { return op[i].start >= r.end })
		if i > 0 && maxEnd[i-1] > r.start && !(r.t.Kind() == reflect.Array && r.t.Elem().Kind() == reflect.Uint8) {
			return unsupported(r.path, r.t, "shares memory with the bytes of a protobuf message, which is stored as an opaque blob")
		}
	}
	return nil
}

// merge turns regions into objects. A region inside another becomes an
// interior reference; two array regions of one element type that overlap
// (slices of one backing array) become one array; any other overlap is
// refused.
func (e *encoder) merge() error {
	rs := e.regions
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].start != rs[j].start {
			return rs[i].start < rs[j].start
		}
		return rs[i].end > rs[j].end
	})
	for _, r := range rs {
		if n := len(e.objs); n > 0 {
			o := e.objs[n-1]
			if r.start < o.end {
				if r.end <= o.end {
					if _, err := locate(o, r.start, r.t, r.slice); err == nil {
						continue
					}
					// Same extent, other type: keep the type that contains
					// the other at offset 0 (a struct and its only field).
					if r.start == o.start && r.end == o.end {
						if _, ok := pathTo(r.t, 0, o.t, nil); ok {
							o.t, o.p = r.t, r.p
							continue
						}
					}
					return unsupported(r.path, r.t, "points into memory of type %s at offset %d, which has no field of this type there",
						typeName(o.t), r.start-o.start)
				}
				if o.t.Kind() == reflect.Array && r.t.Kind() == reflect.Array && o.t.Elem() == r.t.Elem() {
					es := o.t.Elem().Size()
					if (r.start-o.start)%es == 0 && (r.end-o.start)%es == 0 {
						o.end = r.end
						o.t = reflect.ArrayOf(int((o.end-o.start)/es), o.t.Elem())
						continue
					}
				}
				return unsupported(r.path, r.t, "partially overlaps memory of type %s", typeName(o.t))
			}
		}
		e.objs = append(e.objs, &object{start: r.start, end: r.end, t: r.t, p: r.p, id: -1})
	}
	return nil
}

// pathTo finds the field/index path from a value of type ot to a location
// of type t at byte offset off. It does not descend into leaf types.
func pathTo(ot reflect.Type, off uintptr, t reflect.Type, path []int) ([]int, bool) {
	if off == 0 && ot == t {
		return path, true
	}
	if ot == bigIntType || ot == mutexType {
		return nil, false
	}
	switch ot.Kind() {
	case reflect.Struct:
		for i := 0; i < ot.NumField(); i++ {
			f := ot.Field(i)
			if off >= f.Offset && off-f.Offset < f.Type.Size() || off == f.Offset && f.Type.Size() == 0 {
				if p, ok := pathTo(f.Type, off-f.Offset, t, append(path, i)); ok {
					return p, true
				}
			}
		}
	case reflect.Array:
		es := ot.Elem().Size()
		if es == 0 {
			return nil, false
		}
		i := off / es
		if i < uintptr(ot.Len()) {
			return pathTo(ot.Elem(), off-i*es, t, append(path, int(i)))
		}
	}
	return nil, false
}

// locate returns the path from object o to address a of type t. For a
// slice's backing array ([cap]elem) the path leads to the first element and
// its last step indexes an array long enough for the whole capacity.
func locate(o *object, a uintptr, t reflect.Type, slice bool) ([]int, error) {
	off := a - o.start
	if !slice {
		if p, ok := pathTo(o.t, off, t, nil); ok {
			return p, nil
		}
		return nil, fmt.Errorf("no %s at offset %d of %s", typeName(t), off, typeName(o.t))
	}
	p, ok := pathTo(o.t, off, t.Elem(), nil)
	if ok && len(p) > 0 {
		parent := o.t
		for _, s := range p[:len(p)-1] {
			if parent.Kind() == reflect.Struct {
				parent = parent.Field(s).Type
			} else {
				parent = parent.Elem()
			}
		}
		if parent.Kind() == reflect.Array && p[len(p)-1]+t.Len() <= parent.Len() {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no array of %s at offset %d of %s", typeName(t.Elem()), off, typeName(o.t))
}

func (e *encoder) find(a uintptr) *object {
	i := sort.Search(len(e.objs), func(i int) bool { return e.objs[i].end > a })
	if i < len(e.objs) && e.objs[i].start <= a {
		return e.objs[i]
	}
	return nil
}

func (e *encoder) typeID(t reflect.Type) int {
	if id, ok := e.types[t]; ok {
		return id
	}
	if e.s.names[t] == "" {
		// Only arrays (slice backing) and bidirectional channels are built
		// at restore time; their element type goes first.
		e.typeID(t.Elem())
	}
	id := len(e.tlist)
	e.types[t] = id
	e.tlist = append(e.tlist, t)
	return id
}

// ref writes a reference to the location a of type t: object id and path.
func (e *encoder) ref(p unsafe.Pointer, t reflect.Type, path *pathNode) error {
	return e.refKind(p, t, false, path)
}

func (e *encoder) refKind(p unsafe.Pointer, t reflect.Type, slice bool, path *pathNode) error {
	o := e.find(uintptr(p))
	if o == nil {
		return unsupported(path, t, "internal error: no object holds this address")
	}
	steps, err := locate(o, uintptr(p), t, slice)
	if err != nil {
		return unsupported(path, t, "%v", err)
	}
	if o.id < 0 {
		o.id = len(e.queue)
		e.queue = append(e.queue, o)
		e.typeID(o.t)
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(o.id))
	e.buf = binary.AppendUvarint(e.buf, uint64(len(steps)))
	for _, s := range steps {
		e.buf = binary.AppendUvarint(e.buf, uint64(s))
	}
	return nil
}

// value is the encoding pass: it writes the value at p of type t.
func (e *encoder) value(p unsafe.Pointer, t reflect.Type, path *pathNode) error {
	switch e.s.classify(t) {
	case bigInt:
		x := (*big.Int)(p)
		e.buf = append(e.buf, byte(x.Sign()+1))
		e.buf = appendBytes(e.buf, x.Bytes())
		return nil
	case mutex:
		return nil
	case protoMsg:
		b, err := e.protoM.Marshal(reflect.NewAt(t, p).Interface().(proto.Message))
		if err != nil {
			return unsupported(path, t, "protobuf: %v", err)
		}
		e.buf = appendBytes(e.buf, b)
		return nil
	case hooked:
		if isNil(reflect.NewAt(t, p).Elem()) {
			e.buf = append(e.buf, 0)
			return nil
		}
		n, err := e.s.hooks[t].Name(reflect.NewAt(t, p).Elem())
		if err != nil {
			return unsupported(path, t, "%v", err)
		}
		e.buf = append(e.buf, 1)
		e.buf = appendString(e.buf, n)
		return nil
	}
	v := reflect.NewAt(t, p).Elem()
	switch t.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = binary.AppendVarint(e.buf, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = binary.AppendUvarint(e.buf, v.Uint())
	// Floats are stored as raw bits so that NaN payloads survive.
	case reflect.Float32:
		e.buf = binary.AppendUvarint(e.buf, uint64(*(*uint32)(p)))
	case reflect.Float64:
		e.buf = binary.AppendUvarint(e.buf, *(*uint64)(p))
	case reflect.Complex64:
		e.buf = binary.AppendUvarint(e.buf, uint64(*(*uint32)(p)))
		e.buf = binary.AppendUvarint(e.buf, uint64(*(*uint32)(unsafe.Add(p, 4))))
	case reflect.Complex128:
		e.buf = binary.AppendUvarint(e.buf, *(*uint64)(p))
		e.buf = binary.AppendUvarint(e.buf, *(*uint64)(unsafe.Add(p, 8)))
	case reflect.String:
		e.buf = appendString(e.buf, v.String())
	case reflect.Func, reflect.Map, reflect.UnsafePointer:
		e.buf = append(e.buf, 0) // non-nil values were refused by walk
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			e.buf = append(e.buf, unsafe.Slice((*byte)(p), t.Len())...)
			return nil
		}
		et := t.Elem()
		for i := 0; i < t.Len(); i++ {
			if err := e.value(unsafe.Add(p, uintptr(i)*et.Size()), et, path); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if err := e.value(unsafe.Add(p, f.Offset), f.Type, path); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		switch {
		case v.IsNil():
			e.buf = append(e.buf, 0)
		case t.Elem().Size() == 0:
			e.buf = append(e.buf, 1)
		default:
			e.buf = append(e.buf, 2)
			return e.ref(v.UnsafePointer(), t.Elem(), path)
		}
	case reflect.Slice:
		switch {
		case v.IsNil():
			e.buf = append(e.buf, 0)
		case v.Cap() == 0 || t.Elem().Size() == 0:
			e.buf = append(e.buf, 1)
			e.buf = binary.AppendUvarint(e.buf, uint64(v.Len()))
			e.buf = binary.AppendUvarint(e.buf, uint64(v.Cap()))
		default:
			e.buf = append(e.buf, 2)
			e.buf = binary.AppendUvarint(e.buf, uint64(v.Len()))
			e.buf = binary.AppendUvarint(e.buf, uint64(v.Cap()))
			return e.refKind(v.UnsafePointer(), reflect.ArrayOf(v.Cap(), t.Elem()), true, path)
		}
	case reflect.Chan:
		if v.IsNil() {
			e.buf = append(e.buf, 0)
			return nil
		}
		k := uintptr(v.UnsafePointer())
		id, ok := e.chans[k]
		if !ok {
			id = len(e.clist)
			e.chans[k] = id
			e.clist = append(e.clist, v)
			e.typeID(reflect.ChanOf(reflect.BothDir, t.Elem()))
		}
		e.buf = append(e.buf, 1)
		e.buf = binary.AppendUvarint(e.buf, uint64(id))
	case reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, 0)
			return nil
		}
		d := v.Elem()
		if n, ok := e.s.externalName(d); ok {
			e.buf = append(e.buf, 1)
			e.buf = appendString(e.buf, n)
			return nil
		}
		e.buf = append(e.buf, 2)
		e.buf = binary.AppendUvarint(e.buf, uint64(e.typeID(d.Type())))
		return e.value(e.cell(d), d.Type(), path)
	default:
		return unsupported(path, t, "unknown kind %s", t.Kind())
	}
	return nil
}

func appendBytes(b, data []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

// isNil reports whether v is a nil pointer, slice, map, chan, func or
// interface; values of other kinds are never nil.
func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return v.IsNil()
	}
	return false
}
