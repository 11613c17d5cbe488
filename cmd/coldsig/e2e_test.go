package main

// End-to-end ceremonies through the real binary: every party has its own
// work dir, every round is a separate coldsig process, and envelopes travel
// through one shared directory standing in for a USB stick. Results are
// verified with verifiers independent of coldsig and tss-lib.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"golang.org/x/crypto/sha3"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// coldsigBinary builds the shipped binary once per test process.
func coldsigBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := testBinDir("e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "coldsig")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cli runs coldsig commands for a test.
type cli struct {
	t   testing.TB
	bin string
	dir string
	// shares maps a party to the work dir suffix holding its current
	// share (tests that chain keygen, reshare and signing).
	shares map[string]string
}

type result struct {
	code           int
	stdout, stderr string
}

// command prepares a coldsig process in the ceremony directory, with no
// passphrase file inherited from the environment.
func (c *cli) command(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "COLDSIG_PASSPHRASE_FILE=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	return cmd, &o, &e
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	cmd, o, e := c.command(args...)
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			c.t.Fatalf("coldsig %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{code, o.String(), e.String()}
}

// ok runs a command that must succeed.
func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("coldsig %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// recipients are the age recipients of the test parties' cards, for
// sealing a crafted envelope to them.
func (c *cli) recipients(names ...string) []age.Recipient {
	c.t.Helper()
	var rcpts []age.Recipient
	for _, n := range names {
		card, err := identity.LoadCard(c.path("ids", n+".card"))
		if err != nil {
			c.t.Fatal(err)
		}
		rcpts = append(rcpts, card.Recipient)
	}
	return rcpts
}

func (c *cli) path(p ...string) string { return filepath.Join(append([]string{c.dir}, p...)...) }

// newCLI sets up a ceremony directory with identities for the named
// parties (unprotected identities: tests only).
func newCLI(t testing.TB, names ...string) *cli {
	c := &cli{t: t, bin: coldsigBinary(t), dir: t.TempDir()}
	for _, n := range names {
		c.ok("identity", "new", n, "--dir", "ids", "--no-passphrase")
	}
	return c
}

// preparams writes a TEST-ONLY pre-parameters file for name from the
// committed fixtures (generating safe primes would take minutes).
func (c *cli) preparams(name string, fixture int) string {
	c.t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "preparams", fmt.Sprintf("test-only-%d.json", fixture)))
	if err != nil {
		c.t.Fatal(err)
	}
	var pp ecdsakeygen.LocalPreParams
	if err := json.Unmarshal(raw, &pp); err != nil {
		c.t.Fatal(err)
	}
	card, err := identity.LoadCard(c.path("ids", name+".card"))
	if err != nil {
		c.t.Fatal(err)
	}
	data, err := ceremony.SealPreParams(&pp, card.Recipient)
	if err != nil {
		c.t.Fatal(err)
	}
	p := c.path(name + "-" + fmt.Sprint(fixture) + ".pp")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// party is one officer in one ceremony.
type party struct {
	name    string
	workdir string
	join    []string // extra join flags
}

// ceremonyRun joins every party and steps them until all have results,
// moving outboxes to a shared stick between rounds.
func (c *cli) ceremonyRun(planPath, stick string, parties []party) {
	c.t.Helper()
	c.ceremonySteps(planPath, stick, parties)
}

// ceremonySteps is ceremonyRun, returning how many step invocations
// advanced each party (exit 0).
func (c *cli) ceremonySteps(planPath, stick string, parties []party) map[string]int {
	c.t.Helper()
	if err := os.MkdirAll(c.path(stick), 0o700); err != nil {
		c.t.Fatal(err)
	}
	for _, p := range parties {
		args := append([]string{"join", "--yes", planPath, "--identity", "ids/" + p.name + ".key", "--workdir", p.workdir}, p.join...)
		c.ok(args...)
		c.move(p.workdir, stick)
	}
	steps := map[string]int{}
	for iter := 0; ; iter++ {
		if iter > 30 {
			c.t.Fatalf("ceremony did not finish after %d passes", iter)
		}
		done := 0
		progressed := false
		for _, p := range parties {
			if c.finished(p.workdir) {
				done++
				continue
			}
			r := c.run("step", "--workdir", p.workdir, "--identity", "ids/"+p.name+".key", "--inbox", stick)
			switch r.code {
			case 0:
				progressed = true
				steps[p.name]++
			case exitWaiting:
			default:
				c.t.Fatalf("%s step: exit %d\n%s%s", p.name, r.code, r.stdout, r.stderr)
			}
			c.move(p.workdir, stick)
		}
		if done == len(parties) {
			return steps
		}
		if !progressed && iter > 0 {
			c.t.Fatalf("no party progressed in pass %d", iter)
		}
	}
}

func (c *cli) finished(workdir string) bool {
	r := c.ok("status", "--workdir", workdir, "--json")
	var st struct{ State string }
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		c.t.Fatal(err)
	}
	return st.State == string(ceremony.StateFinished)
}

// readDirT lists dir; a missing dir is empty, any other error fails the
// test (an unreadable dir must not make a check pass vacuously).
func readDirT(t testing.TB, dir string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return entries
}

// readFileT reads a file the test needs, failing the test if it cannot.
func readFileT(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeFileT writes a test's setup file (mode 0600, directories made as
// needed); a setup that fails must fail the test, never let it run on
// other inputs than it says.
func writeFileT(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// move copies every envelope of a party's outbox onto the stick.
func (c *cli) move(workdir, stick string) {
	c.t.Helper()
	if err := os.MkdirAll(c.path(stick), 0o700); err != nil {
		c.t.Fatal(err)
	}
	entries := readDirT(c.t, c.path(workdir, "outbox"))
	for _, e := range entries {
		data, err := os.ReadFile(c.path(workdir, "outbox", e.Name()))
		if err != nil {
			c.t.Fatal(err)
		}
		dst := c.path(stick, e.Name())
		if old, err := os.ReadFile(dst); err == nil {
			if !bytes.Equal(old, data) {
				c.t.Fatalf("%s: two different envelopes under one name", dst)
			}
			continue
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			c.t.Fatal(err)
		}
	}
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type publicJSON struct {
	Curve      string `json:"curve"`
	Threshold  int    `json:"threshold"`
	PublicKey  string `json:"public_key"`
	EthAddress string `json:"eth_address"`
	KeyID      string `json:"key_id"`
	Transcript string `json:"transcript"`
	Parties    []struct {
		Name string `json:"name"`
	} `json:"parties"`
}

type signatureJSON struct {
	Curve        string `json:"curve"`
	PublicKey    string `json:"public_key"`
	Digest       string `json:"digest"`
	Message      string `json:"message"`
	R, S         string
	V            int    `json:"v"`
	DER          string `json:"der"`
	EthSignature string `json:"eth_signature"`
	EthAddress   string `json:"eth_address"`
	Signature    string `json:"signature"`
	Transcript   string `json:"transcript"`
}

// sameFiles asserts that a result file is byte-identical on every party.
func (c *cli) sameFiles(rel string, workdirs ...string) []byte {
	c.t.Helper()
	var first []byte
	for i, w := range workdirs {
		data, err := os.ReadFile(c.path(w, rel))
		if err != nil {
			c.t.Fatal(err)
		}
		if i == 0 {
			first = data
		} else if !bytes.Equal(first, data) {
			c.t.Fatalf("%s differs between %s and %s", rel, workdirs[0], w)
		}
	}
	return first
}

// independentEthAddress derives the EIP-55 address from a compressed key
// without coldsig code.
func independentEthAddress(t testing.TB, compressed []byte) string {
	pk, err := btcec.ParsePubKey(compressed)
	if err != nil {
		t.Fatal(err)
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(pk.SerializeUncompressed()[1:])
	addr := hex.EncodeToString(h.Sum(nil)[12:])
	hh := sha3.NewLegacyKeccak256()
	hh.Write([]byte(addr))
	hash := hex.EncodeToString(hh.Sum(nil))
	out := []byte(addr)
	for i := range out {
		if out[i] >= 'a' && hash[i] >= '8' {
			out[i] -= 32
		}
	}
	return "0x" + string(out)
}

func verifyECDSA(t testing.TB, pub publicJSON, sig signatureJSON, digest []byte) {
	t.Helper()
	pk, _ := hex.DecodeString(pub.PublicKey)
	key, err := btcec.ParsePubKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	if sig.Digest != hex.EncodeToString(digest) {
		t.Fatalf("signature.json digest %s, want %x", sig.Digest, digest)
	}
	r, _ := new(big.Int).SetString(sig.R, 16)
	s, _ := new(big.Int).SetString(sig.S, 16)
	if !ecdsa.Verify(&ecdsa.PublicKey{Curve: btcec.S256(), X: key.X(), Y: key.Y()}, digest, r, s) {
		t.Fatal("crypto/ecdsa: signature does not verify")
	}
	if s.Cmp(new(big.Int).Rsh(btcec.S256().N, 1)) > 0 {
		t.Fatal("s is not low-S")
	}
	es, _ := hex.DecodeString(sig.EthSignature)
	if len(es) != 65 || es[64] != byte(sig.V+27) {
		t.Fatalf("eth_signature malformed: %x", es)
	}
	compact := append([]byte{es[64] + 4}, es[:64]...)
	rec, _, err := btcecdsa.RecoverCompact(compact, digest)
	if err != nil {
		t.Fatal(err)
	}
	if got := independentEthAddress(t, rec.SerializeCompressed()); got != pub.EthAddress || got != sig.EthAddress {
		t.Fatalf("recovered address %s, public.json %s, signature.json %s", got, pub.EthAddress, sig.EthAddress)
	}
	if independentEthAddress(t, pk) != pub.EthAddress {
		t.Fatal("public.json eth_address is not the key's address")
	}
}

func eip191(msg string) []byte {
	h := sha3.NewLegacyKeccak256()
	fmt.Fprintf(h, "\x19Ethereum Signed Message:\n%d%s", len(msg), msg)
	return h.Sum(nil)
}

func skipIfShort(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end ceremonies run ECDSA keygen through the binary; skipped with -short")
	}
}

func names(parties []party) []string {
	var out []string
	for _, p := range parties {
		out = append(out, p.workdir)
	}
	return out
}

// ecdsaKeygen runs an n-party secp256k1 keygen and returns the parties.
func (c *cli) ecdsaKeygen(threshold int, who []string, ppBase int) []party {
	args := []string{"plan", "keygen", "--curve", "secp256k1", "--threshold", fmt.Sprint(threshold)}
	for _, n := range who {
		args = append(args, "--party", "ids/"+n+".card")
	}
	c.ok(append(args, "-o", "keygen.plan")...)
	var ps []party
	for i, n := range who {
		ps = append(ps, party{name: n, workdir: n + "-kg", join: []string{"--preparams", c.preparams(n, ppBase+i)}})
	}
	c.ceremonyRun("keygen.plan", "stick-kg", ps)
	return ps
}

func TestE2EECDSA2of3(t *testing.T) {
	skipIfShort(t)
	c := newCLI(t, "alice", "bob", "carol")
	kg := c.ecdsaKeygen(2, []string{"alice", "bob", "carol"}, 0)
	pubBytes := c.sameFiles("result/public.json", names(kg)...)
	var pub publicJSON
	if err := json.Unmarshal(pubBytes, &pub); err != nil {
		t.Fatal(err)
	}
	if pub.Curve != "secp256k1" || pub.Threshold != 2 || len(pub.Parties) != 3 || len(pub.PublicKey) != 66 {
		t.Fatalf("public.json: %+v", pub)
	}
	// The receipt's transcript digest is the same everywhere; its log head
	// is each party's own.
	var transcripts []string
	for _, p := range kg {
		data, err := os.ReadFile(c.path(p.workdir, "result", "transcript.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "transcript: ") {
				transcripts = append(transcripts, strings.TrimPrefix(line, "transcript: "))
			}
		}
	}
	if len(transcripts) != 3 || transcripts[0] != transcripts[1] || transcripts[1] != transcripts[2] || transcripts[0] != pub.Transcript {
		t.Fatalf("transcript digests differ: %v (public.json %s)", transcripts, pub.Transcript)
	}
	for _, p := range kg {
		if _, err := os.Stat(c.path(p.workdir, "result", "share.age")); err != nil {
			t.Fatal(err)
		}
		if data := readFileT(t, c.path(p.workdir, "result", "share.age")); !bytes.HasPrefix(data, []byte("age-encryption.org/v1\n")) {
			t.Fatal("share.age is not an age file")
		}
		// Pre-params are single use: join deleted them.
		if ents, _ := filepath.Glob(c.path(p.name + "-*.pp")); len(ents) != 0 {
			t.Fatalf("used pre-parameters left on disk: %v", ents)
		}
		if ents := readDirT(t, c.path(p.workdir, "state")); len(ents) != 0 {
			t.Fatalf("%s: state not destroyed after finish: %v", p.workdir, ents)
		}
	}

	msg := "pay 1 ETH to the cold wallet, ceremony 2026-11-25"
	c.ok("plan", "sign", "--key", "alice-kg/result/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card", "--message", msg, "-o", "sign.plan")
	sg := []party{
		{name: "alice", workdir: "alice-sg", join: []string{"--share", "alice-kg/result/share.age"}},
		{name: "carol", workdir: "carol-sg", join: []string{"--share", "carol-kg/result/share.age"}},
	}
	c.ceremonyRun("sign.plan", "stick-sg", sg)
	sigBytes := c.sameFiles("result/signature.json", names(sg)...)
	var sig signatureJSON
	if err := json.Unmarshal(sigBytes, &sig); err != nil {
		t.Fatal(err)
	}
	verifyECDSA(t, pub, sig, eip191(msg))
	out := c.ok("verify", "--key", "alice-kg/result/public.json", "--signature", "alice-sg/result/signature.json", "--message", msg)
	if !strings.Contains(out.stdout, "OK: valid secp256k1 signature") || !strings.Contains(out.stdout, "matches   the given message (EIP-191 digest ") {
		t.Fatalf("verify: %s", out.stdout)
	}
	// issue 11 point 9: status shows the key's address after the keygen,
	// and the Ethereum signature with the message after the signing.
	st := c.ok("status", "--workdir", "bob-kg")
	if !strings.Contains(st.stdout, "\naddress   "+pub.EthAddress+"\n") || !strings.Contains(st.stdout, "\nkey id    "+pub.KeyID+"\n") {
		t.Fatalf("status after keygen does not show key id %s and address %s:\n%s", pub.KeyID, pub.EthAddress, st.stdout)
	}
	st = c.ok("status", "--workdir", "carol-sg")
	if !strings.Contains(st.stdout, "\nsignature 0x"+sig.EthSignature+"\n") || !strings.Contains(st.stdout, "\n  "+msg+"\n") || !strings.Contains(st.stdout, "\naddress   "+pub.EthAddress+"\n") {
		t.Fatalf("status after signing does not show the signature with the message:\n%s", st.stdout)
	}
}

func TestE2EECDSA3of5(t *testing.T) {
	skipIfShort(t)
	who := []string{"p1", "p2", "p3", "p4", "p5"}
	c := newCLI(t, who...)
	kg := c.ecdsaKeygen(3, who, 3)
	var pub publicJSON
	if err := json.Unmarshal(c.sameFiles("result/public.json", names(kg)...), &pub); err != nil {
		t.Fatal(err)
	}
	content := []byte("firmware image v1.2.3\n")
	if err := os.WriteFile(c.path("firmware.bin"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("plan", "sign", "--key", "p1-kg/result/public.json", "--signer", "ids/p2.card", "--signer", "ids/p4.card", "--signer", "ids/p5.card", "--file", "firmware.bin", "-o", "sign.plan")
	var sg []party
	for _, n := range []string{"p2", "p4", "p5"} {
		sg = append(sg, party{name: n, workdir: n + "-sg", join: []string{"--share", n + "-kg/result/share.age"}})
	}
	c.ceremonyRun("sign.plan", "stick-sg", sg)
	var sig signatureJSON
	readJSON(t, c.path("p2-sg", "result", "signature.json"), &sig)
	d := sha256.Sum256(content)
	verifyECDSA(t, pub, sig, d[:])
}

func TestE2EEd25519(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "keygen.plan")
	var kg []party
	for _, n := range []string{"alice", "bob", "carol"} {
		kg = append(kg, party{name: n, workdir: n + "-kg"})
	}
	c.ceremonyRun("keygen.plan", "stick-kg", kg)
	var pub publicJSON
	if err := json.Unmarshal(c.sameFiles("result/public.json", names(kg)...), &pub); err != nil {
		t.Fatal(err)
	}
	msg := "ed25519 ceremony message"
	c.ok("plan", "sign", "--key", "bob-kg/result/public.json", "--signer", "ids/bob.card", "--signer", "ids/carol.card", "--message", msg, "-o", "sign.plan")
	sg := []party{
		{name: "bob", workdir: "bob-sg", join: []string{"--share", "bob-kg/result/share.age"}},
		{name: "carol", workdir: "carol-sg", join: []string{"--share", "carol-kg/result/share.age"}},
	}
	c.ceremonyRun("sign.plan", "stick-sg", sg)
	var sig signatureJSON
	if err := json.Unmarshal(c.sameFiles("result/signature.json", names(sg)...), &sig); err != nil {
		t.Fatal(err)
	}
	pk, _ := hex.DecodeString(pub.PublicKey)
	sb, _ := hex.DecodeString(sig.Signature)
	if !ed25519.Verify(ed25519.PublicKey(pk), []byte(msg), sb) {
		t.Fatalf("crypto/ed25519: signature does not verify (pub %s sig %s)", pub.PublicKey, sig.Signature)
	}
	c.ok("verify", "--key", "bob-kg/result/public.json", "--signature", "bob-sg/result/signature.json")
}

// treeDigest hashes every file under dir (names, modes and contents), to
// show that a refused input changed nothing.
func treeDigest(t testing.TB, dir string) string {
	h := sha256.New()
	var paths []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	for _, p := range paths {
		fi, _ := os.Lstat(p)
		fmt.Fprintf(h, "%s %v\n", strings.TrimPrefix(p, dir), fi.Mode())
		if fi.Mode().IsRegular() {
			f, _ := os.Open(p)
			io.Copy(h, f)
			f.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

var _ = runtime.NumCPU

// edKeygenJoined sets up a 3-party Ed25519 keygen with everyone joined and
// returns the parties; nothing is on the stick yet.
func edKeygenJoined(t *testing.T, c *cli, planName string) []party {
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", planName)
	var ps []party
	for _, n := range []string{"alice", "bob", "carol"} {
		p := party{name: n, workdir: n + "-" + strings.TrimSuffix(planName, ".plan")}
		c.ok("join", "--yes", planName, "--identity", "ids/"+n+".key", "--workdir", p.workdir)
		ps = append(ps, p)
	}
	return ps
}

func (c *cli) step(p party, inbox string) result {
	return c.run("step", "--workdir", p.workdir, "--identity", "ids/"+p.name+".key", "--inbox", inbox)
}

func TestE2EFailurePaths(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol", "dave")
	ps := edKeygenJoined(t, c, "kg.plan")
	alice, bob, carol := ps[0], ps[1], ps[2]
	if err := os.MkdirAll(c.path("stick"), 0o700); err != nil {
		t.Fatal(err)
	}

	t.Run("party not in plan", func(t *testing.T) {
		r := c.run("join", "--yes", "kg.plan", "--identity", "ids/dave.key", "--workdir", "dave-kg")
		if r.code != 1 || !strings.Contains(r.stderr, "dave") || !strings.Contains(r.stderr, "not a party of this plan") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if _, err := os.Stat(c.path("dave-kg")); err == nil {
			t.Fatal("work dir created for a party not in the plan")
		}
	})

	t.Run("second join re-emits round 1", func(t *testing.T) {
		before := treeDigest(t, c.path(alice.workdir))
		os.RemoveAll(c.path(alice.workdir, "outbox"))
		r := c.run("join", "--yes", "kg.plan", "--identity", "ids/alice.key", "--workdir", alice.workdir)
		if r.code != 0 || !strings.Contains(r.stdout, "already taken") {
			t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if treeDigest(t, c.path(alice.workdir)) != before {
			t.Fatal("a repeated join did not restore the identical outbox")
		}
	})

	t.Run("missing envelopes", func(t *testing.T) {
		c.move(bob.workdir, "stick")
		before := treeDigest(t, c.path(alice.workdir))
		r := c.step(alice, "stick")
		if r.code != exitWaiting {
			t.Fatalf("exit %d, want %d: %s", r.code, exitWaiting, r.stderr)
		}
		if !strings.Contains(r.stderr, "coldsig: waiting: round 1 envelopes missing from carol (party 3)\n") ||
			!strings.Contains(r.stderr, "coldsig: round 1 envelopes there from bob (party 2)\n") {
			t.Fatalf("message does not name exactly carol as missing and bob as there: %s", r.stderr)
		}
		if treeDigest(t, c.path(alice.workdir)) != before {
			t.Fatal("step with missing envelopes changed the work dir")
		}
	})

	t.Run("tampered envelope", func(t *testing.T) {
		c.move(carol.workdir, "stick")
		if err := os.MkdirAll(c.path("bad"), 0o700); err != nil {
			t.Fatal(err)
		}
		entries := readDirT(t, c.path("stick"))
		for _, e := range entries {
			data := readFileT(t, c.path("stick", e.Name()))
			if strings.Contains(e.Name(), "-p3-") {
				data[len(data)-10] ^= 1
			}
			writeFileT(t, c.path("bad", e.Name()), data)
		}
		before := treeDigest(t, c.path(alice.workdir))
		r := c.step(alice, "bad")
		if r.code != 1 || !strings.Contains(r.stderr, "-p3-") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if treeDigest(t, c.path(alice.workdir)) != before {
			t.Fatal("tampered input changed the work dir")
		}
	})

	t.Run("other session is skipped", func(t *testing.T) {
		other := edKeygenJoined(t, c, "other.plan")
		c.move(other[1].workdir, "stick")
		c.move(other[2].workdir, "stick")
		r := c.step(alice, "stick")
		if r.code != 0 || !strings.Contains(r.stderr, "other session") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
}

// TestE2EEquivocation: bob sends carol a different round-1 broadcast than
// everyone else. Both are validly signed by bob. The session must abort
// before anyone gets a key, and no party may finish.
func TestE2EEquivocation(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	ps := edKeygenJoined(t, c, "kg.plan")
	other := edKeygenJoined(t, c, "other.plan")
	alice, bob, carol := ps[0], ps[1], ps[2]
	for _, p := range ps {
		c.move(p.workdir, "stick")
	}
	bobID := loadTestIdentity(t, c.path("ids", "bob.key"))
	carolID := loadTestIdentity(t, c.path("ids", "carol.key"))
	// bob's broadcast from the other session: a valid tss-lib round-1
	// message with different content.
	var forged []byte
	for _, f := range globT(t, c.path(other[1].workdir, "outbox", "*-to-all.age")) {
		data := readFileT(t, f)
		env, err := envelope.Open(data, carolID)
		if err != nil {
			t.Fatal(err)
		}
		var real *envelope.Envelope
		for _, g := range globT(t, c.path(bob.workdir, "outbox", "*-to-all.age")) {
			d := readFileT(t, g)
			if real, err = envelope.Open(d, carolID); err != nil {
				t.Fatal(err)
			}
		}
		card, _ := identity.LoadCard(c.path("ids", "carol.card"))
		forged, err = envelope.Seal(real.Header, env.Payload, bobID, []age.Recipient{card.Recipient})
		if err != nil {
			t.Fatal(err)
		}
	}
	// carol's stick has the forged broadcast instead of the real one.
	if err := os.MkdirAll(c.path("carol-stick"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range globT(t, c.path("stick", "*")) {
		data := readFileT(t, f)
		name := filepath.Base(f)
		if strings.Contains(name, "-p2-to-all") {
			data = forged
		}
		writeFileT(t, c.path("carol-stick", name), data)
	}
	for _, p := range []party{alice, bob} {
		if r := c.step(p, "stick"); r.code != 0 {
			t.Fatalf("%s: %d %s", p.name, r.code, r.stderr)
		}
	}
	if r := c.step(carol, "carol-stick"); r.code != 0 {
		t.Fatalf("carol: %d %s", r.code, r.stderr)
	}
	for _, p := range ps {
		c.move(p.workdir, "stick")
		c.moveNew(p.workdir, "carol-stick")
	}
	r := c.step(carol, "carol-stick")
	if r.code != exitAborted || !strings.Contains(r.stderr, "equivocat") {
		t.Fatalf("carol round 2: exit %d: %s", r.code, r.stderr)
	}
	for _, p := range []party{alice, bob} {
		c.step(p, "stick")
		c.move(p.workdir, "stick")
	}
	for _, p := range ps {
		c.step(p, "stick")
		if c.finished(p.workdir) {
			t.Fatalf("%s finished despite equivocation", p.name)
		}
	}
}

// moveNew copies outbox files the stick does not have yet (carol's stick
// keeps the forged broadcast in place of bob's real one).
func (c *cli) moveNew(workdir, stick string) {
	entries := readDirT(c.t, c.path(workdir, "outbox"))
	for _, e := range entries {
		if _, err := os.Stat(c.path(stick, e.Name())); err == nil {
			continue
		}
		data := readFileT(c.t, c.path(workdir, "outbox", e.Name()))
		writeFileT(c.t, c.path(stick, e.Name()), data)
	}
}

func globT(t testing.TB, pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	return m
}

// writeRetirePlan writes a signing plan of text by the named signers as a
// coordinator with another build could, past plan sign's checks.
func writeRetirePlan(t *testing.T, c *cli, pubPath, text, out string, signers ...string) {
	t.Helper()
	pub, err := keyshare.LoadPublic(c.path(pubPath))
	if err != nil {
		t.Fatal(err)
	}
	var cards []*identity.Card
	for _, n := range signers {
		card, err := identity.LoadCard(c.path("ids", n+".card"))
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, card)
	}
	pl, err := plan.NewTextPayload(pub.Curve, text)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.NewSign(pub, cards, pl)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path(out), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadTestIdentity(t testing.TB, path string) *identity.Identity {
	id, err := identity.LoadIdentity(path, func() ([]byte, error) { return nil, errors.New("test identities are unprotected") })
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestE2ECraftedMessageAbortsNamingSender: bob's round-2 decommitment
// carries one commitment too many (threshold raising, upstream #291),
// inside a correctly signed envelope. The receiver's admission check must
// refuse it before tss-lib, abort, and name bob in step and in status.
func TestE2ECraftedMessageAbortsNamingSender(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	ps := edKeygenJoined(t, c, "kg.plan")
	alice := ps[0]
	for _, p := range ps {
		c.move(p.workdir, "stick")
	}
	for _, p := range ps {
		if r := c.step(p, "stick"); r.code != 0 {
			t.Fatalf("%s round 1: %d %s", p.name, r.code, r.stderr)
		}
		c.move(p.workdir, "stick")
	}
	aliceID := loadTestIdentity(t, c.path("ids", "alice.key"))
	bobID := loadTestIdentity(t, c.path("ids", "bob.key"))
	f := globT(t, c.path("stick", "*-r02-p2-to-all.age"))[0]
	data := readFileT(t, f)
	env, err := envelope.Open(data, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := tss.ParseWireMessage(env.Payload, tss.NewPartyID("2", "bob", big.NewInt(2)), true)
	if err != nil {
		t.Fatal(err)
	}
	content := msg.Content().(*eddsakeygen.KGRound2Message2)
	dc := content.DeCommitment
	content.DeCommitment = append(append([][]byte{}, dc...), dc[len(dc)-2], dc[len(dc)-1])
	meta := tss.MessageRouting{From: msg.GetFrom(), IsBroadcast: true}
	wire, _, err := tss.NewMessage(meta, content, tss.NewMessageWrapper(meta, content)).WireBytes()
	if err != nil {
		t.Fatal(err)
	}
	rcpts := c.recipients("alice", "carol")
	crafted, err := envelope.Seal(env.Header, wire, bobID, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, crafted, 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.step(alice, "stick")
	t.Logf("step output:\n%s", r.stderr)
	if r.code != exitAborted || !strings.Contains(r.stderr, "culprit: bob (party 2)") || !strings.Contains(r.stderr, "vss-commitments") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	st := c.ok("status", "--workdir", alice.workdir)
	if !strings.Contains(st.stdout, "state     aborted") || !strings.Contains(st.stdout, "culprit   bob (party 2)") {
		t.Fatalf("status after abort:\n%s", st.stdout)
	}
	if ents := readDirT(t, c.path(alice.workdir, "state")); len(ents) != 0 {
		t.Fatalf("state not destroyed after abort: %v", ents)
	}
	// The aborted session cannot be continued.
	if r := c.step(alice, "stick"); r.code != exitAborted {
		t.Fatalf("step after abort: exit %d: %s", r.code, r.stderr)
	}
}

// reshareRun reshapes a key: old members join with their shares, new
// members with pre-parameters (secp256k1), and a member of both committees
// runs one work dir per committee.
func (c *cli) reshareRun(curve, pubPath string, old, nw []string, threshold int, ppBase int, sfx string) []party {
	c.t.Helper()
	args := []string{"plan", "reshare", "--key", pubPath, "--threshold", fmt.Sprint(threshold)}
	for _, n := range old {
		args = append(args, "--old", "ids/"+n+".card")
	}
	for _, n := range nw {
		args = append(args, "--new", "ids/"+n+".card")
	}
	planPath := "reshare-" + sfx + ".plan"
	c.ok(append(args, "-o", planPath)...)
	inNew := map[string]bool{}
	for _, n := range nw {
		inNew[n] = true
	}
	var ps []party
	for _, n := range old {
		join := []string{"--share", n + "-" + shareDir(c, n) + "/result/share.age"}
		if inNew[n] {
			join = append(join, "--committee", "old")
		}
		ps = append(ps, party{name: n, workdir: n + "-" + sfx + "-old", join: join})
	}
	inOld := map[string]bool{}
	for _, n := range old {
		inOld[n] = true
	}
	for i, n := range nw {
		var join []string
		if curve == "secp256k1" {
			join = append(join, "--preparams", c.preparams(n, ppBase+i))
		}
		if inOld[n] {
			join = append(join, "--committee", "new")
		}
		ps = append(ps, party{name: n, workdir: n + "-" + sfx + "-new", join: join})
	}
	c.ceremonyRun(planPath, "stick-"+sfx, ps)
	return ps
}

// shareDir finds the newest work dir suffix holding n's share (kg, or a
// previous reshare's -new dir), for tests that chain ceremonies.
func shareDir(c *cli, n string) string {
	if d, ok := c.shares[n]; ok {
		return d
	}
	return "kg"
}

func (c *cli) signRun(pubPath string, signers []string, sfx string, msg string) signatureJSON {
	c.t.Helper()
	args := []string{"plan", "sign", "--key", pubPath, "--message", msg, "-o", "sign-" + sfx + ".plan"}
	for _, n := range signers {
		args = append(args, "--signer", "ids/"+n+".card")
	}
	c.ok(args...)
	var ps []party
	for _, n := range signers {
		ps = append(ps, party{name: n, workdir: n + "-sg-" + sfx, join: []string{"--share", n + "-" + shareDir(c, n) + "/result/share.age"}})
	}
	c.ceremonyRun("sign-"+sfx+".plan", "stick-sg-"+sfx, ps)
	var sig signatureJSON
	if err := json.Unmarshal(c.sameFiles("result/signature.json", names(ps)...), &sig); err != nil {
		c.t.Fatal(err)
	}
	return sig
}

func testReshare(t *testing.T, curve string) {
	all := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace"}
	c := newCLI(t, all...)
	c.shares = map[string]string{}
	// 2-of-3 keygen by alice, bob, carol.
	var kg []party
	if curve == "secp256k1" {
		kg = c.ecdsaKeygen(2, []string{"alice", "bob", "carol"}, 0)
	} else {
		c.ok("plan", "keygen", "--curve", curve, "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "keygen.plan")
		for _, n := range []string{"alice", "bob", "carol"} {
			kg = append(kg, party{name: n, workdir: n + "-kg"})
		}
		c.ceremonyRun("keygen.plan", "stick-kg", kg)
	}
	var pub publicJSON
	if err := json.Unmarshal(c.sameFiles("result/public.json", names(kg)...), &pub); err != nil {
		t.Fatal(err)
	}

	// The old committee signs once (Ed25519 is cheap), so that retire can be
	// shown to refuse a signature that does not come from the new committee.
	if curve == "ed25519" {
		c.signRun("alice-kg/result/public.json", []string{"alice", "carol"}, "old", "old committee")
	}

	// 2-of-3 -> 3-of-5: alice and bob take part as the old committee; bob
	// and carol leave; alice continues with four new members.
	rs := c.reshareRun(curve, "alice-kg/result/public.json", []string{"alice", "bob"}, []string{"alice", "dave", "erin", "frank", "grace"}, 3, 3, "rs")
	newPub := c.sameFiles("result/public.json", names(rs)...)
	var pub2 publicJSON
	if err := json.Unmarshal(newPub, &pub2); err != nil {
		t.Fatal(err)
	}
	if pub2.PublicKey != pub.PublicKey || pub2.KeyID != pub.KeyID || pub2.EthAddress != pub.EthAddress {
		t.Fatalf("reshare changed the key: %s -> %s", pub.PublicKey, pub2.PublicKey)
	}
	if pub2.Threshold != 3 || len(pub2.Parties) != 5 {
		t.Fatalf("new committee is %d-of-%d", pub2.Threshold, len(pub2.Parties))
	}
	for _, p := range rs {
		_, err := os.Stat(c.path(p.workdir, "result", "share.age"))
		if strings.HasSuffix(p.workdir, "-old") != (err != nil) {
			t.Fatalf("%s: share.age present=%v; only new members get one", p.workdir, err == nil)
		}
	}
	for _, n := range []string{"alice", "dave", "erin", "frank", "grace"} {
		c.shares[n] = "rs-new"
	}
	writeFileT(t, c.path("new-public.json"), newPub)

	// The new committee signs under the original public key.
	msg := "signed by the new committee"
	sig := c.signRun("new-public.json", []string{"alice", "dave", "grace"}, "new", msg)
	if sig.PublicKey != pub.PublicKey {
		t.Fatalf("new committee signed under %s, key is %s", sig.PublicKey, pub.PublicKey)
	}
	if curve == "secp256k1" {
		verifyECDSA(t, pub, sig, eip191(msg))
	} else {
		pk, _ := hex.DecodeString(pub.PublicKey)
		sb, _ := hex.DecodeString(sig.Signature)
		if !ed25519.Verify(ed25519.PublicKey(pk), []byte(msg), sb) {
			t.Fatal("crypto/ed25519: new committee's signature does not verify")
		}
	}

	// Verify before destroy: bob's old share is retired only with his own
	// signed proof of the reshare and the new committee's signature of the
	// retire statement.
	for _, p := range rs {
		_, err := os.Stat(c.path(p.workdir, "result", "reshare-proof.txt"))
		if strings.HasSuffix(p.workdir, "-old") != (err == nil) {
			t.Fatalf("%s: reshare-proof.txt present=%v; only old members get one", p.workdir, err == nil)
		}
	}
	statement := strings.TrimSpace(c.ok("share", "statement", "--old", "alice-kg/result/public.json", "--new", "new-public.json").stdout)
	if !strings.HasPrefix(statement, "coldsig retire v1: key "+pub.KeyID) {
		t.Fatalf("statement %q", statement)
	}
	// The old committee may not sign it: only the committee it names as new.
	// plan sign refuses to write such a plan; a plan written by other means
	// is refused by every signer's join.
	if r := c.run("plan", "sign", "--key", "alice-kg/result/public.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card", "--message", statement, "-o", "old-retire.plan"); r.code != 1 || !strings.Contains(r.stderr, "only the committee named as new may sign it") {
		t.Fatalf("plan sign wrote the old committee's signing of the retire statement: exit %d %s", r.code, r.stderr)
	}
	writeRetirePlan(t, c, "alice-kg/result/public.json", statement, "old-retire.plan", "alice", "bob")
	if r := c.run("join", "--yes", "old-retire.plan", "--identity", "ids/bob.key", "--share", "bob-kg/result/share.age", "--workdir", "bob-old-retire"); r.code != 1 || !strings.Contains(r.stderr, "only the committee named as new may sign it") {
		t.Fatalf("the old committee joined a signing of the retire statement: exit %d %s", r.code, r.stderr)
	}
	retire := func(proof, sig string) result {
		return c.run("share", "retire", "bob-kg/result/share.age", "--identity", "ids/bob.key", "--proof", proof, "--signature", sig)
	}
	if r := retire("bob-rs-old/result/reshare-proof.txt", "alice-sg-new/result/signature.json"); r.code != 1 || !strings.Contains(r.stderr, "does not sign the retire statement") {
		t.Fatalf("retire with a signature of another message: exit %d %s", r.code, r.stderr)
	}
	if curve == "ed25519" {
		if r := retire("bob-rs-old/result/reshare-proof.txt", "alice-sg-old/result/signature.json"); r.code != 1 || !strings.Contains(r.stderr, "does not sign the retire statement") {
			t.Fatalf("retire with the old committee's signature: exit %d %s", r.code, r.stderr)
		}
	}
	c.signRun("new-public.json", []string{"alice", "dave", "grace"}, "retire", statement)
	if r := retire("alice-rs-old/result/reshare-proof.txt", "alice-sg-retire/result/signature.json"); r.code != 1 || !strings.Contains(r.stderr, "not by you") {
		t.Fatalf("retire with another member's proof: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(c.path("bob-kg", "result", "share.age")); err != nil {
		t.Fatal("a refused retire destroyed the share")
	}
	// Review finding L5: retire given a symbolic link to the share would
	// remove the link only and report the share destroyed. Refused.
	if err := os.Symlink("result/share.age", c.path("bob-kg", "share-link.age")); err != nil {
		t.Fatal(err)
	}
	rl := c.run("share", "retire", "bob-kg/share-link.age", "--identity", "ids/bob.key", "--proof", "bob-rs-old/result/reshare-proof.txt", "--signature", "alice-sg-retire/result/signature.json")
	if rl.code != 1 || !strings.Contains(rl.stderr, "is a symbolic link") || strings.Contains(rl.stdout, "destroyed") {
		t.Fatalf("retire through a symbolic link: exit %d\n%s%s", rl.code, rl.stdout, rl.stderr)
	}
	if _, err := os.Lstat(c.path("bob-kg", "share-link.age")); err != nil {
		t.Fatal("a refused retire removed the link")
	}
	os.Remove(c.path("bob-kg", "share-link.age"))
	r0 := retire("bob-rs-old/result/reshare-proof.txt", "alice-sg-retire/result/signature.json")
	if r0.code != 0 || !strings.Contains(r0.stdout, "destroyed bob-kg/result/share.age") || !strings.Contains(r0.stdout, "share of party 2 (bob)") ||
		!strings.Contains(r0.stdout, "3-of-5 committee") || !strings.Contains(r0.stdout, "alice, dave, erin, frank, grace") {
		t.Fatalf("retire: exit %d\n%s%s", r0.code, r0.stdout, r0.stderr)
	}
	if _, err := os.Stat(c.path("bob-kg", "result", "share.age")); err == nil {
		t.Fatal("share still present after retire")
	}
	// The retired share cannot be used again.
	c.ok("plan", "sign", "--key", "alice-kg/result/public.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card", "--message", "y", "-o", "old.plan")
	if r := c.run("join", "--yes", "old.plan", "--identity", "ids/bob.key", "--share", "bob-kg/result/share.age", "--workdir", "bob-old"); r.code != 1 || !strings.Contains(r.stderr, "share.age") {
		t.Fatalf("join with a retired share: exit %d %s", r.code, r.stderr)
	}

	// Mixing committees: an old share cannot sign for the new committee.
	c.ok("plan", "sign", "--key", "new-public.json", "--signer", "ids/alice.card", "--signer", "ids/dave.card", "--signer", "ids/erin.card", "--message", "x", "-o", "mixed.plan")
	r := c.run("join", "--yes", "mixed.plan", "--identity", "ids/alice.key", "--share", "alice-kg/result/share.age", "--workdir", "alice-mixed")
	if r.code != 1 || !strings.Contains(r.stderr, "a reshare replaced one of them") {
		t.Fatalf("old share joined a new-committee signing: exit %d %s", r.code, r.stderr)
	}
	// And a party of the old committee only is not a holder of the new key.
	r = c.run("plan", "sign", "--key", "new-public.json", "--signer", "ids/bob.card", "--signer", "ids/dave.card", "--signer", "ids/erin.card", "--message", "x", "-o", "mixed2.plan")
	if r.code != 1 || !strings.Contains(r.stderr, "not a holder") {
		t.Fatalf("plan with a removed member: exit %d %s", r.code, r.stderr)
	}
	// Too few old members.
	r = c.run("plan", "reshare", "--key", "alice-kg/result/public.json", "--threshold", "2", "--old", "ids/alice.card", "--new", "ids/dave.card", "--new", "ids/erin.card", "-o", "few.plan")
	if r.code != 1 || !strings.Contains(r.stderr, "only 1 old member") || !strings.Contains(r.stderr, "needs at least 2") {
		t.Fatalf("reshare with one old member of a 2-of-3 key: exit %d %s", r.code, r.stderr)
	}
}

func TestE2EReshareECDSA(t *testing.T) {
	skipIfShort(t)
	testReshare(t, "secp256k1")
}

func TestE2EReshareEd25519(t *testing.T) { testReshare(t, "ed25519") }

// TestE2ERefreshEd25519: same members, new shares, same key.
func TestE2ERefreshEd25519(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	c.shares = map[string]string{}
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "keygen.plan")
	var kg []party
	for _, n := range []string{"alice", "bob", "carol"} {
		kg = append(kg, party{name: n, workdir: n + "-kg"})
	}
	c.ceremonyRun("keygen.plan", "stick-kg", kg)
	var pub publicJSON
	if err := json.Unmarshal(c.sameFiles("result/public.json", names(kg)...), &pub); err != nil {
		t.Fatal(err)
	}
	rs := c.reshareRun("ed25519", "alice-kg/result/public.json", []string{"alice", "bob", "carol"}, []string{"alice", "bob", "carol"}, 2, 0, "rf")
	var pub2 publicJSON
	if err := json.Unmarshal(c.sameFiles("result/public.json", names(rs)...), &pub2); err != nil {
		t.Fatal(err)
	}
	if pub2.PublicKey != pub.PublicKey {
		t.Fatal("refresh changed the key")
	}
	for _, n := range []string{"alice", "bob", "carol"} {
		old := readFileT(t, c.path(n+"-kg", "result", "share.age"))
		nw := readFileT(t, c.path(n+"-rf-new", "result", "share.age"))
		if len(nw) == 0 || bytes.Equal(old, nw) {
			t.Fatalf("%s: no fresh share", n)
		}
		c.shares[n] = "rf-new"
	}
	writeFileT(t, c.path("new-public.json"), c.sameFiles("result/public.json", names(rs)...))
	sig := c.signRun("new-public.json", []string{"bob", "carol"}, "rf", "after refresh")
	pk, _ := hex.DecodeString(pub.PublicKey)
	sb, _ := hex.DecodeString(sig.Signature)
	if !ed25519.Verify(ed25519.PublicKey(pk), []byte("after refresh"), sb) {
		t.Fatal("signature after refresh does not verify")
	}
}

// TestE2EConsumedEnvelopeReplaced: after alice consumed bob's round-1
// broadcast, a different envelope validly signed by bob for the same round
// and recipient appears. Feeding it would re-run a round with other
// inputs; alice must refuse, abort and name bob.
func TestE2EConsumedEnvelopeReplaced(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	ps := edKeygenJoined(t, c, "kg.plan")
	other := edKeygenJoined(t, c, "other.plan")
	alice := ps[0]
	for _, p := range ps {
		c.move(p.workdir, "stick")
	}
	if r := c.step(alice, "stick"); r.code != 0 {
		t.Fatalf("alice round 1: %d %s", r.code, r.stderr)
	}
	realPath := globT(t, c.path("stick", "*-r01-p2-to-all.age"))[0]
	forged := forgeRound1(t, c, ps, other)
	writeFileT(t, realPath, forged)
	for _, p := range ps[1:] {
		c.step(p, "stick")
		c.moveNew(p.workdir, "stick")
	}
	r := c.step(alice, "stick")
	if r.code != exitAborted || !strings.Contains(r.stderr, "culprit: bob (party 2)") || !strings.Contains(r.stderr, "two different round-1 envelopes") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// issue 11 point 1: two envelopes for one round is also what an honest
	// officer who joined twice produces; the hint says so.
	if !strings.Contains(r.stderr, "coldsig: hint: the culprit signed two different envelopes for one round: if its officer joined this plan twice (two work dirs), that is the honest cause") {
		t.Fatalf("no hint for the honest case: %s", r.stderr)
	}
}

// TestE2ETamperedInputs covers inputs an attacker with access to a stick or
// a work dir could alter: a plan that misdescribes the key, a replaced
// plan.txt, and a message repeated inside one envelope.
func TestE2ETamperedInputs(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol", "dave")
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "3", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "--party", "ids/dave.card", "-o", "keygen.plan")
	var kg []party
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		kg = append(kg, party{name: n, workdir: n + "-kg"})
	}
	c.ceremonyRun("keygen.plan", "stick-kg", kg)
	pubData := readFileT(t, c.path("alice-kg", "result", "public.json"))

	t.Run("plan understates the threshold", func(t *testing.T) {
		// A 3-of-4 key described as 2-of-4: two old members would deal
		// sub-shares that a smaller coalition can recombine.
		lowered := strings.Replace(string(pubData), `"threshold": 3`, `"threshold": 2`, 1)
		writeFileT(t, c.path("lowered.json"), []byte(lowered))
		c.ok("plan", "sign", "--key", "lowered.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card", "--message", "m", "-o", "lowered.plan")
		r := c.run("join", "--yes", "lowered.plan", "--identity", "ids/alice.key", "--share", "alice-kg/result/share.age", "--workdir", "alice-lowered")
		if r.code != 1 || !strings.Contains(r.stderr, "the share is 3-of-4, the plan describes the key as 2-of-4") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if _, err := os.Stat(c.path("alice-lowered")); err == nil {
			t.Fatal("work dir created for a refused join")
		}
	})

	t.Run("plan swaps a share key", func(t *testing.T) {
		var pub map[string]any
		if err := json.Unmarshal(pubData, &pub); err != nil {
			t.Fatal(err)
		}
		parties := pub["parties"].([]any)
		p2, p3 := parties[1].(map[string]any), parties[2].(map[string]any)
		p2["share_key"], p3["share_key"] = p3["share_key"], p2["share_key"]
		b, _ := json.MarshalIndent(pub, "", "  ")
		writeFileT(t, c.path("swapped.json"), b)
		r := c.run("plan", "sign", "--key", "swapped.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card", "--signer", "ids/carol.card", "--message", "m", "-o", "swapped.plan")
		// Either plan sign refuses the swapped key data, or join does:
		// both are checked, whichever answers.
		if r.code != 0 {
			if r.code != 1 || !strings.Contains(r.stderr, "swapped.json") {
				t.Fatalf("plan sign of swapped key data: exit %d, want 1 naming swapped.json: %s", r.code, r.stderr)
			}
			if _, err := os.Stat(c.path("swapped.plan")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("refused plan written anyway: %v", err)
			}
			t.Logf("plan sign refuses it: %s", strings.TrimSpace(r.stderr))
			return
		}
		r = c.run("join", "--yes", "swapped.plan", "--identity", "ids/alice.key", "--share", "alice-kg/result/share.age", "--workdir", "alice-swapped")
		if r.code != 1 || !strings.Contains(r.stderr, "share key in the plan differs") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})

	c.ok("plan", "sign", "--key", "alice-kg/result/public.json", "--signer", "ids/alice.card", "--signer", "ids/bob.card", "--signer", "ids/carol.card", "--message", "m", "-o", "sign.plan")
	sg := []party{{name: "alice", workdir: "alice-sg"}, {name: "bob", workdir: "bob-sg"}, {name: "carol", workdir: "carol-sg"}}
	for _, p := range sg {
		c.ok("join", "--yes", "sign.plan", "--identity", "ids/"+p.name+".key", "--share", p.name+"-kg/result/share.age", "--workdir", p.workdir)
		c.move(p.workdir, "stick-sg")
	}

	t.Run("replaced plan.txt", func(t *testing.T) {
		planPath := c.path("alice-sg", "plan.txt")
		orig := readFileT(t, planPath)
		// Same session and slot for alice, but other signers: a plan made
		// with alice, carol and dave, moved onto the original session id.
		c.ok("plan", "sign", "--key", "alice-kg/result/public.json", "--signer", "ids/alice.card", "--signer", "ids/carol.card", "--signer", "ids/dave.card", "--message", "m", "-o", "other-signers.plan")
		other := readFileT(t, c.path("other-signers.plan"))
		session := func(b []byte) string {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "session: ") {
					return l
				}
			}
			t.Fatal("no session line")
			return ""
		}
		forged := strings.Replace(string(other), session(other), session(orig), 1)
		if forged == string(orig) || !strings.Contains(forged, session(orig)) {
			t.Fatal("test could not alter the plan")
		}
		if err := os.Chmod(planPath, 0o600); err != nil {
			t.Fatal(err)
		}
		writeFileT(t, planPath, []byte(forged))
		before := treeDigest(t, c.path("alice-sg"))
		r := c.step(sg[0], "stick-sg")
		if r.code != 1 || !strings.Contains(r.stderr, "is not the plan this party joined") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if treeDigest(t, c.path("alice-sg")) != before {
			t.Fatal("refused step changed the work dir")
		}
		writeFileT(t, planPath, orig)
	})

	t.Run("message repeated in one envelope", func(t *testing.T) {
		aliceID := loadTestIdentity(t, c.path("ids", "alice.key"))
		bobID := loadTestIdentity(t, c.path("ids", "bob.key"))
		f := globT(t, c.path("stick-sg", "*-r01-p2-to-all.age"))[0]
		data := readFileT(t, f)
		env, err := envelope.Open(data, aliceID)
		if err != nil {
			t.Fatal(err)
		}
		var dup bytes.Buffer
		dup.WriteString("coldsig/bundle/v1\n")
		for i := 0; i < 2; i++ {
			var n [4]byte
			n[0], n[1], n[2], n[3] = byte(len(env.Payload)>>24), byte(len(env.Payload)>>16), byte(len(env.Payload)>>8), byte(len(env.Payload))
			dup.Write(n[:])
			dup.Write(env.Payload)
		}
		rcpts := c.recipients("alice", "carol")
		forged, err := envelope.Seal(env.Header, dup.Bytes(), bobID, rcpts)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(c.path("dup-stick"), 0o700); err != nil {
			t.Fatal(err)
		}
		for _, g := range globT(t, c.path("stick-sg", "*")) {
			d := readFileT(t, g)
			if g == f {
				d = forged
			}
			writeFileT(t, c.path("dup-stick", filepath.Base(g)), d)
		}
		r := c.step(sg[0], "dup-stick")
		if r.code != exitAborted || !strings.Contains(r.stderr, "twice in round 1") || !strings.Contains(r.stderr, "culprit: bob (party 2)") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
}

// TestE2ERepeatedStepReemits: the round-2 envelopes alice made are lost
// (say the stick was reformatted). Running step again recomputes nothing:
// it waits for round 2 and restores the same envelopes byte for byte.
func TestE2ERepeatedStepReemits(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	ps := edKeygenJoined(t, c, "kg.plan")
	for _, p := range ps {
		c.move(p.workdir, "stick")
	}
	alice := ps[0]
	if r := c.step(alice, "stick"); r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	before := treeDigest(t, c.path(alice.workdir, "outbox"))
	stateBefore := treeDigest(t, c.path(alice.workdir, "state"))
	if err := os.RemoveAll(c.path(alice.workdir, "outbox")); err != nil {
		t.Fatal(err)
	}
	r := c.step(alice, "stick")
	if r.code != exitWaiting || !strings.Contains(r.stderr, "coldsig: waiting: round 2 envelopes missing from bob (party 2), carol (party 3)") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if treeDigest(t, c.path(alice.workdir, "outbox")) != before {
		t.Fatal("the re-emitted outbox differs from the original")
	}
	if treeDigest(t, c.path(alice.workdir, "state")) != stateBefore {
		t.Fatal("a repeated step changed the state")
	}
}

// TestE2EDamagedLog: log.txt is not secret and not authenticated; a damaged
// one stops the step before anything is committed.
func TestE2EDamagedLog(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	ps := edKeygenJoined(t, c, "kg.plan")
	for _, p := range ps {
		c.move(p.workdir, "stick")
	}
	logPath := c.path(ps[0].workdir, "log.txt")
	data := readFileT(t, logPath)
	writeFileT(t, logPath, []byte(strings.Replace(string(data), "joined", "Joined", 1)))
	before := treeDigest(t, c.path(ps[0].workdir))
	r := c.step(ps[0], "stick")
	if r.code != 1 || !strings.Contains(r.stderr, "log.txt") || !strings.Contains(r.stderr, "hash chain broken") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if treeDigest(t, c.path(ps[0].workdir)) != before {
		t.Fatal("a step with a damaged log changed the work dir")
	}
}
