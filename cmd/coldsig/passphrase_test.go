package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// The test binary only: cheap scrypt for the identities the scripts create.
func init() {
	testMainHooks = append(testMainHooks, func() { testOnlyScryptLogN = 4 })
}

func TestReadPassphraseFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content, want, err string
	}{
		{"secret\n", "secret", ""},
		{"secret", "secret", ""},
		{"secret\r\n", "secret", ""},
		{"  spaced out  \n", "  spaced out  ", ""},
		{"", "", "passphrase file is empty"},
		{"\n", "", "passphrase file is empty"},
		{"one\ntwo\n", "", "more than one line"},
		{"secret\n\n", "", "more than one line"},
		{strings.Repeat("x", maxPassphraseFile+1), "", "larger than"},
	} {
		p := filepath.Join(dir, "pass")
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := &cobra.Command{}
		var stderr bytes.Buffer
		cmd.SetContext(testContext(&stderr))
		got, err := readPassphraseFile(cmd, p)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), p) {
				t.Errorf("%q: err = %v, want %q naming the file", tc.content, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.content, got, err, tc.want)
		}
		if stderr.Len() != 0 {
			t.Errorf("unexpected warning for a 0600 file: %s", stderr.String())
		}
	}
	p := filepath.Join(dir, "open")
	if err := os.WriteFile(p, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetContext(testContext(&stderr))
	if _, err := readPassphraseFile(cmd, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "readable by other users") {
		t.Errorf("no warning for a world-readable passphrase file: %q", stderr.String())
	}
}

func TestPromptRefusesNonTerminal(t *testing.T) {
	cmd := &cobra.Command{}
	var stderr bytes.Buffer
	cmd.SetContext(testContext(&stderr))
	if _, err := promptPassphrase(cmd, "Passphrase: "); err == nil || !strings.Contains(err.Error(), "not a terminal") {
		t.Fatalf("err = %v", err)
	}
}

func testContext(stderr *bytes.Buffer) context.Context {
	return context.WithValue(context.Background(), envKey{}, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr})
}
