// Package snapshot serialises a live Go object graph to bytes and restores
// an equivalent graph, for one purpose: to park a threshold-signature party
// between protocol rounds on disk and resume it in a fresh process.
//
// The party keeps its round state in unexported fields of unexported types,
// so the engine works with reflect and unsafe on the memory itself. It is
// deliberately strict: every value it meets must be of a kind it can restore
// faithfully, or the snapshot is refused with an error that names the type
// path. Nothing is silently skipped. See docs/state-engine.md for the design.
//
// The engine is generic: it knows Go (pointers, slices, arrays, structs,
// interfaces, channels, *big.Int, sync.Mutex, protobuf messages and
// crypto/rand.Reader) but nothing about tss-lib. The caller describes its
// graph in a Schema: the root types, the concrete types allowed behind
// interfaces, and hooks for values that must be re-attached rather than
// copied (elliptic curves).
package snapshot

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Magic starts every snapshot.
const Magic = "coldsig/snapshot/v1\n"

// ErrSchemaMismatch is matched (errors.Is) by the error Decode returns for a
// snapshot written by a build whose type layouts differ from this one.
var ErrSchemaMismatch = errors.New("snapshot written by a different coldsig build")

// ErrCorrupt is matched by every error about malformed snapshot bytes.
var ErrCorrupt = errors.New("corrupt snapshot")

// ErrUnsupported is matched by every error about a value the engine refuses
// to snapshot.
var ErrUnsupported = errors.New("value cannot be snapshotted")

// SchemaMismatchError reports a snapshot from another build.
type SchemaMismatchError struct {
	Want, Got [32]byte // this build's fingerprint, the snapshot's
}

func (e *SchemaMismatchError) Error() string {
	return fmt.Sprintf("%v (state layout %x, this binary %x): the ceremony state can only be "+
		"resumed by the exact coldsig binary that wrote it; finish the ceremony with that "+
		"binary, or abort the ceremony", ErrSchemaMismatch, e.Got[:8], e.Want[:8])
}

func (e *SchemaMismatchError) Unwrap() error { return ErrSchemaMismatch }

// UnsupportedError names the value the engine refused and why.
type UnsupportedError struct {
	Path   string // e.g. root.P.(*keygen.LocalParty).temp.ssid
	Type   string
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("snapshot: %s (%s): %s", e.Path, e.Type, e.Reason)
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// Hook re-attaches values of one type instead of copying them. Name maps a
// live value to a stable name and must fail for values it does not know;
// Resolve maps the name back to the value to use in the restored graph.
type Hook struct {
	Name    func(v reflect.Value) (string, error)
	Resolve func(name string) (reflect.Value, error)
}

type class int

const (
	plain class = iota
	bigInt
	protoMsg
	mutex
	hooked
)

// A Schema describes which graphs can be snapshotted. Build it once with
// New, the Add methods and Seal; after Seal it is read-only and safe for
// concurrent use.
type Schema struct {
	mu        sync.Mutex
	sealed    bool
	roots     map[reflect.Type]bool
	concrete  map[reflect.Type]bool
	hooks     map[reflect.Type]Hook
	byName    map[string]reflect.Type
	names     map[reflect.Type]string
	classes   map[reflect.Type]class
	layout    string
	fp        [32]byte
	extNames  []string // sorted
	externals map[string]any
}

// New returns an empty schema. crypto/rand.Reader is pre-registered as the
// only io.Reader that may appear in a graph.
func New() *Schema {
	s := &Schema{
		roots:     map[reflect.Type]bool{},
		concrete:  map[reflect.Type]bool{},
		hooks:     map[reflect.Type]Hook{},
		byName:    map[string]reflect.Type{},
		names:     map[reflect.Type]string{},
		classes:   map[reflect.Type]class{},
		externals: map[string]any{},
	}
	s.AddExternal("crypto/rand.Reader", rand.Reader)
	return s
}

func (s *Schema) mutable() {
	if s.sealed {
		panic("snapshot: schema modified after Seal")
	}
}

// AddRoot registers the type of v, a pointer to a struct, as a graph root.
func (s *Schema) AddRoot(v any) {
	s.mutable()
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("snapshot: root must be a pointer to a struct, got %v", t))
	}
	s.roots[t] = true
}

