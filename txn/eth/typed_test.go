package eth

import (
	"encoding/hex"
	"errors"
	"fmt"
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

// withSalt is the mail example with every domain member EIP-712 defines.
func withSalt(mail string) string {
	mail = strings.Replace(mail, `{"name": "verifyingContract", "type": "address"}`, `{"name": "verifyingContract", "type": "address"},
      {"name": "salt", "type": "bytes32"}`, 1)
	return strings.Replace(mail, `"verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"`, `"verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    "salt": "0x1111111111111111111111111111111111111111111111111111111111111111"`, 1)
}

// TestEIP712DomainShownIsHashed (review finding M1): every domain value
// officers see is hashed: changing any of them changes the signing hash
// and the summary. go-ethereum only compares the number of domain members
// with the number of EIP712Domain fields, so a type "name, name,
// verifyingContract" with chainId 1 in the domain showed and checked chain
// 1 but hashed no chain id at all (chain 1 and 5 gave the same hash).
func TestEIP712DomainShownIsHashed(t *testing.T) {
	base := withSalt(mailJSON(t))
	td, err := ParseTypedData([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, shown string }{
		{`"name": "Ether Mail"`, `"name": "Ether Mall"`, "domain name: Ether Mall"},
		{`"version": "1"`, `"version": "2"`, "domain version: 2"},
		{`"chainId": 1`, `"chainId": 5`, "chain id: 5"},
		{`"verifyingContract": "0xCcCC`, `"verifyingContract": "0xDcCC`, "contract: 0xdCCC"},
		{`"salt": "0x11`, `"salt": "0x12`, "domain salt: 0x12"},
	} {
		edited := strings.Replace(base, c.from, c.to, 1)
		if edited == base {
			t.Fatalf("%s not found", c.from)
		}
		td2, err := ParseTypedData([]byte(edited))
		if err != nil {
			t.Fatalf("%s: %v", c.to, err)
		}
		if td2.Hash == td.Hash {
			t.Errorf("%s -> %s: the signing hash did not change", c.from, c.to)
		}
		fields, _ := td2.Describe([20]byte{})
		if text := fieldText(fields); !strings.Contains(strings.ToLower(text), strings.ToLower(c.shown)) {
			t.Errorf("summary lacks %q:\n%s", c.shown, text)
		}
	}

	// The reviewer's document: a chain id shown and checked, not hashed.
	mail := mailJSON(t)
	dup := strings.Replace(mail, `{"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"},`, `{"name": "name", "type": "string"},`, 1)
	dup = strings.Replace(dup, `"version": "1",`, "", 1)
	if dup == mail {
		t.Fatal("edit failed")
	}
	for _, chain := range []string{"1", "5"} {
		_, err := ParseTypedData([]byte(strings.Replace(dup, `"chainId": 1`, `"chainId": `+chain, 1)))
		if !errors.Is(err, ErrTypedData) || !strings.Contains(err.Error(), `EIP712Domain declares "name" twice`) {
			t.Fatalf("chain %s: %v", chain, err)
		}
	}

	for name, tc := range map[string]struct{ in, want string }{
		// A member in the domain that its type does not declare is shown
		// but would not be hashed.
		"chainId not declared": {strings.Replace(mail, `{"name": "chainId", "type": "uint256"},`, ``, 1), `the domain has chainId, which its EIP712Domain type does not declare`},
		// A declared member missing from the domain.
		"version not present": {strings.Replace(mail, `"version": "1",`, ``, 1), `EIP712Domain declares version, which the domain does not have`},
		"chainId as string":   {strings.Replace(mail, `{"name": "chainId", "type": "uint256"}`, `{"name": "chainId", "type": "string"}`, 1), `EIP712Domain field chainId must be uint256, not string`},
		"unknown member":      {strings.Replace(mail, `{"name": "chainId", "type": "uint256"},`, `{"name": "chainId", "type": "uint256"}, {"name": "chain", "type": "uint256"},`, 1), `EIP712Domain field "chain" is not an EIP-712 domain member`},
		"duplicate in a type": {strings.Replace(mail, `{"name": "wallet", "type": "address"}`, `{"name": "wallet", "type": "address"}, {"name": "wallet", "type": "address"}`, 1), `Person declares "wallet" twice`},
		"empty field name":    {strings.Replace(mail, `{"name": "wallet", "type": "address"}`, `{"name": "", "type": "address"}`, 1), `Person has a field without a name`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTypedData([]byte(tc.in))
			if !errors.Is(err, ErrTypedData) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestEIP712LongValues (review finding M2): a string or bytes value is
// shown whole up to 1 KiB (as hex: 512 bytes); beyond, by its length and
// the keccak256 EIP-712 hashes, never cut silently.
func TestEIP712LongValues(t *testing.T) {
	mail := mailJSON(t)
	show := func(contents string) string {
		td, err := ParseTypedData([]byte(strings.Replace(mail, `"Hello, Bob!"`, `"`+contents+`"`, 1)))
		if err != nil {
			t.Fatal(err)
		}
		fields, _ := td.Describe([20]byte{})
		for _, f := range fields {
			if f.Label == "message.contents" {
				return f.Value
			}
		}
		t.Fatal("no message.contents")
		return ""
	}
	whole := strings.Repeat("a", 1000) + "MARKER" + strings.Repeat("b", 18)
	if got := show(whole); got != `"`+whole+`"` {
		t.Fatalf("a 1 KiB string is not shown whole: %s", got)
	}
	long := strings.Repeat("c", 5000)
	got := show(long)
	if want := fmt.Sprintf("a string of 5000 bytes, too long to show: keccak256 %x", crypto.Keccak256([]byte(long))); !strings.HasPrefix(got, want) {
		t.Fatalf("got %s, want it to start %s", got, want)
	}
	b := make([]byte, 600)
	b[599] = 0xee
	bytesDoc := strings.Replace(strings.Replace(mail, `{"name": "contents", "type": "string"}`, `{"name": "contents", "type": "bytes"}`, 1),
		`"Hello, Bob!"`, `"0x`+hex.EncodeToString(b)+`"`, 1)
	td, err := ParseTypedData([]byte(bytesDoc))
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := td.Describe([20]byte{})
	if text := fieldText(fields); !strings.Contains(text, fmt.Sprintf("message.contents: 600 bytes, too long to show: keccak256 %x", crypto.Keccak256(b))) {
		t.Fatalf("600 bytes:\n%s", text)
	}
}
