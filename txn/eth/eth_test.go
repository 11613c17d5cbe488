package eth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func testKey(t testing.TB) (*ecdsa.PrivateKey, []byte, common.Address) {
	t.Helper()
	h := sha256.Sum256([]byte("coldsig eth test key"))
	k, err := crypto.ToECDSA(h[:])
	if err != nil {
		t.Fatal(err)
	}
	return k, crypto.CompressPubkey(&k.PublicKey), crypto.PubkeyToAddress(k.PublicKey)
}

// ceremonySig signs hash as a ceremony would hand it over: r and s only.
func ceremonySig(t testing.TB, k *ecdsa.PrivateKey, hash [32]byte) (r, s []byte) {
	t.Helper()
	sig, err := crypto.Sign(hash[:], k)
	if err != nil {
		t.Fatal(err)
	}
	return sig[:32], sig[32:64]
}

const tx1559JSON = `{
  "from": "%FROM%",
  "to": "0x3535353535353535353535353535353535353535",
  "value": "0xde0b6b3a7640000",
  "nonce": "0x7",
  "gas": "0x5208",
  "maxFeePerGas": "0x6fc23ac00",
  "maxPriorityFeePerGas": "0x77359400",
  "chainId": "0x1"
}`

func TestEIP1559JSONAndPayloadAgree(t *testing.T) {
	k, pub, addr := testKey(t)
	tx, from, err := ParseRequest([]byte(strings.ReplaceAll(tx1559JSON, "%FROM%", addr.Hex())))
	if err != nil {
		t.Fatal(err)
	}
	if from == nil || *from != addr || tx.Tx.Type() != types.DynamicFeeTxType {
		t.Fatalf("from %v type %d", from, tx.Tx.Type())
	}
	// The same transaction given as its unsigned payload in hex.
	tx2, from2, err := ParseRequest([]byte(hexutil.Encode(tx.Payload) + "\n"))
	if err != nil || from2 != nil || tx2.Hash != tx.Hash {
		t.Fatalf("payload form: %v", err)
	}
	if err := tx.CheckChain(1); err != nil {
		t.Fatal(err)
	}
	if err := tx.CheckChain(5); !errors.Is(err, ErrChainID) {
		t.Fatalf("wrong chain: %v", err)
	}
	r, s := ceremonySig(t, k, tx.Hash)
	signed, err := tx.Sign(r, s, pub)
	if err != nil {
		t.Fatal(err)
	}
	// Independent: decode the raw transaction and recover its sender
	// with go-ethereum; and go-ethereum's own signing of the same
	// transaction with the same (deterministic) signature gives the same
	// bytes.
	var dec types.Transaction
	if err := dec.UnmarshalBinary(signed.Raw); err != nil {
		t.Fatal(err)
	}
	sender, err := types.Sender(types.LatestSignerForChainID(big.NewInt(1)), &dec)
	if err != nil || sender != addr {
		t.Fatalf("sender %s, want %s (%v)", sender, addr, err)
	}
	ref, err := types.SignTx(tx.Tx, types.LatestSignerForChainID(big.NewInt(1)), k)
	if err != nil {
		t.Fatal(err)
	}
	refRaw, _ := ref.MarshalBinary()
	if !bytes.Equal(refRaw, signed.Raw) {
		t.Fatalf("raw %x\nwant %x", signed.Raw, refRaw)
	}
	if len(signed.Sig) != 65 || signed.Sig[64] > 1 {
		t.Fatalf("eth-signature %x", signed.Sig)
	}
	// A signature of something else does not pass.
	r2, s2 := ceremonySig(t, k, sha256.Sum256([]byte("other")))
	if _, err := tx.Sign(r2, s2, pub); !errors.Is(err, ErrSignature) {
		t.Fatalf("wrong signature: %v", err)
	}
	fields, warnings := tx.Describe(addr)
	text := fieldText(fields)
	for _, want := range []string{"chain id: 1 (Ethereum mainnet)", "value: 1 ETH (1000000000000000000 wei)", "max fee: 30 gwei per gas",
		"priority fee: 2 gwei per gas", "fee at most: 0.00063 ETH", "data: none (a plain transfer of ETH)", "nonce: 7"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
}

func fieldText(fs []Field) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	return b.String()
}