// AddConcrete allows the dynamic type of v to appear behind interfaces.
func (s *Schema) AddConcrete(v any) {
	s.mutable()
	t := reflect.TypeOf(v)
	if t == nil {
		panic("snapshot: AddConcrete(nil)")
	}
	s.concrete[t] = true
}

// AddConcreteType is AddConcrete for a reflect.Type.
func (s *Schema) AddConcreteType(t reflect.Type) {
	s.mutable()
	s.concrete[t] = true
}

// AddHook makes values of type t be stored by name (see Hook). Hooked types
// may also appear behind interfaces.
func (s *Schema) AddHook(t reflect.Type, h Hook) {
	s.mutable()
	s.hooks[t] = h
}

// AddExternal registers a process-wide value that is stored by name and
// recognised by interface equality (==). It is how crypto/rand.Reader, a
// struct value in Go 1.26, is re-attached rather than copied.
func (s *Schema) AddExternal(name string, v any) {
	s.mutable()
	if v == nil || !reflect.TypeOf(v).Comparable() {
		panic("snapshot: external values must be non-nil and comparable")
	}
	s.externals[name] = v
}

var (
	bigIntType  = reflect.TypeOf(big.Int{})
	mutexType   = reflect.TypeOf(sync.Mutex{})
	protoIface  = reflect.TypeOf((*proto.Message)(nil)).Elem()
	readerIface = reflect.TypeOf((*io.Reader)(nil)).Elem()
)

// isProto reports whether *t is a protobuf message in its own right. A
// struct that merely embeds a message pointer (tss.PartyID embeds
// *MessageWrapper_PartyID) also satisfies proto.Message, but encoding it as
// protobuf would drop its own fields; ProtoReflect().Interface() tells the
// two apart.
func isProto(t reflect.Type) (ok bool) {
	if t.Kind() != reflect.Struct || !reflect.PointerTo(t).Implements(protoIface) {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	m := reflect.New(t).Interface().(proto.Message)
	return reflect.TypeOf(m.ProtoReflect().Interface()) == reflect.PointerTo(t)
}

func (s *Schema) classify(t reflect.Type) class {
	if c, ok := s.classes[t]; ok {
		return c
	}
	switch {
	case s.hooks[t].Name != nil:
		return hooked
	case t == bigIntType:
		return bigInt
	case t == mutexType:
		return mutex
	case isProto(t):
		return protoMsg
	}
	return plain
}

// forbiddenPkg lists packages whose types hold runtime state that a copy
// cannot represent (wait groups, atomics, once, timers).
func forbiddenPkg(t reflect.Type) bool {
	switch t.PkgPath() {
	case "sync", "sync/atomic", "internal/sync", "runtime", "reflect", "os":
		return true
	}
	return false
}

// typeName is a stable, package-qualified name: keygen.round1 exists in the
// ECDSA and the EdDSA packages, so the short reflect name is not enough.
func typeName(t reflect.Type) string {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return t.Name()
		}
		return t.PkgPath() + "." + t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeName(t.Elem())
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), typeName(t.Elem()))
	case reflect.Map:
		return "map[" + typeName(t.Key()) + "]" + typeName(t.Elem())
	case reflect.Chan:
		switch t.ChanDir() {
		case reflect.SendDir:
			return "chan<- " + typeName(t.Elem())
		case reflect.RecvDir:
			return "<-chan " + typeName(t.Elem())
		}
		return "chan " + typeName(t.Elem())
	case reflect.Struct:
		var b strings.Builder
		b.WriteString("struct {")
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s %s", f.Name, typeName(f.Type))
		}
		b.WriteString(" }")
		return b.String()
	case reflect.Interface:
		var ms []string
		for i := 0; i < t.NumMethod(); i++ {
			ms = append(ms, t.Method(i).Name)
		}
		return "interface {" + strings.Join(ms, "; ") + "}"
	case reflect.Func:
		return t.String()
	}
	return t.String()
}

