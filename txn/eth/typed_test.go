package eth

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func mailJSON(t testing.TB) string {
	t.Helper()
	b, err := readVector("eip712", "valid-eip712-mail.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The example of EIP-712 itself: its hash, and a signature by the key
// keccak256("cow") whose recovered signer is the "from" wallet.
func TestEIP712SpecExample(t *testing.T) {
	td, err := ParseTypedData([]byte(mailJSON(t)))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(td.Hash[:]); got != "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2" {
		t.Fatalf("hash %s", got)
	}
	if err := td.CheckChain(1); err != nil {
		t.Fatal(err)
	}
	if err := td.CheckChain(137); !errors.Is(err, ErrChainID) {
		t.Fatalf("wrong chain: %v", err)
	}
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("cow")))
	if err != nil {
		t.Fatal(err)
	}
	r, s := ceremonySig(t, k, td.Hash)
	sig, err := td.SignTyped(r, s, crypto.CompressPubkey(&k.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if sig[64] != 27 && sig[64] != 28 {
		t.Fatalf("v = %d", sig[64])
	}
	rec := append([]byte(nil), sig...)
	rec[64] -= 27
	pub, err := crypto.SigToPub(td.Hash[:], rec)
	if err != nil || crypto.PubkeyToAddress(*pub).Hex() != "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" {
		t.Fatalf("recovered %v (%v)", pub, err)
	}
	fields, _ := td.Describe(crypto.PubkeyToAddress(k.PublicKey))
	text := fieldText(fields)
	for _, want := range []string{"domain name: Ether Mail", "chain id: 1 (Ethereum mainnet)", "contract: 0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
		"primary type: Mail", "message.from.name: \"Cow\"", "message.to.wallet: 0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", "message.contents: \"Hello, Bob!\""} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestEIP712Refusals(t *testing.T) {
	mail := mailJSON(t)
	for name, tc := range map[string]struct {
		in, want string
	}{
		"extra message field":  {strings.Replace(mail, `"contents": "Hello, Bob!"`, `"contents": "Hello, Bob!", "amount": 5`, 1), "does not declare"},
		"float":                {strings.Replace(strings.Replace(mail, `{"name": "contents", "type": "string"}`, `{"name": "contents", "type": "uint256"}`, 1), `"Hello, Bob!"`, `1.5`, 1), "not an integer"},
		"number for string":    {strings.Replace(mail, `"Hello, Bob!"`, `15`, 1), "a number where a string"},
		"unknown domain field": {strings.Replace(mail, `"version": "1",`, `"version": "1", "chain": 5,`, 1), "unknown field"},
		"duplicate key":        {strings.Replace(mail, `"primaryType": "Mail",`, `"primaryType": "Mail", "primaryType": "Person",`, 1), "duplicate"},
		"missing field":        {strings.Replace(mail, `"contents": "Hello, Bob!"`, `"contentz": "Hello, Bob!"`, 1), "missing"},
		"domain primary":       {strings.Replace(mail, `"primaryType": "Mail"`, `"primaryType": "EIP712Domain"`, 1), "domain itself"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTypedData([]byte(tc.in))
			if !errors.Is(err, ErrTypedData) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	noChain := strings.Replace(strings.Replace(mail, `"chainId": 1,`, "", 1), `{"name": "chainId", "type": "uint256"},`, "", 1)
	td, err := ParseTypedData([]byte(noChain))
	if err != nil {
		t.Fatal(err)
	}
	if err := td.CheckChain(1); !errors.Is(err, ErrChainID) || !strings.Contains(err.Error(), "no chainId") {
		t.Fatalf("no chain id: %v", err)
	}
}
