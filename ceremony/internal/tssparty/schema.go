package tssparty

import (
	"crypto/elliptic"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsaresharing "github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsaresharing "github.com/bnb-chain/tss-lib/v2/eddsa/resharing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/coldsig/coldsig/internal/snapshot"
)

var (
	schemaOnce sync.Once
	theSchema  *snapshot.Schema
	copySchema *snapshot.Schema
	schemaErr  error
)

func partySchema() (*snapshot.Schema, error) {
	schemaOnce.Do(func() { theSchema, copySchema, schemaErr = buildSchemas() })
	return theSchema, schemaErr
}

// curveHook stores curves by name. tss.Edwards() returns a new object per
// call, so a curve is recognised by its type and parameters, and restored
// as the instance in tss-lib's registry.
var curveHook = snapshot.Hook{
	Name: func(v reflect.Value) (string, error) {
		c, ok := v.Interface().(elliptic.Curve)
		if !ok {
			return "", fmt.Errorf("%v is not a curve", v.Type())
		}
		n, ok := curveName(c)
		if !ok {
			return "", fmt.Errorf("unknown curve %v", v.Type())
		}
		return string(n), nil
	},
	Resolve: func(name string) (reflect.Value, error) {
		c, ok := tss.GetCurveByName(tss.CurveName(name))
		if !ok {
			return reflect.Value{}, fmt.Errorf("unknown curve %q", name)
		}
		return reflect.ValueOf(c), nil
	},
}

// roundTypes lists the concrete round types of every flow. They are
// unexported, so they are found by building throwaway parties and walking
// FirstRound().NextRound() to the end.
func roundTypes() ([]reflect.Type, error) {
	mk := func(keys ...int64) tss.SortedPartyIDs {
		var u tss.UnSortedPartyIDs
		for _, k := range keys {
			u = append(u, tss.NewPartyID(fmt.Sprint(k), "", big.NewInt(k)))
		}
		return tss.SortPartyIDs(u)
	}
	old, nw := mk(1, 2), mk(3, 4)
	oldCtx, newCtx := tss.NewPeerContext(old), tss.NewPeerContext(nw)
	out := make(chan tss.Message, 1)
	ecEnd := make(chan *ecdsakeygen.LocalPartySaveData, 1)
	edEnd := make(chan *eddsakeygen.LocalPartySaveData, 1)
	sigEnd := make(chan *common.SignatureData, 1)
	ecParams := tss.NewParameters(tss.S256(), oldCtx, old[0], 2, 1)
	edParams := tss.NewParameters(tss.Edwards(), oldCtx, old[0], 2, 1)
	ecKey := ecdsakeygen.NewLocalPartySaveData(2)
	edKey := eddsakeygen.NewLocalPartySaveData(2)
	for i, id := range old {
		ecKey.Ks[i], edKey.Ks[i] = id.KeyInt(), id.KeyInt()
	}
	ecRS := tss.NewReSharingParameters(tss.S256(), oldCtx, newCtx, nw[0], 2, 1, 2, 1)
	edRS := tss.NewReSharingParameters(tss.Edwards(), oldCtx, newCtx, nw[0], 2, 1, 2, 1)
	parties := []tss.Party{
		ecdsakeygen.NewLocalParty(ecParams, out, ecEnd),
		ecdsasigning.NewLocalParty(big.NewInt(1), ecParams, ecKey, out, sigEnd),
		ecdsaresharing.NewLocalParty(ecRS, ecdsakeygen.NewLocalPartySaveData(2), out, ecEnd),
		eddsakeygen.NewLocalParty(edParams, out, edEnd),
		eddsasigning.NewLocalParty(big.NewInt(1), edParams, edKey, out, sigEnd),
		eddsaresharing.NewLocalParty(edRS, eddsakeygen.NewLocalPartySaveData(2), out, edEnd),
	}
	var types []reflect.Type
	for _, p := range parties {
		n := 0
		for r := p.FirstRound(); r != nil; r = r.NextRound() {
			if n++; n > 32 {
				return nil, fmt.Errorf("tssparty: %T has more than 32 rounds", p)
			}
			types = append(types, reflect.TypeOf(r))
		}
	}
	return types, nil
}

func buildSchemas() (*snapshot.Schema, *snapshot.Schema, error) {
	s := snapshot.New()
	s.AddRoot(&Party{})
	s.AddRoot(&Batch{})
	for _, p := range []any{
		&ecdsakeygen.LocalParty{}, &ecdsasigning.LocalParty{}, &ecdsaresharing.LocalParty{},
		&eddsakeygen.LocalParty{}, &eddsasigning.LocalParty{}, &eddsaresharing.LocalParty{},
		&tss.MessageImpl{},
	} {
		s.AddConcrete(p)
	}
	rounds, err := roundTypes()
	if err != nil {
		return nil, nil, err
	}
	for _, t := range rounds {
		s.AddConcreteType(t)
	}
	// Message contents (tss.MessageContent) are tss-lib's protobuf types.
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		t := reflect.TypeOf(mt.Zero().Interface())
		if t.Kind() == reflect.Pointer && strings.HasPrefix(t.Elem().PkgPath(), "github.com/bnb-chain/tss-lib/v2/") {
			s.AddConcreteType(t)
		}
		return true
	})
	c := snapshot.New()
	c.AddRoot(&ecdsakeygen.LocalPartySaveData{})
	c.AddRoot(&eddsakeygen.LocalPartySaveData{})
	c.AddRoot(&ecdsakeygen.LocalPreParams{})
	for _, curve := range []tss.CurveName{tss.Secp256k1, tss.Ed25519} {
		ec, ok := tss.GetCurveByName(curve)
		if !ok {
			return nil, nil, fmt.Errorf("tssparty: curve %s not registered", curve)
		}
		s.AddHook(reflect.TypeOf(ec), curveHook)
		c.AddHook(reflect.TypeOf(ec), curveHook)
	}
	if err := s.Seal(); err != nil {
		return nil, nil, err
	}
	if err := c.Seal(); err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// deepCopy returns a copy of *v sharing no memory with it (curves and
// crypto/rand.Reader aside), with the sharing inside *v preserved.
func deepCopy[T any](v *T) (T, error) {
	var zero T
	if _, err := partySchema(); err != nil {
		return zero, err
	}
	b, err := copySchema.Encode(v)
	if err != nil {
		return zero, err
	}
	out, err := copySchema.Decode(b)
	if err != nil {
		return zero, err
	}
	return *out.(*T), nil
}

// CopyECDSAKey deep-copies ECDSA key data. tss-lib shares *big.Int values
// between a key passed by value and the party built from it; resharing
// round 5 zeroes Xi in place, which without a copy would destroy the
// caller's share.
func CopyECDSAKey(k ecdsakeygen.LocalPartySaveData) (ecdsakeygen.LocalPartySaveData, error) {
	return deepCopy(&k)
}

// CopyEdDSAKey is CopyECDSAKey for EdDSA key data.
func CopyEdDSAKey(k eddsakeygen.LocalPartySaveData) (eddsakeygen.LocalPartySaveData, error) {
	return deepCopy(&k)
}

// CopyPreParams deep-copies ECDSA pre-parameters.
func CopyPreParams(p ecdsakeygen.LocalPreParams) (ecdsakeygen.LocalPreParams, error) {
	return deepCopy(&p)
}
