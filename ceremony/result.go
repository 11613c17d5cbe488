package ceremony

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
	"github.com/coldsig/coldsig/txn"
)

// Result is what a finished ceremony produced, as data for the officer's
// screen: the CLI prints it after the last step and in status, the TUI
// shows it. It holds nothing secret.
type Result struct {
	// Transcript is the transcript digest every officer compares.
	Transcript [32]byte
	// Public is the committee's public.json (keygen and reshare): public
	// key, key id, Ethereum address, threshold and holders.
	Public *keyshare.Public
	// Signatures are the signing's signature files, one per item in item
	// order (signature.json, or signature-01.json ... for a batch), and
	// Signed what the plan said each would sign, described as plan show
	// described it. Signature is the first (the only one of a plain
	// signing).
	Signature  *SignatureFile
	Signatures []*SignatureFile
	Signed     []plan.SignedItem
	// TxFiles are the result files of a signing's transaction (signed
	// PSBT, raw transaction, eth-signature, ...), by name, in result/.
	TxFiles []string
}

// txFileNames are the files a transaction's completion may write.
var txFileNames = []string{txn.FileSignedPSBT, txn.FileFinalPSBT, txn.FileRawTx, txn.FileEthTx, txn.FileEIP712, txn.FileEthSignature}

// MaxResultFile bounds what is read of a result file (by status and by
// report); public.json and signature.json of 16 parties are a few KB.
const MaxResultFile = 1 << 20

const receiptMagic = "coldsig/receipt/v1"

// ReadResult reads the result files of a finished ceremony in dir, whose
// plan is p. It checks that they belong to this ceremony (session) and,
// for a signing, that the signature verifies, so what is shown is what
// verify would accept.
func ReadResult(dir string, p *plan.Plan) (*Result, error) {
	read := func(name string) ([]byte, error) {
		return boundedio.ReadFile(filepath.Join(dir, "result", name), MaxResultFile)
	}
	files := map[string][]byte{}
	names := []string{"transcript.txt", "public.json"}
	if p.Protocol == plan.Sign {
		for i := range p.Items {
			names = append(names, SignatureName(i, len(p.Items)))
		}
		if p.Tx != nil {
			names = append(names, txFileNames...)
		}
	}
	for _, n := range names {
		data, err := read(n)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[n] = data
	}
	r, err := resultFromFiles(p, files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "result"), err)
	}
	return r, nil
}

// resultFromFiles interprets result files by name.
func resultFromFiles(p *plan.Plan, files map[string][]byte) (*Result, error) {
	r := &Result{}
	rb, ok := files["transcript.txt"]
	if !ok {
		return nil, errors.New("transcript.txt is missing")
	}
	t, err := parseReceipt(rb, p.Session)
	if err != nil {
		return nil, fmt.Errorf("transcript.txt: %w", err)
	}
	r.Transcript = t
	if p.Protocol == plan.Sign {
		d, err := plan.Describe(p, [32]byte{})
		if err != nil {
			return nil, err
		}
		for i := range p.Items {
			name := SignatureName(i, len(p.Items))
			sb, ok := files[name]
			if !ok {
				return nil, fmt.Errorf("%s is missing", name)
			}
			sf, err := ParseSignature(sb)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if err := sf.verifyForPlan(p, i); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if sf.Session != fmt.Sprintf("%x", p.Session) {
				return nil, fmt.Errorf("%s is from session %s, not this one", name, sf.Session)
			}
			if len(p.Items) > 1 && sf.Item != i+1 {
				return nil, fmt.Errorf("%s holds item %d", name, sf.Item)
			}
			r.Signatures = append(r.Signatures, sf)
		}
		r.Signature, r.Signed = r.Signatures[0], d.Signs
		for _, n := range txFileNames {
			if _, ok := files[n]; ok && p.Tx != nil {
				r.TxFiles = append(r.TxFiles, n)
			}
		}
		return r, nil
	}
	pb, ok := files["public.json"]
	if !ok {
		return nil, errors.New("public.json is missing")
	}
	pub, err := keyshare.ParsePublic(pb)
	if err != nil {
		return nil, fmt.Errorf("public.json: %w", err)
	}
	if pub.Session != fmt.Sprintf("%x", p.Session) {
		return nil, fmt.Errorf("public.json is from session %s, not this one", pub.Session)
	}
	r.Public = pub
	return r, nil
}

func parseReceipt(data []byte, session [32]byte) ([32]byte, error) {
	rc, err := ParseReceipt(data)
	if err != nil {
		return [32]byte{}, err
	}
	if rc.Session != session {
		return [32]byte{}, fmt.Errorf("from session %x, not this one", rc.Session)
	}
	return rc.Transcript, nil
}
