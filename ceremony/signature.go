package ceremony

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/coldsig/coldsig/ceremony/internal/statestore"
	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/strictjson"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
	"github.com/coldsig/coldsig/txn"
)

// SignatureFormat is the magic value of signature.json's "format" member.
// SignatureFormatV2 adds what v1 cannot say: the item of a batch (item,
// items) and a signature by a child key (path, child_public_key). A
// signature with neither is written as v1, byte for byte as before.
const (
	SignatureFormat   = "coldsig/signature/v1"
	SignatureFormatV2 = "coldsig/signature/v2"
)

// SignatureFile is signature.json, identical on every signer.
type SignatureFile struct {
	Format    string `json:"format"`
	Curve     string `json:"curve"`
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
	// Path is the BIP32 derivation path of the child key that signed
	// (v2; absent when the key itself signed), and ChildPublicKey that
	// child key (compressed), which the signature verifies under.
	Path           string `json:"path,omitempty"`
	ChildPublicKey string `json:"child_public_key,omitempty"`
	// Item is this signature's 1-based index in a batch of Items
	// signatures made in the same ceremony (v2; absent for one).
	Item  int `json:"item,omitempty"`
	Items int `json:"items,omitempty"`
	// Payload says what was signed, as the plan showed the officers.
	Payload SignedPayload `json:"payload"`
	// Digest is the 32 bytes an ECDSA signature signs (secp256k1).
	Digest string `json:"digest,omitempty"`
	// Message is the exact byte string an Ed25519 signature signs, hex.
	Message string `json:"message,omitempty"`
	// ECDSA: r and s (low-S) as 32-byte hex, v the recovery id (0/1), der
	// the DER encoding, eth_signature r||s||v+27, eth_address the signer
	// (the child key's address when a child key signed).
	R            string `json:"r,omitempty"`
	S            string `json:"s,omitempty"`
	V            *int   `json:"v,omitempty"`
	DER          string `json:"der,omitempty"`
	EthSignature string `json:"eth_signature,omitempty"`
	EthAddress   string `json:"eth_address,omitempty"`
	// Signature is the 64-byte RFC 8032 signature R||S (ed25519).
	Signature string `json:"signature,omitempty"`
	// Committee is the session of the keygen or reshare whose shares
	// signed: it tells which committee of the key produced the signature
	// (share retire uses it as proof that a new committee works).
	Committee string `json:"committee"`
	// Session and Transcript identify the signing ceremony.
	Session    string `json:"session"`
	Transcript string `json:"transcript"`
}

// SignedPayload describes the payload in signature.json.
type SignedPayload struct {
	Kind string `json:"kind"`
	// Text is the message of an eip191 or message payload.
	Text string `json:"text,omitempty"`
	// File and FileSHA256 describe a file payload.
	File       string `json:"file,omitempty"`
	FileSize   uint64 `json:"file_size,omitempty"`
	FileSHA256 string `json:"file_sha256,omitempty"`
}

func describePayload(p *plan.Payload) SignedPayload {
	sp := SignedPayload{Kind: string(p.Kind)}
	switch p.Kind {
	case plan.PayloadEIP191, plan.PayloadMessage:
		sp.Text = string(p.Message)
	case plan.PayloadFile:
		sp.File, sp.FileSize, sp.FileSHA256 = p.FileName, p.FileSize, hex.EncodeToString(p.Digest[:])
	}
	return sp
}

// SignatureName is the result file of item i (0-based) of a signing with n
// items: signature.json for one, signature-01.json ... for a batch.
func SignatureName(i, n int) string {
	if n == 1 {
		return "signature.json"
	}
	return fmt.Sprintf("signature-%02d.json", i+1)
}

