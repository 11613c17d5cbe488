package eth

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/coldsig/coldsig/internal/strictjson"
)

// MaxTypedData bounds EIP-712 JSON in bytes; a plan carries it whole.
const MaxTypedData = 64 << 10

// maxDepth bounds the nesting of typed data structs and arrays.
const maxDepth = 16

// ErrTypedData: not EIP-712 typed data coldsig can hash and show.
var ErrTypedData = errors.New("invalid EIP-712 typed data")

// TypedData is EIP-712 typed data as the plan binds it.
type TypedData struct {
	Data apitypes.TypedData
	// Hash is keccak256("\x19\x01" || domainSeparator || hashStruct(message)),
	// computed by go-ethereum's apitypes.TypedDataAndHash.
	Hash [32]byte
}

// typedJSON mirrors apitypes.TypedData; it is decoded with numbers kept
// exact (json.Number), which encoding/json would otherwise turn into
// float64 and round.
type typedJSON struct {
	Types       apitypes.Types           `json:"types"`
	PrimaryType string                   `json:"primaryType"`
	Domain      apitypes.TypedDataDomain `json:"domain"`
	Message     map[string]any           `json:"message"`
}

// ParseTypedData reads EIP-712 JSON (what eth_signTypedData_v4 takes).
// Duplicate keys, unknown top-level or domain fields, message fields the
// types do not declare, and numbers that are not integers are refused, so
// that what officers see is exactly what is hashed.
func ParseTypedData(raw []byte) (*TypedData, error) {
	if len(raw) > MaxTypedData {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTypedData, len(raw), MaxTypedData)
	}
	if err := strictjson.CheckDuplicates(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTypedData, err)
	}
	var j typedJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTypedData, err)
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("%w: text after the JSON object", ErrTypedData)
	}
	switch {
	case j.PrimaryType == "":
		return nil, fmt.Errorf("%w: no primaryType", ErrTypedData)
	case j.PrimaryType == "EIP712Domain":
		return nil, fmt.Errorf("%w: the primary type is the domain itself", ErrTypedData)
	case j.Types[j.PrimaryType] == nil:
		return nil, fmt.Errorf("%w: primary type %q is not among the types", ErrTypedData, j.PrimaryType)
	case j.Types["EIP712Domain"] == nil:
		return nil, fmt.Errorf("%w: no EIP712Domain type", ErrTypedData)
	case j.Message == nil:
		return nil, fmt.Errorf("%w: no message", ErrTypedData)
	}
	if err := checkTypes(j.Types, &j.Domain); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTypedData, err)
	}
	msg, err := exactNumbers(j.Types, j.PrimaryType, j.Message, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: message: %v", ErrTypedData, err)
	}
	td := &TypedData{Data: apitypes.TypedData{Types: j.Types, PrimaryType: j.PrimaryType, Domain: j.Domain, Message: msg.(map[string]any)}}
	h, _, err := apitypes.TypedDataAndHash(td.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTypedData, err)
	}
	copy(td.Hash[:], h)
	if _, err := td.fields(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTypedData, err)
	}
	return td, nil
}

// domainTypes are the EIP712Domain members EIP-712 defines, with their
// types.
var domainTypes = map[string]string{
	"name": "string", "version": "string", "chainId": "uint256", "verifyingContract": "address", "salt": "bytes32",
}

// checkTypes makes what officers see exactly what is hashed. go-ethereum
// hashes a struct by its type's field list, looking each name up in the
// data, and only compares the counts: a type may name a field twice (and
// hash it twice) while a member it never names goes unhashed yet is shown
// and checked (a domain "name, name, verifyingContract" beside a chainId).
// So no type may name a field twice or leave one unnamed, and the
// EIP712Domain type must declare exactly the domain members present (as
// go-ethereum's TypedDataDomain.Map sees them: non-empty), each with its
// EIP-712 type.
func checkTypes(types apitypes.Types, d *apitypes.TypedDataDomain) error {
	names := make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	sort.Strings(names) // the same error for the same document
	for _, name := range names {
		seen := map[string]bool{}
		for _, f := range types[name] {
			switch {
			case f.Name == "":
				return fmt.Errorf("type %s has a field without a name", name)
			case seen[f.Name]:
				return fmt.Errorf("type %s declares %q twice", name, f.Name)
			}
			seen[f.Name] = true
		}
	}
	present := d.Map()
	declared := map[string]bool{}
	for _, f := range types["EIP712Domain"] {
		want, ok := domainTypes[f.Name]
		switch {
		case !ok:
			return fmt.Errorf("EIP712Domain field %q is not an EIP-712 domain member (name, version, chainId, verifyingContract, salt)", f.Name)
		case f.Type != want:
			return fmt.Errorf("EIP712Domain field %s must be %s, not %s", f.Name, want, f.Type)
		case present[f.Name] == nil:
			return fmt.Errorf("EIP712Domain declares %s, which the domain does not have", f.Name)
		}
		declared[f.Name] = true
	}
	for _, m := range []string{"name", "version", "chainId", "verifyingContract", "salt"} {
		if present[m] != nil && !declared[m] {
			return fmt.Errorf("the domain has %s, which its EIP712Domain type does not declare (it would be shown but not signed)", m)
		}
	}
	return nil
}

