package qr

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/atomicfile"
)

func TestReadPayloadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "env.age")
	os.WriteFile(p, []byte("payload"), 0o600)
	if b, err := ReadPayloadFile(p); err != nil || string(b) != "payload" {
		t.Fatalf("%q, %v", b, err)
	}
	big := filepath.Join(dir, "big")
	f, _ := os.Create(big)
	f.Truncate(MaxPayload + 1)
	f.Close()
	if _, err := ReadPayloadFile(big); !errors.Is(err, ErrFileTooLarge) || !strings.Contains(err.Error(), "more than the") || !strings.Contains(err.Error(), big) {
		t.Fatalf("too large: %v", err)
	}
	if _, err := ReadPayloadFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory: %v", err)
	}
}

// TestWriteGIFs: every file becomes DIR/<name>.gif, byte for byte what
// WriteDir writes for it; the same files again keep the GIFs; a different
// GIF in the way fails the whole call and adds nothing.
func TestWriteGIFs(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	src := t.TempDir()
	var files []string
	for i, n := range []int{300, 1500} {
		p := filepath.Join(src, []string{"a.age", "b.age"}[i])
		os.WriteFile(p, randomPayload(r, n), 0o600)
		files = append(files, p)
	}
	out := filepath.Join(t.TempDir(), "qr")
	gifs, err := WriteGIFs(ctx, out, files)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range gifs {
		payload, _ := os.ReadFile(files[i])
		enc, _ := NewEncoder(payload, nil)
		if g.Path != filepath.Join(out, filepath.Base(files[i])+".gif") || g.Present || g.Frames != len(enc.Frames()) || g.Min != enc.SeqLen() {
			t.Fatalf("gif %d: %+v", i, g)
		}
		ref := filepath.Join(t.TempDir(), "ref")
		if err := WriteDir(ctx, ref, payload, enc.Frames(), RenderOptions{Format: GIF}); err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(ref, GIFName))
		got, _ := os.ReadFile(g.Path)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs from qr encode --gif's", g.Path)
		}
	}
	again, err := WriteGIFs(ctx, out, files)
	if err != nil || !again[0].Present || !again[1].Present {
		t.Fatalf("the same files again: %+v, %v", again, err)
	}
	os.WriteFile(files[1], randomPayload(r, 700), 0o600)
	c := filepath.Join(src, "c.age")
	os.WriteFile(c, []byte("new"), 0o600)
	if _, err := WriteGIFs(ctx, out, []string{c, files[1]}); !errors.Is(err, atomicfile.ErrExists) {
		t.Fatalf("a different GIF in the way: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "c.age.gif")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed call left c.age.gif: %v", err)
	}
}
