package tui

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
	"github.com/coldsig/coldsig/plan"
	"github.com/coldsig/coldsig/txn"
	"github.com/coldsig/coldsig/txn/eth"
)

// TestGateShowsWholeCallData (review finding M2): the confirmation gate
// shows all of what is signed. 200 bytes of call data with a marker at
// offset 150 (past the 127 bytes termsafe.String kept) are on the screen
// in full, once the body is wrapped to an 80-column terminal.
func TestGateShowsWholeCallData(t *testing.T) {
	fx := keysharetest.LoadHD(t)
	data := make([]byte, 200)
	copy(data, []byte{0x12, 0x34, 0x56, 0x78})
	for i := 4; i < len(data); i++ {
		data[i] = 0x11
	}
	copy(data[150:], []byte{0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d})
	want := "0x" + hex.EncodeToString(data)
	tx, _, err := eth.ParseRequest([]byte(fmt.Sprintf(`{"to": "0x3535353535353535353535353535353535353535", "value": "0x0", "nonce": "0x1",
  "gas": "0x30000", "maxFeePerGas": "0x6fc23ac00", "maxPriorityFeePerGas": "0x3b9aca00", "chainId": "0x1", "data": %q}`, want)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.NewSignTx(fx.Public, []*identity.Card{fx.IDs[0].Card(), fx.IDs[2].Card()},
		&txn.Request{Kind: txn.EthTx, Data: tx.Payload, ChainID: 1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := plan.Describe(p, fx.IDs[0].Card().Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	screen := strings.Join(wrapLines(describeView(newStyles(true), d), 80), "\n")
	if !strings.Contains(strings.Join(strings.Fields(screen), ""), want) {
		t.Fatalf("the gate does not show the whole call data %s:\n%s", want, screen)
	}
}

// A tab in a signed message is shown escaped, never as the spaces it
// expands to: "a\tb" and "a    b" hash differently and must look different
// (the CLI and the report show it the same way).
func TestSignedTextTabEscaped(t *testing.T) {
	tab := strings.Join(signedLines(plan.SignedItem{Text: "pay\t1 coin"}, ""), "\n")
	spaces := strings.Join(signedLines(plan.SignedItem{Text: "pay    1 coin"}, ""), "\n")
	if tab == spaces || !strings.Contains(tab, `"pay\t1 coin"`) {
		t.Fatalf("tab shown as:\n%s\nspaces shown as:\n%s", tab, spaces)
	}
}