// exactNumbers walks v as type typ and turns JSON numbers of integer
// fields into big.Int (exact); a number anywhere else is an error.
func exactNumbers(types apitypes.Types, typ string, v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels", maxDepth)
	}
	if base, ok := strings.CutSuffix(typ, "]"); ok {
		i := strings.LastIndexByte(base, '[')
		if i < 0 {
			return nil, fmt.Errorf("bad array type %q", typ)
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("a %s is not an array", typ)
		}
		out := make([]any, len(arr))
		for k, e := range arr {
			x, err := exactNumbers(types, base[:i], e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	if fields, ok := types[typ]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("a %s is not an object", typ)
		}
		declared := map[string]bool{}
		out := make(map[string]any, len(m))
		for _, f := range fields {
			declared[f.Name] = true
			e, present := m[f.Name]
			if !present {
				return nil, fmt.Errorf("%s.%s is missing", typ, f.Name)
			}
			x, err := exactNumbers(types, f.Type, e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %v", typ, f.Name, err)
			}
			out[f.Name] = x
		}
		for k := range m {
			if !declared[k] {
				return nil, fmt.Errorf("%s has a field %q its type does not declare (it would not be signed)", typ, k)
			}
		}
		return out, nil
	}
	if n, ok := v.(json.Number); ok {
		if !strings.HasPrefix(typ, "uint") && !strings.HasPrefix(typ, "int") {
			return nil, fmt.Errorf("a number where a %s is expected", typ)
		}
		b, ok := new(big.Int).SetString(n.String(), 10)
		if !ok {
			return nil, fmt.Errorf("%s is not an integer", n)
		}
		return b, nil
	}
	return v, nil
}

// CheckChain refuses typed data whose domain names no chain or another
// chain than want: a signature without a chain id in its domain can be
// replayed on every chain where the contract exists.
func (td *TypedData) CheckChain(want uint64) error {
	got := (*big.Int)(td.Data.Domain.ChainId)
	if got == nil {
		return fmt.Errorf("%w: the EIP-712 domain has no chainId, so the signature would be valid on every chain", ErrChainID)
	}
	if !got.IsUint64() || got.Uint64() != want {
		return fmt.Errorf("%w: the typed data's domain is for chain %s (%s), the plan expects chain %d (%s)", ErrChainID, got, ChainName(got), want, ChainName(new(big.Int).SetUint64(want)))
	}
	return nil
}

// Describe is what officers see of the typed data: the domain, the
// primary type and every message field in type order, with warnings.
func (td *TypedData) Describe(signer common.Address) (fields []Field, warnings []string) {
	d := td.Data.Domain
	fields = append(fields, Field{"signer", signer.Hex()})
	if d.Name != "" {
		fields = append(fields, Field{"domain name", d.Name})
	}
	if d.Version != "" {
		fields = append(fields, Field{"domain version", d.Version})
	}
	if d.ChainId != nil {
		id := (*big.Int)(d.ChainId)
		fields = append(fields, Field{"chain id", fmt.Sprintf("%s (%s)", id, ChainName(id))})
	}
	if d.VerifyingContract != "" {
		fields = append(fields, Field{"contract", addressText(d.VerifyingContract)})
	}
	if d.Salt != "" {
		fields = append(fields, Field{"domain salt", d.Salt})
	}
	fields = append(fields, Field{"primary type", td.Data.PrimaryType})
	msg, _ := td.fields() // checked by ParseTypedData
	fields = append(fields, msg...)
	fields = append(fields, Field{"signing hash", fmt.Sprintf("%x", td.Hash)})
	if strings.Contains(strings.ToLower(td.Data.PrimaryType), "permit") {
		warnings = append(warnings, "a permit lets its spender move this key's tokens later without another signature")
	}
	return fields, warnings
}

