package ceremony

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"filippo.io/age"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"

	"github.com/coldsig/coldsig/internal/agebytes"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/strictjson"
	"github.com/coldsig/coldsig/internal/textrec"
)

// PreParamsMagic starts the plaintext inside a pre-parameters file.
const PreParamsMagic = "coldsig/preparams/v1"

// MaxPreParamsSize bounds a pre-parameters file (they are ~5 KB).
const MaxPreParamsSize = 64 << 10

// ErrPreParams wraps every problem with a pre-parameters file.
var ErrPreParams = errors.New("invalid pre-parameters")

// GeneratePreParams finds the safe primes and Paillier key an ECDSA keygen
// or reshare needs (20-40 s on a laptop). tick, if not nil, is called about
// once a second with the elapsed time so a user interface can show life.
func GeneratePreParams(ctx context.Context, tick func(time.Duration)) (*ecdsakeygen.LocalPreParams, error) {
	type result struct {
		pp  *ecdsakeygen.LocalPreParams
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		pp, err := ecdsakeygen.GeneratePreParamsWithContext(ctx)
		done <- result{pp, err}
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				return nil, r.err
			}
			if !r.pp.ValidateWithProof() {
				return nil, errors.New("generated pre-parameters failed validation")
			}
			return r.pp, nil
		case <-t.C:
			if tick != nil {
				tick(time.Since(start))
			}
		}
	}
}

// SealPreParams encrypts pre-parameters to their owner. They are as
// secret as a key share until used (they contain a Paillier secret key and
// the NTilde trapdoors), and single use.
func SealPreParams(pp *ecdsakeygen.LocalPreParams, owner age.Recipient) ([]byte, error) {
	if pp == nil || !pp.ValidateWithProof() {
		return nil, fmt.Errorf("%w: incomplete", ErrPreParams)
	}
	js, err := json.Marshal(pp)
	if err != nil {
		return nil, err
	}
	w := textrec.NewWriter(PreParamsMagic)
	w.String("curve", "secp256k1")
	w.Base64("tss-lib-json", js)
	inner, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	defer clear(inner)
	return agebytes.Encrypt(inner, owner)
}

// LoadPreParams reads (with its size limit), decrypts and validates a
// pre-parameters file; errors name the file.
func LoadPreParams(path string, id age.Identity) (*ecdsakeygen.LocalPreParams, error) {
	data, err := boundedio.ReadFile(path, MaxPreParamsSize)
	if err != nil {
		return nil, err
	}
	pp, err := OpenPreParams(data, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pp, nil
}

// OpenPreParams decrypts and validates a pre-parameters file.
func OpenPreParams(data []byte, id age.Identity) (*ecdsakeygen.LocalPreParams, error) {
	if len(data) > MaxPreParamsSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrPreParams, MaxPreParamsSize)
	}
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%w: encrypted to someone else (each party uses its own pre-parameters)", ErrPreParams)
		}
		return nil, fmt.Errorf("%w: %v", ErrPreParams, err)
	}
	inner, err := io.ReadAll(io.LimitReader(r, MaxPreParamsSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPreParams, err)
	}
	defer clear(inner)
	return ParsePreParams(inner)
}

// ParsePreParams decodes the plaintext record.
func ParsePreParams(inner []byte) (*ecdsakeygen.LocalPreParams, error) {
	rec, err := textrec.Parse(inner, PreParamsMagic)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPreParams, err)
	}
	rd := rec.Reader()
	curve := rd.Field("curve")
	if rd.Err() == nil && curve.Value != "secp256k1" {
		rd.Fail(curve, "curve: %q, only secp256k1 uses pre-parameters", curve.Value)
	}
	js := rd.Base64("tss-lib-json")
	if err := rd.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPreParams, err)
	}
	var pp ecdsakeygen.LocalPreParams
	if err := strictjson.Decode(js, &pp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPreParams, err)
	}
	if !validPreParams(&pp) {
		return nil, fmt.Errorf("%w: values are missing or fail tss-lib's validation", ErrPreParams)
	}
	return &pp, nil
}

// validPreParams guards tss-lib's own validation, which dereferences
// fields without nil checks.
func validPreParams(pp *ecdsakeygen.LocalPreParams) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if pp.PaillierSK == nil || pp.PaillierSK.PublicKey.N == nil || pp.PaillierSK.LambdaN == nil || pp.PaillierSK.PhiN == nil ||
		pp.PaillierSK.P == nil || pp.PaillierSK.Q == nil || pp.NTildei == nil || pp.H1i == nil || pp.H2i == nil ||
		pp.Alpha == nil || pp.Beta == nil || pp.P == nil || pp.Q == nil {
		return false
	}
	if pp.NTildei.BitLen() < 2000 || pp.PaillierSK.N.BitLen() < 2000 {
		return false
	}
	if new(big.Int).Mul(pp.PaillierSK.P, pp.PaillierSK.Q).Cmp(pp.PaillierSK.N) != 0 {
		return false
	}
	// NTilde is built from the safe primes 2P+1 and 2Q+1.
	one := big.NewInt(1)
	p := new(big.Int).Add(new(big.Int).Lsh(pp.P, 1), one)
	q := new(big.Int).Add(new(big.Int).Lsh(pp.Q, 1), one)
	if new(big.Int).Mul(p, q).Cmp(pp.NTildei) != 0 {
		return false
	}
	// h1 and h2 generate the same group: h2 = h1^alpha, h1 = h2^beta.
	if new(big.Int).Exp(pp.H1i, pp.Alpha, pp.NTildei).Cmp(pp.H2i) != 0 ||
		new(big.Int).Exp(pp.H2i, pp.Beta, pp.NTildei).Cmp(pp.H1i) != 0 {
		return false
	}
	return pp.ValidateWithProof()
}
