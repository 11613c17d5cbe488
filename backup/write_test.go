package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/coldsig/coldsig/internal/atomicfile"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/qr"
)

func recipients(tb *testBackup) []age.Recipient {
	var rs []age.Recipient
	for _, id := range tb.ids {
		rs = append(rs, id.(*age.X25519Identity).Recipient())
	}
	return rs
}

// TestWriteAllOrNothing: a name already taken by the last shard's paper
// form fails the whole write, and nothing of the backup is left, not even
// the directory it made.
func TestWriteAllOrNothing(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 3)
	root := t.TempDir()
	dir := filepath.Join(root, "new", "backup")
	files, err := Write(context.Background(), dir, tb.shards, recipients(tb), WriteOptions{Paper: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		data, err := os.ReadFile(f.Shard)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenShard(data, tb.ids[i]); err != nil {
			t.Fatalf("%s: %v", f.Shard, err)
		}
		if _, err := os.Stat(f.Paper); err != nil {
			t.Fatal(err)
		}
	}
	// Again into an existing dir where one name is taken.
	dir2 := filepath.Join(root, "taken")
	os.Mkdir(dir2, 0o700)
	taken := FilesOf(dir2, 3, "custodian3").Paper
	os.WriteFile(taken, []byte("mine"), 0o600)
	if _, err := Write(context.Background(), dir2, tb.shards, recipients(tb), WriteOptions{Paper: true}); !errors.Is(err, atomicfile.ErrExists) {
		t.Fatalf("write over a taken name: %v", err)
	}
	ents, _ := os.ReadDir(dir2)
	if len(ents) != 1 || ents[0].Name() != filepath.Base(taken) {
		t.Fatalf("left behind: %v", ents)
	}
}

// TestWriteQRPages: every page of a shard is labelled with what it is, and
// the pages without any one of them still give the shard back.
func TestWriteQRPages(t *testing.T) {
	tb := makeBackup(t, keyshare.CurveEd25519, 2, 2)
	dir := filepath.Join(t.TempDir(), "b")
	files, err := Write(context.Background(), dir, tb.shards[:1], recipients(tb)[:1], WriteOptions{QR: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(files[0].Shard)
	frames, _ := os.ReadFile(filepath.Join(files[0].QRDir, qr.TextName))
	lines := strings.Fields(string(frames))
	n := len(lines)
	if n < 2 {
		t.Fatalf("%d pages", n)
	}
	label := strings.Join(PageLabel(tb.shards[0], 2, n), "\n")
	for _, w := range []string{"page 2 of", "backup " + tb.shards[0].BackupIDHex(), "custodian custodian1 - shard 1 of 2 (any 2)", "any one page"} {
		if !strings.Contains(label, w) {
			t.Errorf("label %q lacks %q", label, w)
		}
	}
	for lost := 0; lost < n; lost++ {
		c := &qr.Collector{}
		for i := 0; i < n; i++ {
			if i == lost {
				continue
			}
			if err := c.File(filepath.Join(files[0].QRDir, qr.PNGName(i))); err != nil && !errors.Is(err, qr.ErrComplete) {
				t.Fatal(err)
			}
		}
		got, err := c.Decoder.Result()
		if err != nil || string(got) != string(want) {
			t.Fatalf("without page %d: %v", lost+1, err)
		}
	}
}