// buildSignature makes item i's signature.json from tss-lib's result and
// checks it independently of tss-lib before anything is written.
func buildSignature(p *plan.Plan, i int, rBytes, sBytes []byte, session, transcript [32]byte) (*SignatureFile, error) {
	it := p.Items[i]
	sf := &SignatureFile{
		Format: SignatureFormat, Curve: p.Curve,
		KeyID: hex.EncodeToString(p.Key.ID[:]), PublicKey: hex.EncodeToString(p.Key.PublicKey),
		Payload:   describePayload(it.Payload),
		Committee: hex.EncodeToString(p.Key.Session[:]),
		Session:   hex.EncodeToString(session[:]), Transcript: hex.EncodeToString(transcript[:]),
	}
	signer, _, err := p.SigningKey(i)
	if err != nil {
		return nil, err
	}
	if it.Path != nil {
		sf.Path, sf.ChildPublicKey = it.Path.String(), hex.EncodeToString(signer)
	}
	if len(p.Items) > 1 {
		sf.Item, sf.Items = i+1, len(p.Items)
	}
	if sf.Path != "" || sf.Items > 1 {
		sf.Format = SignatureFormatV2
	}
	msg := p.SignedBytes(i)
	switch p.Curve {
	case keyshare.CurveSecp256k1:
		if len(msg) != 32 || len(rBytes) != 32 || len(sBytes) != 32 {
			return nil, errors.New("ECDSA signature or digest has the wrong length")
		}
		s := new(big.Int).SetBytes(sBytes)
		halfN := new(big.Int).Rsh(btcec.S256().N, 1)
		if s.Cmp(halfN) > 0 {
			return nil, errors.New("tss-lib returned a high-S signature")
		}
		sf.Digest = hex.EncodeToString(msg)
		sf.R, sf.S = hex.EncodeToString(rBytes), hex.EncodeToString(sBytes)
		var rs, ss btcec.ModNScalar
		rs.SetByteSlice(rBytes)
		ss.SetByteSlice(sBytes)
		sf.DER = hex.EncodeToString(btcecdsa.NewSignature(&rs, &ss).Serialize())
		// The recovery id is found by recovery itself, not taken from
		// tss-lib, so that eth_signature is right by construction.
		v := -1
		for id := 0; id < 2; id++ {
			compact := append([]byte{byte(27 + 4 + id)}, append(append([]byte{}, rBytes...), sBytes...)...)
			pub, _, err := btcecdsa.RecoverCompact(compact, msg)
			if err == nil && bytes.Equal(pub.SerializeCompressed(), signer) {
				v = id
				break
			}
		}
		if v < 0 {
			return nil, errors.New("the signature does not recover to the key's public key")
		}
		sf.V = &v
		sf.EthSignature = hex.EncodeToString(append(append(append([]byte{}, rBytes...), sBytes...), byte(v+27)))
		addr, err := keyshare.EthAddress(signer)
		if err != nil {
			return nil, err
		}
		sf.EthAddress = addr
	case keyshare.CurveEd25519:
		if len(rBytes) != 32 || len(sBytes) != 32 {
			return nil, errors.New("Ed25519 signature has the wrong length")
		}
		sf.Message = hex.EncodeToString(msg)
		// tss-lib returns R and S big-endian; RFC 8032 encodes both
		// little-endian.
		sig := append(reverse(rBytes), reverse(sBytes)...)
		sf.Signature = hex.EncodeToString(sig)
	default:
		return nil, fmt.Errorf("unknown curve %q", p.Curve)
	}
	if err := sf.verifyForPlan(p, i); err != nil {
		return nil, fmt.Errorf("refusing to write a signature that does not verify: %w", err)
	}
	return sf, nil
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// ErrBadSignature means a signature file does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// Verify checks the signature as the key's: pub is the key's public.json.
// A signature by the key itself may be checked without it (pub nil): the
// key id and address are then recomputed from the file's own public_key.
// A signature by a child key (path) never verifies without pub: the child
// is always derived from pub's xpub (public key and chain code) at the
// path and compared, since the file's child_public_key alone could be
// anyone's key. ECDSA is checked with crypto/ecdsa and by Ethereum-style
// recovery; Ed25519 with crypto/ed25519.
func (sf *SignatureFile) Verify(pub *keyshare.Public) error {
	if err := sf.checkFormat(); err != nil {
		return err
	}
	if pub == nil {
		if sf.Path != "" {
			return fmt.Errorf("%w: signed by the child key at %s of key %s, which can be checked only against the key's public.json (its xpub derives the child)", ErrBadSignature, sf.Path, sf.KeyID)
		}
		pk, err := hex.DecodeString(sf.PublicKey)
		if err != nil || hex.EncodeToString(pk) != sf.PublicKey {
			return fmt.Errorf("%w: public_key is not lowercase hex", ErrBadSignature)
		}
		return sf.verifyUnder(sf.Curve, pk, nil)
	}
	if pub.Curve != sf.Curve || pub.PublicKey != sf.PublicKey || pub.KeyID != sf.KeyID {
		return fmt.Errorf("%w: signed by key %s, not by key %s", ErrBadSignature, sf.KeyID, pub.KeyID)
	}
	pk, err := hex.DecodeString(pub.PublicKey)
	if err != nil {
		return fmt.Errorf("%w: the public key file's public_key is not hex", ErrBadSignature)
	}
	acct := pub.Account()
	if sf.Path != "" && acct == nil {
		return fmt.Errorf("%w: signed by the child %s of key %s, but the public key file has no xpub to derive it from", ErrBadSignature, sf.Path, sf.KeyID)
	}
	return sf.verifyUnder(pub.Curve, pk, acct)
}

// verifyForPlan checks item i's signature of a signing as made by the
// plan's key: the key, or its child at the item's path derived from the
// plan's chain code, never the file's own word for either.
func (sf *SignatureFile) verifyForPlan(p *plan.Plan, i int) error {
	if err := sf.checkFormat(); err != nil {
		return err
	}
	if i < 0 || i >= len(p.Items) {
		return fmt.Errorf("%w: no item %d in the plan", ErrBadSignature, i+1)
	}
	if want := pathText(p.Items[i].Path); sf.Path != want {
		return fmt.Errorf("%w: signed by the key at path %q, the plan signs item %d at %q", ErrBadSignature, sf.Path, i+1, want)
	}
	return sf.verifyUnder(p.Curve, p.Key.PublicKey, p.Key.Account())
}

func pathText(p hd.Path) string {
	if p == nil {
		return ""
	}
	return p.String()
}

// verifyUnder checks the signature as one by the key (curve, pk), or by
// its child at sf.Path derived from acct (the key's xpub). pk comes from
// the caller, never from the file: the file's public_key and key_id must
// be exactly pk's.
func (sf *SignatureFile) verifyUnder(curve string, pk []byte, acct *hd.Key) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadSignature, fmt.Sprintf(format, args...))
	}
	if sf.Curve != curve || sf.PublicKey != hex.EncodeToString(pk) {
		return bad("signed by key %s, not by key %s", sf.KeyID, keyshare.KeyID(curve, pk))
	}
	// A small-order Ed25519 key "verifies" forged signatures; and key_id is
	// recomputed, never taken from the file, since nothing in it is signed.
	if err := keyshare.CheckPublicKey(sf.Curve, pk); err != nil {
		return bad("public_key: %v", err)
	}
	if id := keyshare.KeyID(sf.Curve, pk); sf.KeyID != id {
		return bad("key_id %s is not the key id of public_key (%s)", sf.KeyID, id)
	}
	if sf.Path != "" {
		// The signature is the child key's: the child is derived from the
		// key's xpub, never taken from the file.
		if acct == nil {
			return bad("signed by the child %s of key %s, but there is no chain code to derive it from", sf.Path, sf.KeyID)
		}
		if !bytes.Equal(acct.PublicKey, pk) {
			return bad("the xpub is not of key %s", sf.KeyID)
		}
		child, err := hex.DecodeString(sf.ChildPublicKey)
		if err != nil || len(child) != 33 {
			return bad("child_public_key must be 33 bytes of hex")
		}
		path, err := hd.ParsePath(sf.Path)
		if err != nil {
			return bad("path: %v", err)
		}
		c, _, err := acct.Derive(path)
		if err != nil {
			return bad("path %s: %v", sf.Path, err)
		}
		if !bytes.Equal(c.PublicKey, child) {
			return bad("child_public_key is not the key's child at %s", sf.Path)
		}
		pk = c.PublicKey
	}
	if c, err := hex.DecodeString(sf.Committee); err != nil || len(c) != 32 {
		return bad("committee must be 32 bytes of hex")
	}
	if err := sf.checkPayload(); err != nil {
		return bad("%v", err)
	}
	switch sf.Curve {
	case keyshare.CurveSecp256k1:
		digest, err1 := hex.DecodeString(sf.Digest)
		r, err2 := hex.DecodeString(sf.R)
		s, err3 := hex.DecodeString(sf.S)
		if err1 != nil || err2 != nil || err3 != nil || len(digest) != 32 || len(r) != 32 || len(s) != 32 {
			return bad("digest, r and s must be 32 bytes of hex each")
		}
		key, err := btcec.ParsePubKey(pk)
		if err != nil {
			return bad("public key: %v", err)
		}
		ecKey := &ecdsa.PublicKey{Curve: btcec.S256(), X: key.X(), Y: key.Y()}
		rs, ss := new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)
		if !ecdsa.Verify(ecKey, digest, rs, ss) {
			return bad("ECDSA verification failed")
		}
		if ss.Cmp(new(big.Int).Rsh(btcec.S256().N, 1)) > 0 {
			return bad("s is not low-S")
		}
		if sf.V == nil || (*sf.V != 0 && *sf.V != 1) {
			return bad("v must be 0 or 1")
		}
		compact := append([]byte{byte(27 + 4 + *sf.V)}, append(append([]byte{}, r...), s...)...)
		rec, _, err := btcecdsa.RecoverCompact(compact, digest)
		if err != nil || !bytes.Equal(rec.SerializeCompressed(), pk) {
			return bad("v does not recover the public key")
		}
		want := hex.EncodeToString(append(append(append([]byte{}, r...), s...), byte(*sf.V+27)))
		if sf.EthSignature != want {
			return bad("eth_signature is not r||s||v+27")
		}
		addr, err := keyshare.EthAddress(pk)
		if err != nil || addr != sf.EthAddress {
			return bad("eth_address does not match the public key")
		}
		var rsc, ssc btcec.ModNScalar
		rsc.SetByteSlice(r)
		ssc.SetByteSlice(s)
		if hex.EncodeToString(btcecdsa.NewSignature(&rsc, &ssc).Serialize()) != sf.DER {
			return bad("der does not encode r and s")
		}
	case keyshare.CurveEd25519:
		msg, err1 := hex.DecodeString(sf.Message)
		sig, err2 := hex.DecodeString(sf.Signature)
		if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize || len(pk) != ed25519.PublicKeySize {
			return bad("message, signature or public key malformed")
		}
		if err := keyshare.CheckEd25519Signature(sig); err != nil {
			return bad("signature: %v", err)
		}
		if !ed25519.Verify(ed25519.PublicKey(pk), msg, sig) {
			return bad("Ed25519 verification failed")
		}
	default:
		return bad("unknown curve %q", sf.Curve)
	}
	return nil
}

