package keyshare

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"

	"github.com/coldsig/coldsig/internal/agebytes"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/strictjson"
	"github.com/coldsig/coldsig/internal/textrec"
)

// ShareMagic is the first line of a share's inner record (the plaintext
// inside share.age). A share of an HD key (one with a chain code) is
// written as ShareMagicV2, which adds the chain-code field; every other
// share keeps the v1 layout, byte for byte.
const (
	ShareMagic   = "coldsig/share/v1"
	ShareMagicV2 = "coldsig/share/v2"
)

// MaxParties bounds the committee size a share may describe. It keeps a
// hostile file from making the parser allocate or compute without limit.
const MaxParties = 255

// ErrShare wraps every validation error of a key share.
var ErrShare = errors.New("invalid key share")

// ErrWrongKey means a share is well formed but does not belong to the key
// (or the party) it was checked against.
var ErrWrongKey = errors.New("share does not belong to this key")

// ErrNotYours means a share.age is not encrypted to the identity that
// tried to open it: another party's share, or a share this identity never
// held.
var ErrNotYours = errors.New("not encrypted to this identity")

// Share is one party's key share: the secret result of a keygen or
// reshare, plus the metadata that says which key and which party it is.
// On disk it only ever exists encrypted (share.age, see SealShare).
type Share struct {
	// KeyID, Curve, PublicKey, Session, Threshold and Parties repeat the
	// values of public.json so that a share can be matched to its key
	// without decrypting anything else.
	KeyID     string // hex, 16 bytes
	Curve     string
	Session   string // hex, 32 bytes
	Index     int    // 1-based position in the committee
	Name      string // the party's name
	Card      string // hex SHA-256 fingerprint of the party's card
	PublicKey string // hex, as public.json
	Threshold int    // signers needed (user's number)
	Parties   int    // committee size
	// ChainCode is the BIP32 chain code of an HD key (secp256k1 keys made
	// by a keygen that fixed one, and every reshare of them); nil for keys
	// without one. It is as secret as the xpub: together with the public
	// key it links every child address to the key.
	ChainCode []byte

	// Exactly one of these is set, matching Curve.
	ECDSA *ecdsakeygen.LocalPartySaveData
	EdDSA *eddsakeygen.LocalPartySaveData
}

func shareErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrShare, fmt.Sprintf(format, args...))
}

// MarshalShare encodes the share's inner record. The save data is tss-lib's
// own JSON, which is deterministic for a given value; ParseShare insists on
// that exact encoding so that equal shares have equal bytes.
func MarshalShare(s *Share) ([]byte, error) {
	sd, err := s.saveDataJSON()
	if err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	magic := ShareMagic
	if s.ChainCode != nil {
		magic = ShareMagicV2
	}
	w := textrec.NewWriter(magic)
	w.String("key-id", s.KeyID)
	w.String("curve", s.Curve)
	w.String("session", s.Session)
	w.Uint("party", uint64(s.Index))
	w.String("name", s.Name)
	w.String("card", s.Card)
	w.String("public-key", s.PublicKey)
	if s.ChainCode != nil {
		w.Hex("chain-code", s.ChainCode)
	}
	w.Uint("threshold", uint64(s.Threshold))
	w.Uint("parties", uint64(s.Parties))
	w.Base64("save-data", sd)
	return w.Bytes()
}

func (s *Share) saveDataJSON() ([]byte, error) {
	switch {
	case s.ECDSA != nil && s.EdDSA == nil:
		return json.Marshal(s.ECDSA)
	case s.EdDSA != nil && s.ECDSA == nil:
		return json.Marshal(s.EdDSA)
	}
	return nil, shareErr("exactly one of ECDSA and EdDSA save data must be set")
}

