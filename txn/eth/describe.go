package eth

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Field is one labelled line of a summary, in display order.
type Field struct {
	Label, Value string
}

// maxDataShown bounds the call data shown in full as hex; longer data is
// shown by its start, length and keccak256.
const maxDataShown = 512

// Describe is what officers see of the transaction, and the warnings
// they must weigh. from is the signing key's address.
func (t *Tx) Describe(from common.Address) (fields []Field, warnings []string) {
	tx := t.Tx
	add := func(label, format string, args ...any) {
		fields = append(fields, Field{label, fmt.Sprintf(format, args...)})
	}
	chainID := t.ChainID()
	if tx.Type() == types.DynamicFeeTxType {
		add("type", "EIP-1559 (type 2) transaction")
	} else {
		add("type", "legacy transaction with EIP-155 replay protection")
	}
	add("chain id", "%s (%s)", chainID, ChainName(chainID))
	add("from", "%s", from.Hex())
	if tx.To() == nil {
		add("to", "none: this transaction creates a contract")
		warnings = append(warnings, "this transaction deploys a contract; its code is the data below")
	} else {
		add("to", "%s", tx.To().Hex())
	}
	add("value", "%s", FormatValue(tx.Value(), chainID))
	add("nonce", "%d", tx.Nonce())
	add("gas limit", "%d", tx.Gas())
	var maxFee *big.Int
	if tx.Type() == types.DynamicFeeTxType {
		add("max fee", "%s per gas", FormatGwei(tx.GasFeeCap()))
		add("priority fee", "%s per gas", FormatGwei(tx.GasTipCap()))
		maxFee = new(big.Int).Mul(tx.GasFeeCap(), new(big.Int).SetUint64(tx.Gas()))
	} else {
		add("gas price", "%s per gas", FormatGwei(tx.GasPrice()))
		maxFee = new(big.Int).Mul(tx.GasPrice(), new(big.Int).SetUint64(tx.Gas()))
	}
	add("fee at most", "%s (gas limit × max fee)", FormatValue(maxFee, chainID))
	call, w := DecodeCall(tx.Data())
	fields = append(fields, call...)
	warnings = append(warnings, w...)
	if tx.Value().Sign() > 0 && len(call) > 0 && strings.HasPrefix(call[0].Value, "ERC-20") {
		warnings = append(warnings, "the transaction sends ETH to a token contract as well as calling it")
	}
	if al := tx.AccessList(); len(al) > 0 {
		add("access list", "%d entries", len(al))
		for _, e := range al {
			add("  access", "%s (%d storage keys)", e.Address.Hex(), len(e.StorageKeys))
		}
	}
	add("signing hash", "%x", t.Hash)
	return fields, warnings
}

// ERC-20 function selectors (first four bytes of keccak256 of the
// signature), computed rather than written out.
var (
	selTransfer     = selector("transfer(address,uint256)")
	selApprove      = selector("approve(address,uint256)")
	selTransferFrom = selector("transferFrom(address,address,uint256)")
)

func selector(sig string) [4]byte {
	var s [4]byte
	copy(s[:], crypto.Keccak256([]byte(sig)))
	return s
}

