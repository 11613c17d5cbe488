package txn

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/coldsig/coldsig/hd"
	"github.com/coldsig/coldsig/txn/btc"
	"github.com/coldsig/coldsig/txn/btc/btctest"
)

// psbtWarnings analyzes a PSBT of this test key and returns its warnings.
func psbtWarnings(t *testing.T, ins []btctest.Input, outs []btctest.Output) []string {
	t.Helper()
	k := newKey(t)
	b, err := btctest.Build(k.key.Account, &chaincfg.MainNetParams, "fee", ins, outs)
	if err != nil {
		t.Fatal(err)
	}
	a, err := (&Request{Kind: PSBT, Data: b.Bytes(), Network: btc.Mainnet}).Analyze(k.key)
	if err != nil {
		t.Fatal(err)
	}
	return a.Warnings
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

const payTo = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"

// TestPSBTFeeWarnings (review finding L1): a fee is weighed against the
// inputs and as a rate, not only against the amount sent to others.
func TestPSBTFeeWarnings(t *testing.T) {
	const btcSat = 100_000_000
	// A self-transfer that burns 99% of its input as fee.
	ws := psbtWarnings(t, []btctest.Input{{Path: hd.Path{0, 1}, Amount: 1_000_000}},
		[]btctest.Output{{Change: true, Path: hd.Path{1, 0}, Amount: 10_000}})
	if !hasWarning(ws, "of the value of its inputs") || !hasWarning(ws, "sat/vB") {
		t.Errorf("a self-transfer paying 99%% in fees: %q", ws)
	}
	// 4 BTC of fee on 100 BTC sent: 4% of the amount sent.
	ws = psbtWarnings(t, []btctest.Input{{Path: hd.Path{0, 1}, Amount: 104 * btcSat}},
		[]btctest.Output{{Address: payTo, Amount: 100 * btcSat}})
	if !hasWarning(ws, "of the value of its inputs") || !hasWarning(ws, "sat/vB") {
		t.Errorf("4 BTC of fee on 100 BTC: %q", ws)
	}
	// An ordinary spend: no fee warning.
	ws = psbtWarnings(t, []btctest.Input{{Path: hd.Path{0, 1}, Amount: 1_000_000}},
		[]btctest.Output{{Address: payTo, Amount: 600_000}, {Change: true, Path: hd.Path{1, 0}, Amount: 397_000}})
	for _, w := range ws {
		if strings.Contains(w, "fee") {
			t.Errorf("an ordinary fee (3000 sat, about 20 sat/vB) warns: %q", w)
		}
	}
}