// ParseShare decodes and validates a share's inner record. It checks the
// structure and the consistency of the metadata with the save data; Check
// does the curve arithmetic that proves the share belongs to a key.
func ParseShare(inner []byte) (s *Share, err error) {
	v2 := bytes.HasPrefix(inner, []byte(ShareMagicV2+"\n"))
	magic := ShareMagic
	if v2 {
		magic = ShareMagicV2
	}
	rec, err := textrec.Parse(inner, magic)
	if err != nil {
		if errors.Is(err, textrec.ErrNotRecord) {
			return nil, shareErr("not a coldsig key share (expected first line %q)", ShareMagic)
		}
		return nil, fmt.Errorf("%w: %w", ErrShare, err)
	}
	r := rec.Reader()
	s = &Share{}
	s.KeyID = hex.EncodeToString(r.Hex("key-id", 16))
	s.Curve = r.String("curve")
	s.Session = hex.EncodeToString(r.Hex("session", 32))
	s.Index = int(r.Uint("party"))
	s.Name = r.String("name")
	s.Card = hex.EncodeToString(r.Hex("card", 32))
	pkField := r.Field("public-key")
	if v2 {
		s.ChainCode = r.Hex("chain-code", 32)
	}
	s.Threshold = int(r.Uint("threshold"))
	s.Parties = int(r.Uint("parties"))
	sdField := r.Field("save-data")
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShare, err)
	}
	s.PublicKey = pkField.Value
	sd, err := base64.StdEncoding.Strict().DecodeString(sdField.Value)
	if err != nil {
		return nil, shareErr("line %d: save-data: invalid base64", sdField.Line)
	}
	switch s.Curve {
	case CurveSecp256k1:
		s.ECDSA = new(ecdsakeygen.LocalPartySaveData)
		err = decodeJSON(sd, s.ECDSA)
	case CurveEd25519:
		s.EdDSA = new(eddsakeygen.LocalPartySaveData)
		err = decodeJSON(sd, s.EdDSA)
	default:
		return nil, shareErr("unknown curve %q", s.Curve)
	}
	if err != nil {
		return nil, shareErr("line %d: save-data: %v", sdField.Line, err)
	}
	if again, err := s.saveDataJSON(); err != nil || !bytes.Equal(again, sd) {
		return nil, shareErr("line %d: save-data is not in tss-lib's canonical JSON encoding", sdField.Line)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeJSON decodes tss-lib save data strictly. tss-lib's ECPoint decoder
// calls into curve code that was not written for hostile input, so a panic
// there is turned into an error rather than taking the process down.
func decodeJSON(data []byte, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed save data: %v", p)
		}
	}()
	return strictjson.Decode(data, v)
}

// tssCurve returns the tss-lib curve registered for a coldsig curve name.
func tssCurve(curve string) (string, *big.Int) {
	switch curve {
	case CurveSecp256k1:
		return string(tss.Secp256k1), tss.S256().Params().N
	case CurveEd25519:
		return string(tss.Ed25519), tss.Edwards().Params().N
	}
	return "", nil
}

// common is the part of the save data both curves share.
type common struct {
	xi, shareID *big.Int
	ks          []*big.Int
	bigXj       []*crypto.ECPoint
	pub         *crypto.ECPoint
}

func (s *Share) common() common {
	if s.ECDSA != nil {
		d := s.ECDSA
		return common{d.Xi, d.ShareID, d.Ks, d.BigXj, d.ECDSAPub}
	}
	d := s.EdDSA
	return common{d.Xi, d.ShareID, d.Ks, d.BigXj, d.EDDSAPub}
}

func validPoint(p *crypto.ECPoint, curveName string) bool {
	if !p.ValidateBasic() {
		return false
	}
	name, ok := tss.GetCurveName(p.Curve())
	return ok && string(name) == curveName
}

// scalar reports whether x is a canonical non-zero scalar mod n.
func scalar(x, n *big.Int) bool { return x != nil && x.Sign() > 0 && x.Cmp(n) < 0 }

