package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/internal/textrec"
	"github.com/coldsig/coldsig/keyshare"
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
	// Reason says why the drill failed; Failure is the same as an error,
	// for callers (it is not part of the record).
	Reason  string
	Failure error
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

// CheckPublic checks the shard's metadata against the key's public data:
// it backs up this key, and it is signed by the card of its party.
func (s *Shard) CheckPublic(pub *keyshare.Public) error {
	if s.KeyID != pub.KeyID {
		return fmt.Errorf("the shard backs up key %s, the public key file is key %s", s.KeyID, pub.KeyID)
	}
	if s.Party > len(pub.Parties) {
		return fmt.Errorf("the shard backs up party %d, the key has %d parties", s.Party, len(pub.Parties))
	}
	if p := pub.Parties[s.Party-1]; p.Card != s.Owner.FingerprintHex() {
		return fmt.Errorf("the shard is signed by card %s, but party %d of the key is %s (card %s)", s.Owner.FingerprintHex(), s.Party, p.Name, p.Card)
	}
	return nil
}

// Drill restores a share from shard files and proves that it belongs to
// the key of pub, without signing anything. The restored share is written
// the way a real restore writes it, encrypted to a one-time key held only
// in memory, into a private temporary directory, read back and removed.
//
// The record is the drill's result: PASS with the share, or FAIL when the
// backup does not restore a share of this key (damaged or altered shards,
// an inconsistent backup, another key or party). An error means the drill
// did not take place and the record must not be kept: a shard could not be
// unlocked (a missing identity, a mistyped passphrase), too few shards were
// given, or shards of several backups were mixed. The record's Rejected
// lists the shards set aside either way.
func Drill(files []File, keys *Keys, pub *keyshare.Public, now time.Time) (*DrillRecord, *keyshare.Share, error) {
	rec := &DrillRecord{Time: now, KeyID: pub.KeyID, PublicKey: pub.PublicKey}
	res, err := Restore(files, keys, nil)
	rec.Used, rec.Rejected = res.Used, res.Rejected
	if err != nil {
		var ne *NotEnoughError
		if errors.As(err, &ne) && !slices.ContainsFunc(res.Rejected, func(r Rejected) bool { return errors.Is(r.Err, ErrShard) }) {
			// Nothing is known about the backup: it is not a result.
			for _, r := range res.Rejected {
				if Locked(r.Err) {
					return rec, nil, fmt.Errorf("%w: %s could not be unlocked: %w", ErrDrillNotRun, r.Label, r.Err)
				}
			}
			return rec, nil, fmt.Errorf("%w: %w", ErrDrillNotRun, err)
		}
		if errors.As(err, &ne) || errors.Is(err, ErrInconsistent) {
			rec.Reason, rec.Failure = err.Error(), err
			return rec, nil, nil
		}
		return rec, nil, fmt.Errorf("%w: %w", ErrDrillNotRun, err)
	}
	b := res.Backup
	rec.BackupID, rec.Party, rec.PartyName, rec.Threshold, rec.Shards = b.BackupIDHex(), b.Party, res.Share.Name, b.Threshold, b.Shards()
	share, err := roundTrip(res.Inner)
	clear(res.Inner)
	if err != nil {
		return rec, nil, fmt.Errorf("%w: writing the restored share: %w", ErrDrillNotRun, err)
	}
	if err := share.Check(pub); err != nil {
		rec.Reason, rec.Failure = err.Error(), err
		return rec, nil, nil
	}
	rec.Pass = true
	return rec, share, nil
}

// ErrDrillNotRun wraps the errors of a drill that did not take place.
var ErrDrillNotRun = errors.New("no drill result")

// roundTrip writes the restored share encrypted to a one-time key that
// lives only in this process, into a private temporary directory, reads it
// back and removes it. The file is unreadable once the process ends, even
// if the removal fails.
func roundTrip(inner []byte) (*keyshare.Share, error) {
	eph, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "coldsig-drill-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "share.age")
	sealed, err := keyshare.SealInner(inner, eph.Recipient())
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Create(path, sealed, 0o600); err != nil {
		return nil, err
	}
	back, err := keyshare.ReadShareFile(path)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Remove(path); err != nil {
		return nil, err
	}
	return keyshare.OpenShare(back, eph)
}
