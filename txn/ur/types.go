package ur

import (
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Tagged content types: each registered with its tag, so that decoding
// requires the tag and encoding writes it.
type (
	uuidCBOR     []byte
	keypathTag   keypathCBOR
	coinInfoCBOR struct {
		Type    uint32 `cbor:"1,keyasint,omitempty"`
		Network int    `cbor:"2,keyasint,omitempty"`
	}
	hdKeyCBOR struct {
		KeyData           []byte        `cbor:"3,keyasint"`
		ChainCode         []byte        `cbor:"4,keyasint,omitempty"`
		UseInfo           *coinInfoCBOR `cbor:"5,keyasint,omitempty"`
		Origin            *keypathTag   `cbor:"6,keyasint,omitempty"`
		Children          *keypathTag   `cbor:"7,keyasint,omitempty"`
		ParentFingerprint uint32        `cbor:"8,keyasint,omitempty"`
		Name              string        `cbor:"9,keyasint,omitempty"`
		Note              string        `cbor:"10,keyasint,omitempty"`
	}
	// wpkhCBOR is wpkh(KEY) of BCR-2020-010: 404(303(hd-key)).
	wpkhCBOR hdKeyCBOR
)

func init() {
	tags := cbor.NewTagSet()
	opts := cbor.TagOptions{EncTag: cbor.EncTagRequired, DecTag: cbor.DecTagRequired}
	for _, r := range []struct {
		t   reflect.Type
		num []uint64
	}{
		{reflect.TypeOf(uuidCBOR{}), []uint64{tagUUID}},
		{reflect.TypeOf(keypathTag{}), []uint64{tagCryptoKeypath}},
		{reflect.TypeOf(coinInfoCBOR{}), []uint64{tagCoinInfo}},
		{reflect.TypeOf(wpkhCBOR{}), []uint64{tagWPKH, tagCryptoHDKey}},
	} {
		if err := tags.Add(opts, r.t, r.num[0], r.num[1:]...); err != nil {
			panic(err)
		}
	}
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncModeWithTags(tags); err != nil {
		panic(err)
	}
	do := decOptions()
	if decMode, err = do.DecModeWithTags(tags); err != nil {
		panic(err)
	}
}

// EthSignRequest is an EIP-4527 eth-sign-request.
type EthSignRequest struct {
	// RequestID is the 16-byte UUID the wallet matches the answer with
	// (nil if the request has none).
	RequestID []byte
	SignData  []byte
	DataType  EthDataType
	// ChainID defaults to 1 when the request leaves it out (EIP-4527).
	ChainID uint64
	Path    Keypath
	// Address is the signing key's address as the wallet believes it
	// (nil if absent): coldsig checks it.
	Address []byte
	Origin  string
}

// EthDataType is what an eth-sign-request's sign-data is.
type EthDataType int

// Data types of EIP-4527.
const (
	EthLegacyTx   EthDataType = 1 // RLP of an unsigned legacy transaction
	EthTypedData  EthDataType = 2 // EIP-712 JSON
	EthRawBytes   EthDataType = 3 // a personal_sign message
	EthTypedTx    EthDataType = 4 // EIP-2718 typed transaction, unsigned
	ethRequestMax             = 4
)

type ethSignRequestCBOR struct {
	RequestID uuidCBOR   `cbor:"1,keyasint,omitempty"`
	SignData  []byte     `cbor:"2,keyasint"`
	DataType  int        `cbor:"3,keyasint,omitempty"`
	ChainID   *uint64    `cbor:"4,keyasint,omitempty"`
	Path      keypathTag `cbor:"5,keyasint"`
	Address   []byte     `cbor:"6,keyasint,omitempty"`
	Origin    string     `cbor:"7,keyasint,omitempty"`
}

// ParseEthSignRequest decodes the CBOR message of an eth-sign-request.
func ParseEthSignRequest(msg []byte) (*EthSignRequest, error) {
	var c ethSignRequestCBOR
	if err := decode(msg, &c); err != nil {
		return nil, err
	}
	r := &EthSignRequest{SignData: c.SignData, DataType: EthDataType(c.DataType), ChainID: 1, Address: c.Address, Origin: c.Origin}
	if c.DataType == 0 {
		r.DataType = EthLegacyTx
	}
	if r.DataType < 1 || r.DataType > ethRequestMax {
		return nil, fmt.Errorf("%w: eth-sign-request data type %d (want 1 to 4)", ErrUR, c.DataType)
	}
	if c.ChainID != nil {
		r.ChainID = *c.ChainID
	}
	if c.RequestID != nil {
		if len(c.RequestID) != 16 {
			return nil, fmt.Errorf("%w: request id is %d bytes, a UUID is 16", ErrUR, len(c.RequestID))
		}
		r.RequestID = c.RequestID
	}
	if len(r.SignData) == 0 {
		return nil, fmt.Errorf("%w: eth-sign-request without sign data", ErrUR)
	}
	if r.Address != nil && len(r.Address) != 20 {
		return nil, fmt.Errorf("%w: address is %d bytes, want 20", ErrUR, len(r.Address))
	}
	k, err := keypathFrom(keypathCBOR(c.Path))
	if err != nil {
		return nil, err
	}
	if k.SourceFingerprint == 0 {
		return nil, fmt.Errorf("%w: the derivation path names no source fingerprint, so it cannot be matched to this key", ErrUR)
	}
	r.Path = *k
	return r, nil
}

// EncodeEthSignRequest is the inverse of ParseEthSignRequest (for tests
// and tools that act as the wallet).
func EncodeEthSignRequest(r *EthSignRequest) ([]byte, error) {
	c := ethSignRequestCBOR{RequestID: r.RequestID, SignData: r.SignData, DataType: int(r.DataType),
		Path: keypathTag(r.Path.cbor()), Address: r.Address, Origin: r.Origin}
	if r.ChainID != 0 {
		id := r.ChainID
		c.ChainID = &id
	}
	return encMode.Marshal(c)
}

// EthSignature is an EIP-4527 eth-signature: the answer to a request.
type EthSignature struct {
	RequestID []byte
	// Signature is r || s || v.
	Signature []byte
	Origin    string
}

type ethSignatureCBOR struct {
	RequestID uuidCBOR `cbor:"1,keyasint"`
	Signature []byte   `cbor:"2,keyasint"`
	Origin    string   `cbor:"3,keyasint,omitempty"`
}

// EncodeEthSignature is the CBOR message of an eth-signature.
func EncodeEthSignature(s *EthSignature) ([]byte, error) {
	if len(s.RequestID) != 16 {
		return nil, fmt.Errorf("eth-signature needs the request's 16-byte id")
	}
	return encMode.Marshal(ethSignatureCBOR{RequestID: s.RequestID, Signature: s.Signature, Origin: s.Origin})
}

// ParseEthSignature decodes an eth-signature (for tests and checks).
func ParseEthSignature(msg []byte) (*EthSignature, error) {
	var c ethSignatureCBOR
	if err := decode(msg, &c); err != nil {
		return nil, err
	}
	if len(c.RequestID) != 16 || len(c.Signature) < 65 {
		return nil, fmt.Errorf("%w: eth-signature needs a 16-byte request id and a signature of at least 65 bytes", ErrUR)
	}
	return &EthSignature{RequestID: c.RequestID, Signature: c.Signature, Origin: c.Origin}, nil
}

// HDKey is the public part of an extended key as crypto-hdkey carries it.
type HDKey struct {
	PublicKey []byte
	ChainCode [32]byte
	// Coin is the SLIP-44 coin type of the use-info (0 bitcoin, 60
	// ether); Testnet marks network 1.
	Coin    uint32
	Testnet bool
	// Origin is the path from the master to this key (empty for the
	// master itself) with the master's fingerprint; Children the path of
	// its children wallets derive ("0/*" as [0] plus Wildcard).
	Origin            Keypath
	Children          []uint32
	ChildrenWildcard  bool
	ParentFingerprint uint32
	Name              string
}

func (k *HDKey) cbor() (hdKeyCBOR, error) {
	if len(k.PublicKey) != 33 {
		return hdKeyCBOR{}, fmt.Errorf("crypto-hdkey: key data must be a 33-byte compressed key")
	}
	c := hdKeyCBOR{KeyData: k.PublicKey, ChainCode: k.ChainCode[:], ParentFingerprint: k.ParentFingerprint, Name: k.Name}
	if k.Coin != 0 || k.Testnet {
		c.UseInfo = &coinInfoCBOR{Type: k.Coin}
		if k.Testnet {
			c.UseInfo.Network = 1
		}
	}
	o := keypathTag(k.Origin.cbor())
	c.Origin = &o
	if k.Children != nil || k.ChildrenWildcard {
		ch := keypathCBOR{Components: []cbor.RawMessage{}}
		for _, x := range k.Children {
			idx, _ := encMode.Marshal(x)
			f, _ := encMode.Marshal(false)
			ch.Components = append(ch.Components, idx, f)
		}
		if k.ChildrenWildcard {
			w, _ := encMode.Marshal([]int{})
			f, _ := encMode.Marshal(false)
			ch.Components = append(ch.Components, w, f)
		}
		t := keypathTag(ch)
		c.Children = &t
	}
	return c, nil
}

// EncodeHDKey is the CBOR message of ur:crypto-hdkey.
func EncodeHDKey(k *HDKey) ([]byte, error) {
	c, err := k.cbor()
	if err != nil {
		return nil, err
	}
	return encMode.Marshal(c)
}

// ParseHDKey decodes a crypto-hdkey message (public keys only).
func ParseHDKey(msg []byte) (*HDKey, error) {
	var c hdKeyCBOR
	if err := decode(msg, &c); err != nil {
		return nil, err
	}
	if len(c.KeyData) != 33 || (c.ChainCode != nil && len(c.ChainCode) != 32) {
		return nil, fmt.Errorf("%w: crypto-hdkey key data must be 33 bytes and its chain code 32", ErrUR)
	}
	k := &HDKey{PublicKey: c.KeyData, ParentFingerprint: c.ParentFingerprint, Name: c.Name}
	copy(k.ChainCode[:], c.ChainCode)
	if c.UseInfo != nil {
		k.Coin, k.Testnet = c.UseInfo.Type, c.UseInfo.Network == 1
	}
	if c.Origin != nil {
		o, err := keypathFrom(keypathCBOR(*c.Origin))
		if err != nil {
			return nil, err
		}
		k.Origin = *o
	}
	return k, nil
}

// EncodeAccount is the CBOR message of ur:crypto-account with one output
// descriptor, wpkh(key): the form Sparrow and other wallets import.
func EncodeAccount(masterFingerprint uint32, key *HDKey) ([]byte, error) {
	c, err := key.cbor()
	if err != nil {
		return nil, err
	}
	type account struct {
		MasterFingerprint uint32     `cbor:"1,keyasint"`
		Outputs           []wpkhCBOR `cbor:"2,keyasint"`
	}
	return encMode.Marshal(account{MasterFingerprint: masterFingerprint, Outputs: []wpkhCBOR{wpkhCBOR(c)}})
}

// Fingerprint reads a 4-byte BIP32 fingerprint as the uint32 CBOR
// carries (big-endian: d34db33f is 0xd34db33f).
func Fingerprint(fp [4]byte) uint32 { return binary.BigEndian.Uint32(fp[:]) }

// ParseAccount decodes a crypto-account message whose outputs are all
// wpkh(key) (what EncodeAccount writes).
func ParseAccount(msg []byte) (masterFingerprint uint32, keys []*HDKey, err error) {
	var c struct {
		MasterFingerprint uint32     `cbor:"1,keyasint"`
		Outputs           []wpkhCBOR `cbor:"2,keyasint"`
	}
	if err := decode(msg, &c); err != nil {
		return 0, nil, err
	}
	for _, o := range c.Outputs {
		b, err := encMode.Marshal(hdKeyCBOR(o))
		if err != nil {
			return 0, nil, err
		}
		k, err := ParseHDKey(b)
		if err != nil {
			return 0, nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return 0, nil, fmt.Errorf("%w: crypto-account without outputs", ErrUR)
	}
	return c.MasterFingerprint, keys, nil
}
