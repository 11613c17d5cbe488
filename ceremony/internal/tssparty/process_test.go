package tssparty

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// The multi-process test runs every step of every party in its own OS
// process (this test binary re-executed as TestHelperProcess), passing the
// party between steps only as snapshot bytes in a file: the way coldsig
// runs a ceremony, one invocation per step.

const helperEnv = "COLDSIG_TSSPARTY_HELPER_DIR"

type procSpec struct {
	Flow    Flow     `json:"flow"`
	Keys    []string `json:"keys"` // hex party keys of the committee
	Self    int      `json:"self"` // index into Keys
	T       int      `json:"t"`
	Msg     string   `json:"msg,omitempty"`      // hex, signing only
	KeyFile string   `json:"key_file,omitempty"` // tss-lib JSON key data, signing only
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHelperProcess is one step of one party; it does nothing unless run
// by a procParty.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestSeparateProcesses")
	}
	var p *Party
	var out []tss.Message
	var res any
	var err error
	if _, serr := os.Stat(filepath.Join(dir, "state")); errors.Is(serr, os.ErrNotExist) {
		p = buildFromSpec(t, dir)
		out, err = p.Start()
	} else {
		data, rerr := os.ReadFile(filepath.Join(dir, "state"))
		if rerr != nil {
			t.Fatal(rerr)
		}
		if p, err = Restore(data); err != nil {
			t.Fatal(err)
		}
		var in []wireMsg
		readJSON(t, filepath.Join(dir, "in.json"), &in)
		out, res, err = p.Feed(toInbound(in))
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, filepath.Join(dir, "out.json"), toWire(t, out))
	if res != nil {
		writeJSON(t, filepath.Join(dir, "result.json"), res)
	}
}

func buildFromSpec(t *testing.T, dir string) *Party {
	t.Helper()
	var s procSpec
	readJSON(t, filepath.Join(dir, "spec.json"), &s)
	var u tss.UnSortedPartyIDs
	var self *tss.PartyID
	for i, k := range s.Keys {
		b, err := hex.DecodeString(k)
		if err != nil {
			t.Fatal(err)
		}
		id := tss.NewPartyID(k, "", new(big.Int).SetBytes(b))
		if i == s.Self {
			self = id
		}
		u = append(u, id)
	}
	ids := tss.SortPartyIDs(u)
	params := tss.NewParameters(curve(s.Flow.ecdsa()), tss.NewPeerContext(ids), self, len(ids), s.T)
	msg, err := hex.DecodeString(s.Msg)
	if err != nil {
		t.Fatal(err)
	}
	var p *Party
	switch s.Flow {
	case EdDSAKeygen:
		p, err = NewEdDSAKeygen(params)
	case EdDSASign:
		var k eddsakeygen.LocalPartySaveData
		readJSON(t, s.KeyFile, &k)
		p, err = NewEdDSASign(new(big.Int).SetBytes(msg), params, k, len(msg))
	case ECDSASign:
		var k ecdsakeygen.LocalPartySaveData
		readJSON(t, s.KeyFile, &k)
		p, err = NewECDSASign(new(big.Int).SetBytes(msg), params, k, len(msg))
	default:
		t.Fatalf("flow %v not supported by the helper", s.Flow)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// procParty is a stepper whose every step is a fresh OS process.
type procParty struct {
	dir  string
	k    []byte
	flow Flow
}

func (p *procParty) key() []byte { return p.k }

func (p *procParty) exec(tb testing.TB) ([]wireMsg, any) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+p.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("helper process for %s: %v\n%s", p.dir, err, out)
	}
	t := tb.(*testing.T)
	var out []wireMsg
	readJSON(t, filepath.Join(p.dir, "out.json"), &out)
	resPath := filepath.Join(p.dir, "result.json")
	if _, err := os.Stat(resPath); err != nil {
		return out, nil
	}
	var res any
	switch p.flow {
	case EdDSAKeygen:
		var k eddsakeygen.LocalPartySaveData
		readJSON(t, resPath, &k)
		res = &k
	default:
		var s common.SignatureData
		readJSON(t, resPath, &s)
		res = &s
	}
	if err := os.Remove(resPath); err != nil {
		tb.Fatal(err)
	}
	return out, res
}

func (p *procParty) start(tb testing.TB) []wireMsg {
	out, _ := p.exec(tb)
	return out
}

func (p *procParty) feed(tb testing.TB, in []wireMsg) ([]wireMsg, any) {
	writeJSON(tb.(*testing.T), filepath.Join(p.dir, "in.json"), in)
	return p.exec(tb)
}

// procParties writes one spec per member and returns their steppers.
func procParties(t *testing.T, flow Flow, ids tss.SortedPartyIDs, members []int, tt int, msg []byte, keys []any) []stepper {
	t.Helper()
	var hexKeys []string
	for _, i := range members {
		hexKeys = append(hexKeys, hex.EncodeToString(ids[i].Key))
	}
	var out []stepper
	for n, i := range members {
		dir := t.TempDir()
		s := procSpec{Flow: flow, Keys: hexKeys, Self: n, T: tt, Msg: hex.EncodeToString(msg)}
		if keys != nil {
			s.KeyFile = filepath.Join(dir, "key.json")
			writeJSON(t, s.KeyFile, keys[i])
		}
		writeJSON(t, filepath.Join(dir, "spec.json"), s)
		out = append(out, &procParty{dir: dir, k: ids[i].Key, flow: flow})
	}
	return out
}

func TestSeparateProcesses(t *testing.T) {
	t.Run("eddsa", func(t *testing.T) {
		ids := newIDs(t, 3)
		keys := run(t, procParties(t, EdDSAKeygen, ids, []int{0, 1, 2}, 1, nil, nil))
		pub := verifyEdDSAKeys(t, keys)
		msg := []byte("signed across processes")
		verifyEdDSASig(t, pub, msg, run(t, procParties(t, EdDSASign, ids, []int{0, 2}, 1, msg, keys)))
	})
	t.Run("ecdsa-sign", func(t *testing.T) {
		ks := sharedECDSAKeygen(t)
		pub := verifyECDSAKeys(t, ks.keys)
		digest := sha256.Sum256([]byte("ECDSA signed across processes"))
		verifyECDSASig(t, pub, digest[:], run(t, procParties(t, ECDSASign, ks.ids, []int{1, 2}, 1, digest[:], ks.keys)))
	})
}
