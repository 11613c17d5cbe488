package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/internal/buildinfo"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// fixture is a finished Ed25519 2-of-3 keygen and a 2-party signing, run
// in process through the real engine, in t's temp dir.
type fixture struct {
	dir     string
	ids     []*identity.Identity
	keygen  []string // work dirs
	signing []string
	secrets []string // strings that must never appear in a report
}

// run steps every party until all are finished, the inbox being every
// outbox (a stick everyone copies to).
func run(t *testing.T, p *plan.Plan, ids []*identity.Identity, dirs []string, shares []*keyshare.Share) {
	t.Helper()
	ctx := context.Background()
	for i, id := range ids {
		jo := ceremony.JoinOptions{Options: ceremony.Options{WorkDir: dirs[i], Identity: id}, Plan: p,
			Ledger: filepath.Join(filepath.Dir(dirs[i]), id.Name+".key.joins")}
		if shares != nil {
			jo.Share = shares[i]
		}
		if _, err := ceremony.Join(ctx, jo); err != nil {
			t.Fatalf("join %s: %v", id.Name, err)
		}
	}
	for pass := 0; pass < 10; pass++ {
		var inbox []string
		for _, d := range dirs {
			es, _ := os.ReadDir(filepath.Join(d, "outbox"))
			for _, e := range es {
				inbox = append(inbox, filepath.Join(d, "outbox", e.Name()))
			}
		}
		done := 0
		for i, id := range ids {
			st, err := ceremony.ReadStatus(dirs[i])
			if err != nil {
				t.Fatal(err)
			}
			if st.State == "finished" {
				done++
				continue
			}
			if _, err := ceremony.Step(ctx, ceremony.StepOptions{Options: ceremony.Options{WorkDir: dirs[i], Identity: id}, Inbox: inbox}); err != nil {
				if _, ok := err.(*ceremony.WaitingError); !ok || pass == 9 {
					t.Fatalf("step %s: %v", id.Name, err)
				}
			}
		}
		if done == len(ids) {
			return
		}
	}
	t.Fatal("ceremony did not finish")
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	var cards []*identity.Card
	for _, n := range []string{"alice", "bob", "carol"} {
		id, err := identity.NewIdentity(n)
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, id)
		cards = append(cards, id.Card())
		f.keygen = append(f.keygen, filepath.Join(f.dir, n+"-kg"))
		f.secrets = append(f.secrets, id.X25519.String(), hex.EncodeToString(id.Signing.Seed()),
			base64.StdEncoding.EncodeToString(id.Signing.Seed()))
	}
	kp, err := plan.NewKeygen(keyshare.CurveEd25519, 2, cards)
	if err != nil {
		t.Fatal(err)
	}
	run(t, kp, f.ids, f.keygen, nil)

	pubData, err := os.ReadFile(filepath.Join(f.keygen[0], "result", "public.json"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keyshare.ParsePublic(pubData)
	if err != nil {
		t.Fatal(err)
	}
	var shares []*keyshare.Share
	for i, d := range f.keygen {
		data, err := os.ReadFile(filepath.Join(d, "result", "share.age"))
		if err != nil {
			t.Fatal(err)
		}
		sh, err := keyshare.OpenShare(data, f.ids[i].X25519)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
		xi := sh.EdDSA.Xi
		f.secrets = append(f.secrets, xi.Text(16), xi.Text(10), hex.EncodeToString(xi.Bytes()),
			base64.StdEncoding.EncodeToString(xi.Bytes()))

	}
	payload, err := plan.NewTextPayload(keyshare.CurveEd25519, "pay <b>1</b> coin & co\tto bob")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := plan.NewSign(pub, []*identity.Card{cards[0], cards[2]}, payload)
	if err != nil {
		t.Fatal(err)
	}
	f.signing = []string{filepath.Join(f.dir, "alice-sg"), filepath.Join(f.dir, "carol-sg")}
	run(t, sp, []*identity.Identity{f.ids[0], f.ids[2]}, f.signing, []*keyshare.Share{shares[0], shares[2]})
	return f
}

var testBuild = buildinfo.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.8",
	Platform: "linux/amd64", TSSLib: "v2.0.2", Age: "v1.3.2", Executable: "/usr/local/bin/coldsig", SHA256: strings.Repeat("5a", 32)}