func TestLegacyEIP155(t *testing.T) {
	k, pub, addr := testKey(t)
	to := common.HexToAddress("0x3535353535353535353535353535353535353535")
	ltx := types.NewTx(&types.LegacyTx{Nonce: 9, GasPrice: big.NewInt(20e9), Gas: 21000, To: &to, Value: big.NewInt(1e18)})
	payload, err := Unsigned(ltx, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	// EIP-155's own example signing data.
	if want := "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080"; hexutil.Encode(payload)[2:] != want {
		t.Fatalf("payload %x, want EIP-155 example %s", payload, want)
	}
	tx, _, err := ParseRequest([]byte(hexutil.Encode(payload)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"; common.Bytes2Hex(tx.Hash[:]) != want {
		t.Fatalf("hash %x, want EIP-155 example %s", tx.Hash, want)
	}
	r, s := ceremonySig(t, k, tx.Hash)
	signed, err := tx.Sign(r, s, pub)
	if err != nil {
		t.Fatal(err)
	}
	var dec types.Transaction
	if err := dec.UnmarshalBinary(signed.Raw); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := dec.RawSignatureValues(); v.Uint64() != 37 && v.Uint64() != 38 {
		t.Fatalf("v = %d, want 37 or 38 (EIP-155, chain 1)", v)
	}
	sender, err := types.Sender(types.NewEIP155Signer(big.NewInt(1)), &dec)
	if err != nil || sender != addr {
		t.Fatalf("sender %s (%v)", sender, err)
	}
}

func TestRequestRefusals(t *testing.T) {
	_, _, addr := testKey(t)
	base := strings.ReplaceAll(tx1559JSON, "%FROM%", addr.Hex())
	preEIP155 := "0xe9098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080"
	for name, tc := range map[string]struct {
		in   string
		want error
	}{
		"no chain id": {strings.Replace(base, `,
  "chainId": "0x1"`, "", 1), ErrChainID},
		"pre-EIP-155 legacy":      {preEIP155, ErrChainID},
		"blob":                    {strings.Replace(base, `"chainId"`, `"maxFeePerBlobGas": "0x1", "chainId"`, 1), ErrTxType},
		"type 1":                  {`{"to":"0x3535353535353535353535353535353535353535","gas":"0x5208","gasPrice":"0x1","value":"0x0","nonce":"0x0","chainId":"0x1","accessList":[]}`, ErrTxType},
		"unknown field":           {strings.Replace(base, `"chainId"`, `"chainID2": "0x5", "chainId"`, 1), ErrTx},
		"duplicate key":           {strings.Replace(base, `"nonce": "0x7",`, `"nonce": "0x7", "nonce": "0x8",`, 1), ErrTx},
		"bad checksum":            {strings.Replace(base, "0x3535353535353535353535353535353535353535", badChecksum(), 1), ErrTx},
		"type 3 payload":          {"0x03c0", ErrTxType},
		"trailing bytes":          {"0x02c0c0", ErrTx},
		"not hex":                 {"hello", ErrTx},
		"both gas price and 1559": {strings.Replace(base, `"chainId"`, `"gasPrice": "0x1", "chainId"`, 1), ErrTx},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParseRequest([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeCall(t *testing.T) {
	word := func(b []byte) []byte { return common.LeftPadBytes(b, 32) }
	recipient := common.HexToAddress("0x1111111111111111111111111111111111111111")
	transfer := append(append(selTransfer[:4:4], word(recipient[:])...), word(big.NewInt(2500000).Bytes())...)
	f, w := DecodeCall(transfer)
	if text := fieldText(f); !strings.Contains(text, "ERC-20 transfer") || !strings.Contains(text, recipient.Hex()) || !strings.Contains(text, "2500000 token units") || len(w) != 0 {
		t.Fatalf("transfer:\n%s%q", text, w)
	}
	approve := append(append(selApprove[:4:4], word(recipient[:])...), maxUint256.Bytes()...)
	f, w = DecodeCall(approve)
	if text := fieldText(f); !strings.Contains(text, "ERC-20 approve") || !strings.Contains(text, "unlimited") || len(w) != 2 {
		t.Fatalf("approve:\n%s%q", text, w)
	}
	// Dirty high bytes in the address word: not what it seems, so unknown.
	dirty := append([]byte(nil), transfer...)
	dirty[4] = 1
	f, w = DecodeCall(dirty)
	if text := fieldText(f); !strings.Contains(text, "unknown: selector 0xa9059cbb") || len(w) != 1 {
		t.Fatalf("dirty:\n%s%q", text, w)
	}
	f, w = DecodeCall([]byte{0xde, 0xad, 0xbe, 0xef, 1, 2})
	if text := fieldText(f); !strings.Contains(text, "unknown: selector 0xdeadbeef, 2 bytes") || !strings.Contains(text, "0xdeadbeef0102") || len(w) != 1 {
		t.Fatalf("unknown:\n%s%q", text, w)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[string]string{
		"0":                   "0 ETH (0 wei)",
		"1":                   "0.000000000000000001 ETH (1 wei)",
		"1500000000000000000": "1.5 ETH (1500000000000000000 wei)",
	} {
		v, _ := new(big.Int).SetString(in, 10)
		if got := FormatWei(v); got != want {
			t.Errorf("FormatWei(%s) = %q, want %q", in, got, want)
		}
	}
	if got := FormatGwei(big.NewInt(1_500_000_000)); got != "1.5 gwei" {
		t.Errorf("FormatGwei = %q", got)
	}
}

// badChecksum is a valid EIP-55 address with the case of one letter
// flipped.
func badChecksum() string {
	a := []byte(common.HexToAddress("0xdac17f958d2ee523a2206206994597c13d831ec7").Hex())
	for i := 2; i < len(a); i++ {
		if a[i] >= 'a' && a[i] <= 'f' {
			a[i] -= 'a' - 'A'
			break
		}
	}
	return string(a)
}