// fields lists the message's values in type order, as "message.a.b".
func (td *TypedData) fields() ([]Field, error) {
	var out []Field
	err := walk(td.Data.Types, td.Data.PrimaryType, td.Data.Message, "message", 0, &out)
	return out, err
}

func walk(types apitypes.Types, typ string, v any, label string, depth int, out *[]Field) error {
	if depth > maxDepth {
		return fmt.Errorf("nested more than %d levels", maxDepth)
	}
	if base, ok := strings.CutSuffix(typ, "]"); ok {
		i := strings.LastIndexByte(base, '[')
		arr, _ := v.([]any)
		if len(arr) == 0 {
			*out = append(*out, Field{label, "[] (empty)"})
		}
		for k, e := range arr {
			if err := walk(types, base[:i], e, fmt.Sprintf("%s[%d]", label, k), depth+1, out); err != nil {
				return err
			}
		}
		return nil
	}
	if fields, ok := types[typ]; ok {
		m, _ := v.(map[string]any)
		for _, f := range fields {
			if err := walk(types, f.Type, m[f.Name], label+"."+f.Name, depth+1, out); err != nil {
				return err
			}
		}
		return nil
	}
	s, err := primitiveText(typ, v)
	if err != nil {
		return fmt.Errorf("%s: %v", label, err)
	}
	*out = append(*out, Field{label, s})
	return nil
}

// primitiveText shows a value the way it is hashed: addresses
// checksummed, integers in decimal, bytes in hex, strings as they are.
func primitiveText(typ string, v any) (string, error) {
	switch {
	case typ == "address":
		s, ok := v.(string)
		if !ok || !common.IsHexAddress(s) {
			return "", fmt.Errorf("%v is not an address", v)
		}
		return addressText(s), nil
	case typ == "bool":
		b, ok := v.(bool)
		if !ok {
			return "", fmt.Errorf("%v is not a bool", v)
		}
		return fmt.Sprint(b), nil
	case typ == "string":
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%v is not a string", v)
		}
		if len(s) > maxTypedValueShown {
			return fmt.Sprintf("a string of %d bytes, too long to show: keccak256 %x (the value EIP-712 hashes), starting %q", len(s), crypto.Keccak256([]byte(s)), clipRunes(s, 48)), nil
		}
		return fmt.Sprintf("%q", s), nil
	case strings.HasPrefix(typ, "bytes"):
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%v is not hex bytes", v)
		}
		b, err := hexutil.Decode(s)
		if err != nil {
			return "", err
		}
		if len(b) > maxTypedValueShown/2 {
			return fmt.Sprintf("%d bytes, too long to show: keccak256 %x (the value EIP-712 hashes), starting 0x%x", len(b), crypto.Keccak256(b), b[:32]), nil
		}
		return "0x" + hex.EncodeToString(b), nil
	case strings.HasPrefix(typ, "uint") || strings.HasPrefix(typ, "int"):
		switch n := v.(type) {
		case *big.Int:
			return n.String(), nil
		case string:
			// The parser go-ethereum hashes with (decimal or 0x hex).
			b, ok := math.ParseBig256(n)
			if !ok {
				return "", fmt.Errorf("%q is not an integer", n)
			}
			return b.String(), nil
		}
		return "", fmt.Errorf("%v is not an integer", v)
	}
	return "", fmt.Errorf("unknown type %q", typ)
}

// maxTypedValueShown bounds a string (in bytes) shown in full, and twice
// the bytes value shown in full as hex (as for call data); a longer one is
// shown by its length and keccak256, which is what EIP-712 hashes for a
// string or dynamic bytes value, so officers can compare it aloud.
const maxTypedValueShown = 1024

// clipRunes is the start of s, at most n runes.
func clipRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func addressText(s string) string {
	if !common.IsHexAddress(s) {
		return s + " (not an address)"
	}
	return common.HexToAddress(s).Hex()
}

// SignTyped turns the ceremony's (r, s) over the typed data hash into
// the 65-byte signature eth_signTypedData returns (r || s || v, v = 27 or
// 28), checked by recovering pub's address.
func (td *TypedData) SignTyped(r, s, pub []byte) ([]byte, error) {
	sig, err := RecoverableSig(td.Hash, r, s, pub)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}