func render(t *testing.T, dirs ...string) (*Report, string, string) {
	t.Helper()
	var ps []*Party
	for _, d := range dirs {
		p, err := Load(d)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	r, err := New(ps, testBuild, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var txt, html bytes.Buffer
	if err := r.Text(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.HTML(&html); err != nil {
		t.Fatal(err)
	}
	return r, txt.String(), html.String()
}

func mustContain(t *testing.T, what, doc string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(doc, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestReport(t *testing.T) {
	f := newFixture(t)
	kg, err := Load(f.keygen[0])
	if err != nil {
		t.Fatal(err)
	}
	sg, err := Load(f.signing[0])
	if err != nil {
		t.Fatal(err)
	}

	t.Run("keygen, all three parties agree", func(t *testing.T) {
		r, txt, html := render(t, f.keygen...)
		if !r.Agreement.Compared || !r.Agreement.Agree {
			t.Fatalf("agreement %+v", r.Agreement)
		}
		for _, doc := range []string{txt, html} {
			mustContain(t, "report", doc,
				kg.Plan.Words, fmt.Sprintf("%x", kg.Plan.Fingerprint), "2-of-3",
				kg.Receipt.TranscriptWords, kg.Public.PublicKey, kg.Public.KeyID,
				f.ids[1].Card().FingerprintWords(), testBuild.SHA256, "v2.0.2", "v1.3.2",
				"Witness / auditor", "Ceremony administrator", "AGREE")
			for _, e := range kg.Envelopes {
				mustContain(t, "report", doc, e.Digest)
			}
		}
		if len(kg.Steps) != 4 { // join, round 1 in, round 2 in, confirmations
			t.Errorf("keygen timeline has %d steps: %+v", len(kg.Steps), kg.Steps)
		}
		for _, s := range kg.Steps {
			if s.Time.IsZero() || time.Since(s.Time) > time.Hour {
				t.Errorf("step %+v has no plausible time", s)
			}
		}
		if len(kg.Problems) > 0 {
			t.Errorf("problems in a clean work dir: %v", kg.Problems)
		}
	})

	t.Run("signing, one party", func(t *testing.T) {
		r, txt, html := render(t, f.signing[0])
		if r.Agreement.Compared {
			t.Fatal("a single party compared")
		}
		for _, doc := range []string{txt, html} {
			mustContain(t, "report", doc, sg.Signature.Signature, sg.Signature.KeyID, "signers", "alice", "carol")
		}
		// The message is printed escaped: its tab shows as \t in the text,
		// its markup as text in the HTML.
		if strings.Contains(txt, "co\tto") {
			t.Error("raw tab from the message in the text report")
		}
		mustContain(t, "text", txt, `co\tto bob`)
		if strings.Contains(html, "<b>1</b>") {
			t.Error("message markup reached the HTML unescaped")
		}
		mustContain(t, "html", html, "&lt;b&gt;1&lt;/b&gt;", "&amp;")
	})

	t.Run("no secret in any report", func(t *testing.T) {
		_, t1, h1 := render(t, f.keygen...)
		_, t2, h2 := render(t, f.signing...)
		for _, doc := range []string{t1, h1, t2, h2} {
			if s := findSecret(doc, f.secrets); s != "" {
				t.Fatalf("a report contains a secret (%.12s...)", s)
			}
		}
		// The scan can fail: with a share's secret scalar (as hex, from
		// the opened share) in the document, it is found.
		if findSecret(t1+"\n"+f.secrets[len(f.secrets)-2], f.secrets) == "" {
			t.Fatal("secret scan self-check failed")
		}
	})

	t.Run("parties that disagree are named loudly", func(t *testing.T) {
		// A keygen party and a signing party: different plans.
		r, txt, html := render(t, f.keygen[0], f.signing[1])
		if r.Agreement.Agree {
			t.Fatal("a keygen and a signing record agree")
		}
		mustContain(t, "text", txt, "!!! THE PARTIES' RECORDS DO NOT AGREE", "DO NOT AGREE", "holds another plan")
		mustContain(t, "html", html, `class="alert"`, "DO NOT AGREE")
		// The same work dir twice.
		r, txt, _ = render(t, f.keygen[0], f.keygen[0])
		if r.Agreement.Agree {
			t.Fatal("one party twice agrees")
		}
		mustContain(t, "text", txt, "are the same party")
	})

	t.Run("a log edited after the result", func(t *testing.T) {
		d := filepath.Join(t.TempDir(), "bob-kg")
		copyDir(t, f.keygen[1], d)
		lp := filepath.Join(d, "log.txt")
		data, err := os.ReadFile(lp)
		if err != nil {
			t.Fatal(err)
		}
		// Append a well-chained entry: the chain verifies, the receipt's
		// log head no longer matches.
		l, err := ceremony.ParseLog(data)
		if err != nil {
			t.Fatal(err)
		}
		l.Append("accepted round 9 from party 3 to all digest " + strings.Repeat("00", 32))
		out, _ := l.Marshal()
		if err := os.WriteFile(lp, out, 0o600); err != nil {
			t.Fatal(err)
		}
		r, txt, _ := render(t, f.keygen[0], d)
		if r.Agreement.Agree {
			t.Fatal("an altered log agrees")
		}
		mustContain(t, "text", txt, "INCONSISTENT RECORDS", "log.txt does not end where the receipt says")
	})
}

// findSecret returns the first secret found in doc (case-insensitive, so
// hex in either case counts), or "".
func findSecret(doc string, secrets []string) string {
	low := strings.ToLower(doc)
	if strings.Contains(doc, "AGE-SECRET-KEY") {
		return "AGE-SECRET-KEY"
	}
	for _, s := range secrets {
		if len(s) >= 16 && strings.Contains(low, strings.ToLower(s)) {
			return s
		}
	}
	return ""
}

// TestReportRunning: a party in the middle of a ceremony (its encrypted
// state on disk) is reported too, without a result, and the report holds
// none of the state's bytes.
func TestReportRunning(t *testing.T) {
	wd := joinedKeygen(t)
	_, txt, html := render(t, wd)
	mustContain(t, "text", txt, "state           running", "joined the session; sent 1 envelope")
	mustContain(t, "html", html, "running")
	steps, _ := filepath.Glob(filepath.Join(wd, "state", "*"))
	if len(steps) == 0 {
		t.Fatal("no state file to compare with")
	}
	for _, f := range steps {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		chunk := base64.StdEncoding.EncodeToString(data[len(data)/2 : len(data)/2+30])
		if strings.Contains(txt, chunk) || strings.Contains(html, chunk) || strings.Contains(txt, hex.EncodeToString(data[100:130])) {
			t.Fatal("a report contains state file bytes")
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// chromiumPath finds a Chromium. CI installs Debian's chromium (.ci/run);
// there a missing browser fails the test, locally it skips with a message.
func chromiumPath(t *testing.T) string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs the Debian package chromium")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI runs this test")
	return ""
}

// TestHTMLPrints renders the HTML reports of a keygen (three parties) and
// a signing to PDF with headless Chromium, as an officer would print them.
// With REPORT_RENDER_DIR set, the HTML, PDF and a screenshot are kept
// there for a person to look at.
func TestHTMLPrints(t *testing.T) {
	chrome := chromiumPath(t)
	f := newFixture(t)
	out := os.Getenv("REPORT_RENDER_DIR")
	if out == "" {
		out = t.TempDir()
	}
	for name, dirs := range map[string][]string{"keygen": f.keygen, "signing": f.signing} {
		_, _, html := render(t, dirs...)
		// One self-contained file: nothing fetched, nothing run.
		for _, bad := range []string{"<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "http://", "https://"} {
			if strings.Contains(strings.ToLower(html), bad) {
				t.Errorf("%s report has %q: it must need no external resource", name, bad)
			}
		}
		htmlPath := filepath.Join(out, name+".html")
		if err := os.WriteFile(htmlPath, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		pdfPath := filepath.Join(out, name+".pdf")
		args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir(), "--no-pdf-header-footer", "--print-to-pdf=" + pdfPath}
		if os.Getenv("REPORT_RENDER_DIR") != "" {
			args = append(args, "--screenshot="+filepath.Join(out, name+".png"), "--window-size=794,2400")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, chrome, append(args, "file://"+htmlPath)...)
		msg, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, msg)
		}
		pdf, err := os.ReadFile(pdfPath)
		if err != nil {
			t.Fatalf("chromium wrote no PDF: %v\n%s", err, msg)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[max(0, len(pdf)-64):], []byte("%%EOF")) || len(pdf) < 10000 {
			t.Fatalf("%s: not a complete PDF (%d bytes)", pdfPath, len(pdf))
		}
		t.Logf("%s: %d bytes of HTML printed to a %d-byte PDF", name, len(html), len(pdf))
	}
}

// TestReportLogLimit: report reads log.txt under the engine's own limit
// (ceremony.MaxLogSize), so a log too large for the engine and status is
// refused by report too instead of being printed as a record.
func TestReportLogLimit(t *testing.T) {
	wd := joinedKeygen(t)
	if _, err := Load(wd); err != nil {
		t.Fatalf("a fresh work dir: %v", err)
	}
	// One byte over the limit (sparse, nothing is written or read).
	if err := os.Truncate(filepath.Join(wd, "log.txt"), ceremony.MaxLogSize+1); err != nil {
		t.Fatal(err)
	}
	_, err := Load(wd)
	if !errors.Is(err, boundedio.ErrTooLarge) || !strings.Contains(err.Error(), "log.txt") {
		t.Fatalf("a log over ceremony.MaxLogSize: got %v, want a too-large error naming log.txt", err)
	}
}

// joinedKeygen is alice's work directory after her join of a fresh 2-of-2
// Ed25519 keygen with bob (round 1 sent, nothing received): a party in the
// middle of a ceremony.
func joinedKeygen(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var ids []*identity.Identity
	var cards []*identity.Card
	for _, n := range []string{"alice", "bob"} {
		id, err := identity.NewIdentity(n)
		if err != nil {
			t.Fatal(err)
		}
		ids, cards = append(ids, id), append(cards, id.Card())
	}
	kp, err := plan.NewKeygen(keyshare.CurveEd25519, 2, cards)
	if err != nil {
		t.Fatal(err)
	}
	wd := filepath.Join(dir, "alice-kg")
	if _, err := ceremony.Join(context.Background(), ceremony.JoinOptions{Options: ceremony.Options{WorkDir: wd, Identity: ids[0]},
		Plan: kp, Ledger: filepath.Join(dir, "alice.key.joins")}); err != nil {
		t.Fatal(err)
	}
	return wd
}