// checkFormat checks the version, the syntax of the identifiers (printed
// by verify and status, so never anything but hex) and the v2 members.
func (sf *SignatureFile) checkFormat() error {
	for _, f := range []struct{ name, v string }{{"session", sf.Session}, {"transcript", sf.Transcript}, {"committee", sf.Committee}} {
		if b, err := hex.DecodeString(f.v); err != nil || len(b) != 32 || hex.EncodeToString(b) != f.v {
			return fmt.Errorf("not a valid signature file: %s must be 32 bytes of lowercase hex", f.name)
		}
	}
	switch sf.Format {
	case SignatureFormat:
		if sf.Path != "" || sf.ChildPublicKey != "" || sf.Item != 0 || sf.Items != 0 {
			return fmt.Errorf("not a valid signature file: path, child_public_key, item and items need format %q", SignatureFormatV2)
		}
		return nil
	case SignatureFormatV2:
	default:
		return fmt.Errorf("not a coldsig signature file (format %q, want %q or %q)", sf.Format, SignatureFormat, SignatureFormatV2)
	}
	if (sf.Path == "") != (sf.ChildPublicKey == "") {
		return errors.New("not a valid signature file: path and child_public_key go together")
	}
	if sf.Path != "" {
		p, err := hd.ParsePath(sf.Path)
		if err != nil || len(p) == 0 || p.String() != sf.Path {
			return fmt.Errorf("not a valid signature file: path %q", sf.Path)
		}
		if sf.Curve != keyshare.CurveSecp256k1 {
			return errors.New("not a valid signature file: a derivation path on a key that is not secp256k1")
		}
	}
	switch {
	case sf.Items == 0 && sf.Item == 0:
	case sf.Items >= 2 && sf.Items <= plan.MaxItems && sf.Item >= 1 && sf.Item <= sf.Items:
	default:
		return fmt.Errorf("not a valid signature file: item %d of %d", sf.Item, sf.Items)
	}
	if sf.Path == "" && sf.Items == 0 {
		return fmt.Errorf("not a valid signature file: a signature without path or item is written as %q", SignatureFormat)
	}
	return nil
}

