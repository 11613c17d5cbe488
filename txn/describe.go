package txn

import (
	"fmt"
	"math/big"

	"github.com/coldsig/coldsig/txn/btc"
)

// describePSBT is the summary of a PSBT as officers read it: network,
// every input, every output (change marked), fee and fee rate.
func describePSBT(tx *btc.Tx, r *Request) (fields []Field, warnings []string) {
	add := func(label, format string, args ...any) {
		fields = append(fields, Field{label, fmt.Sprintf(format, args...)})
	}
	add("network", "%s (addresses are shown for it; the signature does not bind the network)", tx.Network.Title())
	if tx.TxID != "" {
		add("txid", "%s", tx.TxID)
	} else {
		add("txid", "not known until the other inputs are signed")
	}
	ours := 0
	for _, in := range tx.Inputs {
		if in.Ours {
			ours++
		}
	}
	add("inputs", "%d, together %s; %d signed by this key", len(tx.Inputs), btc.FormatBTC(tx.In), ours)
	for _, in := range tx.Inputs {
		who := fmt.Sprintf("this key at %s, %s", in.Path, in.Type)
		if !in.Ours {
			who = "NOT this key's: signed by someone else"
		}
		proof := ""
		if !in.Proven {
			proof = "; amount stated by the PSBT, not proven by its previous transaction"
		}
		add(fmt.Sprintf("  input %d", in.Index), "%s from %s (%s), spending %s%s", btc.FormatBTC(in.Amount), in.Address, who, in.OutPoint, proof)
	}
	add("outputs", "%d, together %s", len(tx.Outputs), btc.FormatBTC(tx.Out))
	for _, o := range tx.Outputs {
		if o.Change {
			add(fmt.Sprintf("  output %d", o.Index), "%s to %s  CHANGE back to this key at %s", btc.FormatBTC(o.Amount), o.Address, o.Path)
		} else {
			add(fmt.Sprintf("  output %d", o.Index), "%s to %s", btc.FormatBTC(o.Amount), o.Address)
		}
	}
	sent := tx.Out - tx.Change
	add("sends", "%s to others (outputs that are not change)", btc.FormatBTC(sent))
	add("fee", "%s", btc.FormatBTC(tx.Fee))
	if tx.VSize > 0 {
		// The size is an upper bound (signatures of at most 72 bytes), so
		// the rate is a lower bound.
		add("fee rate", "at least %s sat/vB (the signed transaction is at most %d vB)", rate(tx.Fee, tx.VSize), tx.VSize)
	} else {
		add("fee rate", "unknown until the other inputs are signed (their size is not known)")
	}
	rbf := "no"
	if tx.RBF {
		rbf = "yes (BIP 125: it can be replaced by a higher fee)"
	}
	add("replaceable", "%s", rbf)
	if tx.LockTime != 0 {
		add("locktime", "%d (not valid before this block height or time)", tx.LockTime)
	}
	if r.Finalize {
		add("output files", "signed PSBT, finalized PSBT and raw transaction")
	} else {
		add("output files", "signed PSBT (not finalized)")
	}
	if tx.Fee > 0 && sent > 0 && tx.Fee*20 > sent {
		warnings = append(warnings, fmt.Sprintf("the fee is more than 5%% of the amount sent to others (%s of %s)", btc.FormatBTC(tx.Fee), btc.FormatBTC(sent)))
	}
	// Against the amount sent alone, a self-transfer (nothing sent) or a
	// large payment hides any fee: 99% of the inputs moving "between its
	// own addresses", or 4 BTC on 100 BTC sent. So the fee is also weighed
	// against what the inputs are worth, and as a rate.
	if tx.Fee > 0 && tx.In > 0 && tx.Fee*100 > tx.In*maxFeeInputsPercent {
		warnings = append(warnings, fmt.Sprintf("the fee is more than %d%% of the value of its inputs (%s of %s)", maxFeeInputsPercent, btc.FormatBTC(tx.Fee), btc.FormatBTC(tx.In)))
	}
	if tx.VSize > 0 && tx.Fee > tx.VSize*maxFeeRate {
		warnings = append(warnings, fmt.Sprintf("the fee rate is at least %s sat/vB, more than %d sat/vB, above what the network has ever needed for long", rate(tx.Fee, tx.VSize), maxFeeRate))
	}
	if sent == 0 {
		warnings = append(warnings, "every output pays back to this key: this only moves funds between its own addresses")
	}
	if tx.Network != btc.Mainnet {
		warnings = append(warnings, fmt.Sprintf("the network (%s) is how addresses are shown, not part of what is signed: if these inputs are mainnet coins, this signs a mainnet transaction (real money)", tx.Network.Title()))
	}
	// Change is proven to pay this key, but a watch-only wallet follows
	// the receive and change descriptors (m/0/*, m/1/*) only, and a
	// wallet's change goes to m/1/*: change elsewhere is this key's money
	// that its wallet may never show.
	for _, o := range tx.Outputs {
		switch {
		case !o.Change || (len(o.Path) == 2 && o.Path[0] == 1):
		case len(o.Path) == 2 && o.Path[0] == 0:
			warnings = append(warnings, fmt.Sprintf("output %d is change at %s, a receive address, not on the account's change branch m/1/*: check why the wallet chose it", o.Index, o.Path))
		default:
			warnings = append(warnings, fmt.Sprintf("output %d is change at %s, not on the account's change branch m/1/*: the paired wallet (descriptors m/0/* and m/1/*) will not show it; check why the wallet chose it", o.Index, o.Path))
		}
	}
	if ours < len(tx.Inputs) {
		warnings = append(warnings, fmt.Sprintf("%d of %d inputs are not this key's; this key signs only its own, and the transaction is complete only when the others sign theirs", len(tx.Inputs)-ours, len(tx.Inputs)))
	}
	for _, in := range tx.Inputs {
		if in.Ours && in.HashType != 1 {
			warnings = append(warnings, fmt.Sprintf("input %d is signed with %s, allowed by this plan", in.Index, btc.SighashName(in.HashType)))
		}
	}
	return fields, warnings
}

// Fee warnings besides "more than 5% of the amount sent to others".
// maxFeeInputsPercent: a fee of more than 2% of the inputs' value is rare
// outside consolidating dust (an ordinary payment at a busy 100 sat/vB
// pays about 14,000 sat; 2% of a 0.01 BTC input is 20,000 sat), and the
// 4-of-104 BTC case the review gave is 3.8%. maxFeeRate: 1,000 sat/vB is
// at the top of the highest rates the network has ever seen (brief spikes,
// never sustained); the rate shown is a lower bound (the size is an upper
// bound), so a warning is never a false alarm from the estimate. Both are
// warnings, not refusals: officers weigh them.
const (
	maxFeeInputsPercent = 2
	maxFeeRate          = 1000
)

// rate is fee/vsize with one decimal, rounded down.
func rate(fee, vsize int64) string {
	tenths := fee * 10 / vsize
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

func bigU(x uint64) *big.Int { return new(big.Int).SetUint64(x) }