func (s *Share) validate() error {
	for name, v := range map[string]struct {
		s string
		n int
	}{"key-id": {s.KeyID, 16}, "session": {s.Session, 32}, "card": {s.Card, 32}} {
		if b, err := hex.DecodeString(v.s); err != nil || len(b) != v.n || hex.EncodeToString(b) != v.s {
			return shareErr("%s must be %d bytes of lowercase hex", name, v.n)
		}
	}
	if err := textrec.ValidValue(s.Name); err != nil {
		return shareErr("name: %v", err)
	}
	if s.ChainCode != nil {
		if s.Curve != CurveSecp256k1 {
			return shareErr("a chain code is defined for secp256k1 keys only (BIP32), not %s", s.Curve)
		}
		if len(s.ChainCode) != 32 || bytes.Equal(s.ChainCode, make([]byte, 32)) {
			return shareErr("chain-code must be 32 bytes, not all zero")
		}
	}
	curveName, n := tssCurve(s.Curve)
	if n == nil {
		return shareErr("unknown curve %q", s.Curve)
	}
	if (s.Curve == CurveSecp256k1) != (s.ECDSA != nil) || (s.Curve == CurveEd25519) != (s.EdDSA != nil) {
		return shareErr("save data does not match curve %s", s.Curve)
	}
	if s.Parties < 2 || s.Parties > MaxParties {
		return shareErr("parties %d is outside 2..%d", s.Parties, MaxParties)
	}
	if s.Threshold < 2 || s.Threshold > s.Parties {
		return shareErr("threshold %d is outside 2..%d", s.Threshold, s.Parties)
	}
	if s.Index < 1 || s.Index > s.Parties {
		return shareErr("party %d is outside 1..%d", s.Index, s.Parties)
	}
	c := s.common()
	if !scalar(c.xi, n) {
		return shareErr("save data: secret share Xi is missing or out of range")
	}
	if len(c.ks) != s.Parties || len(c.bigXj) != s.Parties {
		return shareErr("save data describes %d/%d parties, want %d", len(c.ks), len(c.bigXj), s.Parties)
	}
	seen := map[string]bool{}
	for j, k := range c.ks {
		// tss-lib evaluates the sharing polynomial at the key modulo the
		// group order, so keys may exceed it but must differ modulo it.
		if k == nil || k.Sign() <= 0 || k.BitLen() > 512 {
			return shareErr("save data: party key %d is missing or out of range", j+1)
		}
		kn := new(big.Int).Mod(k, n)
		if kn.Sign() == 0 || seen[kn.String()] {
			return shareErr("save data: party key %d is zero or repeats another modulo the group order", j+1)
		}
		seen[kn.String()] = true
		if j > 0 && c.ks[j-1].Cmp(k) >= 0 {
			// tss-lib sorts parties by key; index order depends on it.
			return shareErr("save data: party keys are not in tss-lib's sorted order")
		}
		if !validPoint(c.bigXj[j], curveName) {
			return shareErr("save data: public share of party %d is not a valid %s point", j+1, s.Curve)
		}
	}
	if c.shareID == nil || c.shareID.Cmp(c.ks[s.Index-1]) != 0 {
		return shareErr("save data: ShareID is not the key of party %d", s.Index)
	}
	if !validPoint(c.pub, curveName) {
		return shareErr("save data: group public key is not a valid %s point", s.Curve)
	}
	if s.ECDSA != nil {
		if err := validateECDSAExtra(s.ECDSA, s.Parties); err != nil {
			return err
		}
	}
	pk, err := PublicKeyBytes(s.Curve, c.pub)
	if err != nil {
		return shareErr("save data: %v", err)
	}
	if hex.EncodeToString(pk) != s.PublicKey {
		return shareErr("public-key %s does not match the save data's public key %x", clip(s.PublicKey), pk)
	}
	if id := KeyID(s.Curve, pk); id != s.KeyID {
		return shareErr("key-id %s does not match the public key (key id %s)", s.KeyID, id)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func validateECDSAExtra(d *ecdsakeygen.LocalPartySaveData, parties int) error {
	if !d.ValidateWithProof() || d.PaillierSK.N == nil || d.PaillierSK.LambdaN == nil || d.PaillierSK.PhiN == nil {
		return shareErr("save data: Paillier key or pre-parameters are missing")
	}
	if len(d.NTildej) != parties || len(d.H1j) != parties || len(d.H2j) != parties || len(d.PaillierPKs) != parties {
		return shareErr("save data: per-party ECDSA parameters do not list %d parties", parties)
	}
	for j := 0; j < parties; j++ {
		if d.NTildej[j] == nil || d.H1j[j] == nil || d.H2j[j] == nil || d.PaillierPKs[j] == nil || d.PaillierPKs[j].N == nil {
			return shareErr("save data: ECDSA parameters of party %d are missing", j+1)
		}
	}
	return nil
}

// Check proves that the share belongs to the key described by pub: the
// metadata matches, the share's own public point Xi*G is the key data's
// public share for this party, every party's public share lies on one
// polynomial of the threshold's degree, and that polynomial's value at zero
// is the group public key of public.json. Errors wrap ErrWrongKey when the
// share is for another key or party, ErrShare when it is inconsistent.
func (s *Share) Check(pub *Public) error {
	if err := s.validate(); err != nil {
		return err
	}
	if err := pub.Validate(); err != nil {
		return err
	}
	wrong := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrWrongKey, fmt.Sprintf(format, args...))
	}
	if s.KeyID != pub.KeyID {
		return wrong("the share is for key %s, the public key file is for key %s", s.KeyID, pub.KeyID)
	}
	if s.Curve != pub.Curve || s.PublicKey != pub.PublicKey {
		return wrong("the share's public key %s %s differs from the public key file's %s %s", s.Curve, s.PublicKey, pub.Curve, pub.PublicKey)
	}
	if s.Session != pub.Session {
		return wrong("the share is from session %s, the public key file from session %s (a reshare replaced this committee)", s.Session, pub.Session)
	}
	if s.Threshold != pub.Threshold || s.Parties != len(pub.Parties) {
		return wrong("the share is %d-of-%d, the public key file %d-of-%d", s.Threshold, s.Parties, pub.Threshold, len(pub.Parties))
	}
	if cc, ok := pub.ChainCode(); ok != (s.ChainCode != nil) || (ok && !bytes.Equal(cc[:], s.ChainCode)) {
		return wrong("the share's chain code differs from the public key file's xpub (or only one of them has one)")
	}
	p := pub.Parties[s.Index-1]
	if p.Card != s.Card || p.Name != s.Name {
		return wrong("party %d is %s (card %s) in the public key file, the share says %s (card %s)", s.Index, p.Name, p.Card, s.Name, s.Card)
	}
	c := s.common()
	for j, party := range pub.Parties {
		k, ok := new(big.Int).SetString(party.ShareKey, 16)
		if !ok || k.Cmp(c.ks[j]) != 0 {
			return wrong("party %d's share key in the public key file differs from the share's key data", j+1)
		}
	}
	if err := s.checkPoints(); err != nil {
		return err
	}
	return nil
}