// MaxSignatureSize bounds a signature.json file: the longest payload text
// (plan.MaxMessage bytes, at most six bytes each once JSON-escaped) and a
// file name fit with room to spare.
const MaxSignatureSize = 64 << 10

// LoadSignature reads, size-checks and parses a signature.json file;
// errors name the file.
func LoadSignature(path string) (*SignatureFile, error) {
	data, err := boundedio.ReadFile(path, MaxSignatureSize)
	if err != nil {
		return nil, err
	}
	sf, err := ParseSignature(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf, nil
}

// ParseSignature decodes signature.json strictly: unknown members,
// duplicate keys and trailing data are refused (strictjson).
func ParseSignature(data []byte) (*SignatureFile, error) {
	if len(data) > MaxSignatureSize {
		return nil, fmt.Errorf("not a valid signature file: %d bytes, more than %d", len(data), MaxSignatureSize)
	}
	var sf SignatureFile
	if err := strictjson.Decode(data, &sf); err != nil {
		return nil, fmt.Errorf("not a valid signature file: %v", err)
	}
	if err := sf.checkFormat(); err != nil {
		return nil, err
	}
	return &sf, nil
}

// Marshal encodes signature.json deterministically.
func (sf *SignatureFile) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// checkPayload recomputes the signed bytes from the payload description,
// so that what verify shows the officer (a message text, a file hash) is
// exactly what the signature covers.
func (sf *SignatureFile) checkPayload() error {
	p := sf.Payload
	ecdsa := sf.Curve == keyshare.CurveSecp256k1
	signed := sf.Message
	if ecdsa {
		signed = sf.Digest
	}
	switch p.Kind {
	case string(plan.PayloadDigest), string(plan.PayloadPSBTInput), string(plan.PayloadEthTx), string(plan.PayloadEIP712):
		// A transaction's digest is recomputed from the transaction in
		// the plan (the signed outputs beside this file are checked when
		// written); the file alone says only which kind it is.
		if !ecdsa {
			return fmt.Errorf("a %s payload is secp256k1 only", p.Kind)
		}
	case string(plan.PayloadEIP191):
		d := plan.EIP191Digest([]byte(p.Text))
		if !ecdsa || signed != hex.EncodeToString(d[:]) {
			return fmt.Errorf("digest is not the EIP-191 digest of the payload text %q", p.Text)
		}
	case string(plan.PayloadMessage):
		if ecdsa || signed != hex.EncodeToString([]byte(p.Text)) {
			return fmt.Errorf("the signed message is not the payload text %q", p.Text)
		}
	case string(plan.PayloadFile):
		if p.File == "" || signed != p.FileSHA256 {
			return fmt.Errorf("the signed bytes are not the SHA-256 %s of file %q", p.FileSHA256, p.File)
		}
	default:
		return fmt.Errorf("unknown payload kind %q", p.Kind)
	}
	if p.Kind != string(plan.PayloadFile) && (p.File != "" || p.FileSHA256 != "" || p.FileSize != 0) {
		return errors.New("file fields on a payload that is not a file")
	}
	return nil
}

// txOutputs completes the plan's transaction (if any) with the signatures
// in result (r||s per item): the signed PSBT or raw transaction and the
// answers for the requesting wallet, as result files.
func txOutputs(p *plan.Plan, result []byte) ([]statestore.File, error) {
	if p.Tx == nil {
		return nil, nil
	}
	sigs := make([]txn.Sig, len(p.Items))
	for i := range sigs {
		sigs[i] = txn.Sig{R: result[64*i : 64*i+32], S: result[64*i+32 : 64*i+64]}
	}
	out, err := p.Tx.Complete(p.TxKey(), sigs)
	if err != nil {
		return nil, fmt.Errorf("completing the transaction: %w", err)
	}
	var files []statestore.File
	for _, f := range out {
		files = append(files, statestore.File{Name: f.Name, Data: f.Data})
	}
	return files, nil
}
