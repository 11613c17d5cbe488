package txn

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/psbt"
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

// TestPSBTNetworkAndChangeWarnings (review finding L6): the network a plan
// names only says how addresses are shown, which the summary says; a PSBT
// whose wallet xpub is of another network is refused; change away from the
// account's change branch m/1/* is warned about.
func TestPSBTNetworkAndChangeWarnings(t *testing.T) {
	k := newKey(t)
	ins := []btctest.Input{{Path: hd.Path{0, 1}, Amount: 1_000_000}}
	build := func(params *chaincfg.Params, outs []btctest.Output) []byte {
		b, err := btctest.Build(k.key.Account, params, "net", ins, outs)
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	analyze := func(raw []byte, n btc.Network) (*Analysis, error) {
		return (&Request{Kind: PSBT, Data: raw, Network: n}).Analyze(k.key)
	}
	fieldsText := func(a *Analysis) string {
		var b strings.Builder
		for _, f := range a.Fields {
			b.WriteString(f.Label + ": " + f.Value + "\n")
		}
		return b.String()
	}

	// Testnet: shown, and said not to be bound by the signature.
	a, err := analyze(build(&chaincfg.TestNet3Params, []btctest.Output{{Address: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", Amount: 997_000}}), btc.Testnet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fieldsText(a), "the signature does not bind the network") || !hasWarning(a.Warnings, "if these inputs are mainnet coins") {
		t.Errorf("testnet plan:\n%s%q", fieldsText(a), a.Warnings)
	}

	// A PSBT whose wallet says mainnet (a global xpub), planned as testnet.
	raw := build(&chaincfg.MainNetParams, []btctest.Output{{Address: payTo, Amount: 997_000}})
	p, err := btc.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	x := base58.Decode(k.key.Account.XPub())[:78]
	fp := k.key.Account.Fingerprint()
	p.Unknowns = append(p.Unknowns, &psbt.Unknown{Key: append([]byte{0x01}, x...), Value: fp[:]})
	withXPub, err := btc.Serialize(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := analyze(withXPub, btc.Testnet); !errors.Is(err, btc.ErrNetwork) || !strings.Contains(err.Error(), "mainnet") {
		t.Fatalf("a mainnet wallet's PSBT planned as testnet: %v", err)
	}
	if _, err := analyze(withXPub, btc.Mainnet); err != nil {
		t.Fatalf("the same PSBT planned as mainnet: %v", err)
	}

	// Change at an unusual path is still change, with a warning; at m/1/i
	// none.
	for _, c := range []struct {
		path hd.Path
		warn bool
	}{{hd.Path{1000000, 0}, true}, {hd.Path{1, 5}, false}, {hd.Path{0, 9}, true}, {hd.Path{1, 2, 3}, true}} {
		a, err := analyze(build(&chaincfg.MainNetParams, []btctest.Output{{Address: payTo, Amount: 500_000}, {Change: true, Path: c.path, Amount: 497_000}}), btc.Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		if got := hasWarning(a.Warnings, "not on the account's change branch m/1/*"); got != c.warn {
			t.Errorf("change at %s: warning %v, want %v: %q", c.path, got, c.warn, a.Warnings)
		}
	}
}