// CheckAccount proves that pub's xpub is the account of the key this
// share belongs to: same curve and public key, and the xpub's chain code is
// the share's. It holds across reshares (every committee's shares carry
// the key's chain code), so an officer can check a public.json of any
// committee of the key with the share they hold. Errors wrap ErrWrongKey.
func (s *Share) CheckAccount(pub *Public) error {
	if err := pub.Validate(); err != nil {
		return err
	}
	switch {
	case s.KeyID != pub.KeyID || s.Curve != pub.Curve || s.PublicKey != pub.PublicKey:
		return fmt.Errorf("%w: the share is for key %s, the public key file is for key %s", ErrWrongKey, s.KeyID, pub.KeyID)
	case s.ChainCode == nil:
		return fmt.Errorf("%w: the share has no chain code (a key made before HD keys): there is no account to check", ErrWrongKey)
	}
	cc, ok := pub.ChainCode()
	if !ok {
		return fmt.Errorf("%w: the public key file has no xpub", ErrWrongKey)
	}
	if !bytes.Equal(cc[:], s.ChainCode) {
		return fmt.Errorf("%w: the xpub's chain code is not the key's (the share's): a wallet paired with it would derive addresses this key cannot sign for", ErrWrongKey)
	}
	return nil
}

// checkPoints does the curve arithmetic of Check.
func (s *Share) checkPoints() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = shareErr("curve arithmetic failed: %v", p)
		}
	}()
	c := s.common()
	curve := c.pub.Curve()
	n := curve.Params().N
	x, y := curve.ScalarBaseMult(c.xi.Bytes())
	own := c.bigXj[s.Index-1]
	if x == nil || x.Cmp(own.X()) != 0 || y.Cmp(own.Y()) != 0 {
		return fmt.Errorf("%w: the secret share's public point Xi*G is not party %d's public share in the key data", ErrWrongKey, s.Index)
	}
	// The first Threshold public shares fix the polynomial; every other
	// share and the group key must be its value at their points.
	base := make([]int, s.Threshold)
	for i := range base {
		base[i] = i
	}
	at := func(x0 *big.Int) (*big.Int, *big.Int, error) {
		var ax, ay *big.Int
		for _, j := range base {
			num, den := big.NewInt(1), big.NewInt(1)
			for _, m := range base {
				if m == j {
					continue
				}
				num.Mul(num, new(big.Int).Sub(x0, c.ks[m]))
				num.Mod(num, n)
				den.Mul(den, new(big.Int).Sub(c.ks[j], c.ks[m]))
				den.Mod(den, n)
			}
			inv := new(big.Int).ModInverse(den, n)
			if inv == nil {
				return nil, nil, errors.New("party keys are not distinct modulo the group order")
			}
			lambda := num.Mul(num, inv)
			lambda.Mod(lambda, n)
			px, py := curve.ScalarMult(c.bigXj[j].X(), c.bigXj[j].Y(), lambda.Bytes())
			if ax == nil {
				ax, ay = px, py
			} else {
				ax, ay = curve.Add(ax, ay, px, py)
			}
		}
		return ax, ay, nil
	}
	for j := s.Threshold; j < s.Parties; j++ {
		px, py, err := at(c.ks[j])
		if err != nil {
			return shareErr("save data: %v", err)
		}
		if px.Cmp(c.bigXj[j].X()) != 0 || py.Cmp(c.bigXj[j].Y()) != 0 {
			return shareErr("save data: the public shares do not lie on one polynomial of degree %d (party %d)", s.Threshold-1, j+1)
		}
	}
	gx, gy, err := at(new(big.Int))
	if err != nil {
		return shareErr("save data: %v", err)
	}
	if gx.Cmp(c.pub.X()) != 0 || gy.Cmp(c.pub.Y()) != 0 {
		return shareErr("save data: the public shares do not interpolate to the group public key")
	}
	return nil
}

