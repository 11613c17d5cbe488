package backup

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coldsig/coldsig/internal/textrec"
)

// DrillMagic is the first line of a drill record.
const DrillMagic = "coldsig/drill/v1"

// DrillRecord is the evidence a restore drill leaves behind: what was
// restored from which shards, and whether the restored share provably
// belongs to the key. It holds nothing secret.
type DrillRecord struct {
	Pass      bool
	Time      time.Time
	KeyID     string // from public.json
	PublicKey string
	// Set when a share was restored.
	BackupID  string
	Party     int
	PartyName string
	Threshold int
	Shards    int
	Used      []string
	Rejected  []Rejected
	// Reason says why the drill failed.
	Reason string
}

// oneLine makes a free-text value fit a record field.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" {
		return "-"
	}
	return s
}

// Marshal encodes the record.
func (d *DrillRecord) Marshal() ([]byte, error) {
	w := textrec.NewWriter(DrillMagic)
	result := "FAIL"
	if d.Pass {
		result = "PASS"
	}
	w.String("result", result)
	w.String("time", d.Time.UTC().Format(timeLayout))
	w.String("key-id", d.KeyID)
	w.String("public-key", d.PublicKey)
	if d.BackupID != "" {
		w.String("backup-id", d.BackupID)
		w.Uint("party", uint64(d.Party))
		w.String("party-name", d.PartyName)
		w.String("threshold", strconv.Itoa(d.Threshold))
		w.String("shards", strconv.Itoa(d.Shards))
	}
	for _, u := range d.Used {
		w.String("used", oneLine(u))
	}
	for _, r := range d.Rejected {
		w.String("set-aside", oneLine(fmt.Sprintf("%s: %v", r.Label, r.Err)))
	}
	if !d.Pass {
		w.String("reason", oneLine(d.Reason))
	}
	return w.Bytes()
}
