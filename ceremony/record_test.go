package ceremony

import (
	"strings"
	"testing"
	"time"

	"github.com/coldsig/coldsig/internal/textrec"
)

func TestLogEvents(t *testing.T) {
	d := strings.Repeat("ab", 32)
	at := time.Date(2026, 11, 30, 23, 29, 1, 0, time.UTC)
	cases := []struct {
		text string
		want LogEvent
	}{
		{logTime(at.In(time.FixedZone("x", 3600))), LogEvent{Kind: LogTime, Time: at}},
		{"joined session " + d + " plan " + d + " as party 1 (member)", LogEvent{Kind: LogJoined}},
		{"sent cs-1-r01-p1-to-all.age digest " + d, LogEvent{Kind: LogSent, File: "cs-1-r01-p1-to-all.age", Digest: d}},
		{"accepted round 2 from party 3 to all digest " + d, LogEvent{Kind: LogAccepted, Round: 2, From: 3, To: "all", Digest: d}},
		{"accepted round 2 from party 3 to party 1 digest " + d, LogEvent{Kind: LogAccepted, Round: 2, From: 3, To: "party 1", Digest: d}},
		{"accepted confirmation from party 2 digest " + d, LogEvent{Kind: LogConfirmation, From: 2, Digest: d}},
		{"transcript " + d, LogEvent{Kind: LogTranscript, Digest: d}},
		{"transcript xyz", LogEvent{Kind: LogOther}},
		{"time yesterday", LogEvent{Kind: LogOther}},
		{"accepted round two from party 3 to all digest " + d, LogEvent{Kind: LogOther}},
		{"something a newer engine writes", LogEvent{Kind: LogOther}},
	}
	for _, c := range cases {
		got := LogEntry{Text: c.text}.Event()
		c.want.Text = c.text
		if !got.Time.Equal(c.want.Time) || got.Kind != c.want.Kind || got.Round != c.want.Round || got.From != c.want.From ||
			got.To != c.want.To || got.File != c.want.File || got.Digest != c.want.Digest || got.Text != c.want.Text {
			t.Errorf("%q:\n got %+v\nwant %+v", c.text, got, c.want)
		}
	}
}

func sampleReceipt(t testing.TB) []byte {
	w := textrec.NewWriter(receiptMagic)
	w.Hex("session", make([]byte, 32))
	w.Hex("plan", []byte(strings.Repeat("p", 32)))
	w.Hex("transcript", []byte(strings.Repeat("t", 32)))
	w.String("transcript-words", "rich claw toil days flux glow cyan able")
	w.Hex("log-head", []byte(strings.Repeat("l", 32)))
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReceipt(t *testing.T) {
	rc, err := ParseReceipt(sampleReceipt(t))
	if err != nil {
		t.Fatal(err)
	}
	if rc.TranscriptWords != "rich claw toil days flux glow cyan able" || rc.Plan[0] != 'p' || rc.LogHead[31] != 'l' {
		t.Fatalf("%+v", rc)
	}
	bad := strings.Replace(string(sampleReceipt(t)), "plan:", "plan: 00", 1)
	if _, err := ParseReceipt([]byte(bad)); err == nil {
		t.Fatal("malformed plan accepted")
	}
	if _, err := ParseReceipt([]byte("coldsig/receipt/v1\nsession: 00\n")); err == nil {
		t.Fatal("short receipt accepted")
	}
}

func FuzzParseReceipt(f *testing.F) {
	f.Add(sampleReceipt(f))
	f.Add([]byte("coldsig/receipt/v1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc, err := ParseReceipt(b)
		if err != nil {
			return
		}
		w := textrec.NewWriter(receiptMagic)
		w.Hex("session", rc.Session[:])
		w.Hex("plan", rc.Plan[:])
		w.Hex("transcript", rc.Transcript[:])
		w.String("transcript-words", rc.TranscriptWords)
		w.Hex("log-head", rc.LogHead[:])
		out, err := w.Bytes()
		if err != nil {
			t.Fatalf("parsed receipt does not re-encode: %v", err)
		}
		if string(out) != string(b) {
			t.Fatalf("not canonical:\n%q\n%q", b, out)
		}
	})
}