// SealShare encrypts the share's inner record to recipients (normally the
// party's own identity) in age's binary format: the content of share.age.
func SealShare(s *Share, recipients ...age.Recipient) ([]byte, error) {
	inner, err := MarshalShare(s)
	if err != nil {
		return nil, err
	}
	return SealInner(inner, recipients...)
}

// SealInner encrypts an already encoded inner record after validating it.
func SealInner(inner []byte, recipients ...age.Recipient) ([]byte, error) {
	if _, err := ParseShare(inner); err != nil {
		return nil, err
	}
	if len(recipients) == 0 {
		return nil, errors.New("no recipient to encrypt the share to")
	}
	return agebytes.Encrypt(inner, recipients...)
}

// OpenShare decrypts share.age with the party's identity and parses it.
func OpenShare(data []byte, ids ...age.Identity) (*Share, error) {
	inner, err := OpenInner(data, ids...)
	if err != nil {
		return nil, err
	}
	return ParseShare(inner)
}

// maxShareSize bounds what OpenInner reads: an ECDSA share is about 25 KB.
const maxShareSize = 1 << 20

// MaxShareFileSize bounds a share.age file: the inner record's limit plus
// age's framing, ASCII-armored.
const MaxShareFileSize = 2 << 20

// ReadShareFile reads a share.age file with its size limit, without
// decrypting it; errors name the file.
func ReadShareFile(path string) ([]byte, error) {
	return boundedio.ReadFile(path, MaxShareFileSize)
}

// LoadShare reads and decrypts a share.age file; errors name the file.
func LoadShare(path string, ids ...age.Identity) (*Share, error) {
	data, err := ReadShareFile(path)
	if err != nil {
		return nil, err
	}
	s, err := OpenShare(data, ids...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// OpenInner decrypts share.age and returns the inner record unparsed, for
// callers that must keep its exact bytes (backups). An ASCII-armored age
// file (a share moved as text) is accepted too.
func OpenInner(data []byte, ids ...age.Identity) ([]byte, error) {
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(data, []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	r, err := age.Decrypt(src, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("key share %w", ErrNotYours)
		}
		return nil, fmt.Errorf("decrypt key share: %w", err)
	}
	inner, err := io.ReadAll(io.LimitReader(r, maxShareSize+1))
	if err != nil {
		return nil, fmt.Errorf("decrypt key share: %w", err)
	}
	if len(inner) > maxShareSize {
		return nil, shareErr("larger than %d bytes", maxShareSize)
	}
	return inner, nil
}