// DecodeCall describes call data: nothing, a known ERC-20 call with its
// arguments, or an unknown call as selector and hex with a warning. A
// known selector whose arguments are not in canonical ABI form (wrong
// length, an address word with high bytes set) is shown as unknown: what
// a token contract would do with it is not what the decoded form says.
func DecodeCall(data []byte) (fields []Field, warnings []string) {
	if len(data) == 0 {
		return []Field{{"data", "none (a plain transfer of ETH)"}}, nil
	}
	var sel [4]byte
	copy(sel[:], data)
	args := data[min(4, len(data)):]
	word := func(i int) []byte { return args[32*i : 32*i+32] }
	addr := func(i int) (common.Address, bool) {
		w := word(i)
		for _, b := range w[:12] {
			if b != 0 {
				return common.Address{}, false
			}
		}
		return common.BytesToAddress(w[12:]), true
	}
	amount := func(i int) string {
		v := new(big.Int).SetBytes(word(i))
		if v.Cmp(maxUint256) == 0 {
			return "unlimited (2^256-1) token units"
		}
		return v.String() + " token units (the token's decimals are not known offline)"
	}
	if len(data) >= 4 {
		switch {
		case sel == selTransfer && len(args) == 64:
			if to, ok := addr(0); ok {
				return []Field{
					{"call", "ERC-20 transfer (token contract is \"to\" above)"},
					{"  recipient", to.Hex()},
					{"  amount", amount(1)},
				}, nil
			}
		case sel == selApprove && len(args) == 64:
			if sp, ok := addr(0); ok {
				f := []Field{
					{"call", "ERC-20 approve (token contract is \"to\" above)"},
					{"  spender", sp.Hex()},
					{"  allowance", amount(1)},
				}
				w := []string{"an approval lets the spender move this key's tokens later without another signature"}
				if new(big.Int).SetBytes(word(1)).Cmp(maxUint256) == 0 {
					w = append(w, "the allowance is unlimited")
				}
				return f, w
			}
		case sel == selTransferFrom && len(args) == 96:
			from, ok1 := addr(0)
			to, ok2 := addr(1)
			if ok1 && ok2 {
				return []Field{
					{"call", "ERC-20 transferFrom (token contract is \"to\" above)"},
					{"  owner", from.Hex()},
					{"  recipient", to.Hex()},
					{"  amount", amount(2)},
				}, nil
			}
		}
	}
	fields = []Field{{"call", fmt.Sprintf("unknown: selector 0x%x, %d bytes of arguments", sel[:min(4, len(data))], len(args))}}
	if len(data) <= maxDataShown {
		fields = append(fields, Field{"data", "0x" + hex.EncodeToString(data)})
	} else {
		fields = append(fields,
			Field{"data", fmt.Sprintf("0x%s... (%d bytes)", hex.EncodeToString(data[:64]), len(data))},
			Field{"data keccak256", fmt.Sprintf("%x", crypto.Keccak256(data))})
	}
	return fields, []string{"coldsig cannot decode this call: check the selector and data against the contract's ABI before signing"}
}

var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// FormatWei writes an amount of wei in ETH, exactly: "1.5 ETH
// (1500000000000000000 wei)".
func FormatWei(wei *big.Int) string {
	return decimal(wei, 18) + " ETH (" + wei.String() + " wei)"
}

// FormatGwei writes wei per gas in gwei, exactly.
func FormatGwei(wei *big.Int) string {
	return decimal(wei, 9) + " gwei"
}

func decimal(v *big.Int, places int) string {
	neg := v.Sign() < 0
	s := new(big.Int).Abs(v).String()
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	i, f := s[:len(s)-places], strings.TrimRight(s[len(s)-places:], "0")
	if f != "" {
		i += "." + f
	}
	if neg {
		i = "-" + i
	}
	return i
}

// chains are chains officers should recognise by name, with the symbol
// of their native currency (18 decimals on all of them). Anything else is
// shown by number, and amounts in wei.
var chains = map[uint64]struct{ name, symbol string }{
	1:        {"Ethereum mainnet", "ETH"},
	10:       {"OP Mainnet", "ETH"},
	56:       {"BNB Smart Chain", "BNB"},
	100:      {"Gnosis", "xDAI"},
	137:      {"Polygon PoS", "POL"},
	8453:     {"Base", "ETH"},
	17000:    {"Holesky testnet", "testnet ETH"},
	42161:    {"Arbitrum One", "ETH"},
	560048:   {"Hoodi testnet", "testnet ETH"},
	11155111: {"Sepolia testnet", "testnet ETH"},
}

// ChainName names a chain id.
func ChainName(id *big.Int) string {
	if id != nil && id.IsUint64() {
		if c, ok := chains[id.Uint64()]; ok {
			return c.name
		}
	}
	return "a chain coldsig does not name; check the number"
}

// FormatValue writes wei in the chain's native currency when coldsig
// knows it, and in wei with 10^18 units otherwise.
func FormatValue(wei, chainID *big.Int) string {
	if chainID != nil && chainID.IsUint64() {
		if c, ok := chains[chainID.Uint64()]; ok {
			return decimal(wei, 18) + " " + c.symbol + " (" + wei.String() + " wei)"
		}
	}
	return wei.String() + " wei (" + decimal(wei, 18) + " units of the chain's native currency)"
}
