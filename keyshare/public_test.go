package keyshare_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldsig/coldsig/internal/boundedio"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// TestLoadPublicHostile: the one public.json loader refuses a file whose
// meaning depends on the reader (a key twice, in any letter case) and a
// huge or sparse file before reading it.
func TestLoadPublicHostile(t *testing.T) {
	fx := keysharetest.Load(t, keyshare.CurveEd25519)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("public.json", fx.PublicJSON)
	if _, err := keyshare.LoadPublic(good); err != nil {
		t.Fatal(err)
	}
	orig := string(fx.PublicJSON)
	i := strings.Index(orig, `"public_key"`)
	line := orig[i : strings.Index(orig[i:], "\n")+i+1]
	for name, data := range map[string]string{
		"duplicate":      strings.Replace(orig, line, line+`  "public_key": "0100000000000000000000000000000000000000000000000000000000000000",`+"\n", 1),
		"duplicate-case": strings.Replace(orig, line, line+`  "Public_Key": "0100000000000000000000000000000000000000000000000000000000000000",`+"\n", 1),
	} {
		_, err := keyshare.LoadPublic(write(name, []byte(data)))
		if !errors.Is(err, keyshare.ErrPublic) || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("%s: %v", name, err)
		}
	}
	sparse := filepath.Join(dir, "sparse.json")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(20 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := keyshare.LoadPublic(sparse); !errors.Is(err, boundedio.ErrTooLarge) {
		t.Fatalf("sparse 20 GB public.json: %v", err)
	}
}
