package eth

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/coldsig/coldsig/internal/vectortest"
)

const vectorDir = "../../testdata/vectors"

func readVector(format, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(vectorDir, format, name))
}

// TestVectors: testdata/vectors/ethtx (transaction requests, JSON or
// unsigned hex; valid ones with the signing hash in .hash) and
// testdata/vectors/eip712 (typed data, with the EIP-712 hash in .hash).
// They are written by hand from public examples (EIP-155, EIP-712) and
// edited copies of them; there is no generator.
func TestVectors(t *testing.T) {
	for _, format := range []string{"ethtx", "eip712"} {
		ext := ".txt"
		if format == "eip712" {
			ext = ".json"
		}
		for _, path := range vectortest.Files(t, vectorDir, format, ext) {
			t.Run(format+"/"+filepath.Base(path), func(t *testing.T) {
				data := vectortest.Read(t, path)
				var hash [32]byte
				var err error
				if format == "eip712" {
					var td *TypedData
					if td, err = ParseTypedData(data); err == nil {
						hash, err = td.Hash, td.CheckChain(1)
					}
				} else {
					var tx *Tx
					if tx, _, err = ParseRequest(data); err == nil {
						hash, err = tx.Hash, tx.CheckChain(1)
					}
				}
				if !vectortest.Check(t, path, err) {
					return
				}
				want, ok := vectortest.Sidecar(t, path, ".hash")
				if !ok {
					t.Fatal("valid vector without .hash")
				}
				if got := hex.EncodeToString(hash[:]); got != strings.TrimSpace(want) {
					t.Fatalf("hash %s, want %s", got, want)
				}
			})
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	vectortest.Seed(f, vectorDir, "ethtx", ".txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, _, err := ParseRequest(data)
		if err != nil {
			return
		}
		// An accepted transaction's payload reads back to the same hash.
		again, err := ParseUnsigned(tx.Payload)
		if err != nil || again.Hash != tx.Hash {
			t.Fatalf("payload does not read back: %v", err)
		}
		tx.Describe(common.Address{})
	})
}

func FuzzParseTypedData(f *testing.F) {
	vectortest.Seed(f, vectorDir, "eip712", ".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := ParseTypedData(data)
		if err != nil {
			return
		}
		td.Describe([20]byte{})
	})
}