// Seal computes the type registry and the layout fingerprint. Two types
// with the same qualified name (function-local types can collide) make Seal
// fail rather than restore one as the other.
func (s *Schema) Seal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed {
		return nil
	}
	var visit func(t reflect.Type) error
	visit = func(t reflect.Type) error {
		if _, seen := s.names[t]; seen {
			return nil
		}
		n := typeName(t)
		if other, dup := s.byName[n]; dup && other != t {
			return fmt.Errorf("snapshot: two distinct types are named %s", n)
		}
		s.names[t] = n
		s.byName[n] = t
		c := s.classify(t)
		s.classes[t] = c
		if c != plain {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
			return visit(t.Elem())
		case reflect.Map:
			if err := visit(t.Key()); err != nil {
				return err
			}
			return visit(t.Elem())
		case reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				if err := visit(t.Field(i).Type); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var all []reflect.Type
	for t := range s.roots {
		all = append(all, t)
	}
	for t := range s.concrete {
		all = append(all, t)
	}
	for t := range s.hooks {
		all = append(all, t)
	}
	for _, t := range all {
		if err := visit(t); err != nil {
			return err
		}
	}
	for n := range s.externals {
		s.extNames = append(s.extNames, n)
	}
	sort.Strings(s.extNames)
	s.layout = s.describe()
	s.fp = sha256.Sum256([]byte(s.layout))
	s.sealed = true
	return nil
}

// describe renders every reachable type layout. The fingerprint is the
// SHA-256 of this text, so any change of Go version, architecture, field
// name, field type, offset or size changes it.
func (s *Schema) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "coldsig state layout v1\ngo %s\narch %s\nptrsize %d\n",
		runtime.Version(), runtime.GOARCH, reflect.TypeOf(uintptr(0)).Size())
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := s.byName[n]
		var tags []string
		if s.roots[t] {
			tags = append(tags, "root")
		}
		if s.concrete[t] {
			tags = append(tags, "concrete")
		}
		fmt.Fprintf(&b, "type %s kind=%s size=%d align=%d", n, t.Kind(), t.Size(), t.Align())
		if len(tags) > 0 {
			fmt.Fprintf(&b, " %s", strings.Join(tags, ","))
		}
		switch s.classes[t] {
		case hooked:
			b.WriteString(" hooked\n")
			continue
		case bigInt:
			b.WriteString(" bigint\n")
			continue
		case mutex:
			b.WriteString(" mutex\n")
			continue
		case protoMsg:
			d := reflect.New(t).Interface().(proto.Message).ProtoReflect().Descriptor()
			fmt.Fprintf(&b, " proto=%s\n", d.FullName())
			describeProto(&b, d)
			continue
		}
		switch t.Kind() {
		case reflect.Array:
			fmt.Fprintf(&b, " len=%d", t.Len())
		case reflect.Chan:
			fmt.Fprintf(&b, " dir=%d", t.ChanDir())
		}
		b.WriteString("\n")
		if t.Kind() == reflect.Struct {
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				emb := ""
				if f.Anonymous {
					emb = " embedded"
				}
				fmt.Fprintf(&b, "  field %s %s off=%d%s\n", f.Name, typeName(f.Type), f.Offset, emb)
			}
		}
	}
	for _, n := range s.extNames {
		fmt.Fprintf(&b, "external %s %s\n", n, typeName(reflect.TypeOf(s.externals[n])))
	}
	return b.String()
}

func describeProto(b *strings.Builder, d protoreflect.MessageDescriptor) {
	fs := d.Fields()
	for i := 0; i < fs.Len(); i++ {
		f := fs.Get(i)
		fmt.Fprintf(b, "  pfield %d %s %s %s", f.Number(), f.Name(), f.Cardinality(), f.Kind())
		if f.Message() != nil {
			fmt.Fprintf(b, " %s", f.Message().FullName())
		}
		b.WriteString("\n")
	}
}

// Fingerprint is the SHA-256 of Layout. It is written into every snapshot.
func (s *Schema) Fingerprint() [32]byte {
	s.mustSealed()
	return s.fp
}

// Layout is the human-readable description of every reachable type layout;
// tests keep it as a golden file.
func (s *Schema) Layout() string {
	s.mustSealed()
	return s.layout
}

func (s *Schema) mustSealed() {
	if !s.sealed {
		panic("snapshot: schema used before Seal")
	}
}

// externalName returns the name of a registered external equal to v.
func (s *Schema) externalName(v reflect.Value) (string, bool) {
	if !v.IsValid() || !v.Type().Comparable() {
		return "", false
	}
	iv := v.Interface()
	for _, n := range s.extNames {
		e := s.externals[n]
		if reflect.TypeOf(e) == v.Type() && e == iv {
			return n, true
		}
	}
	return "", false
}
