package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
)

// The test binary only: cheap scrypt for the identities the scripts create,
// and two hidden helper commands the scripts use to make and damage
// envelopes (the shipped binary has no command that seals an envelope by
// hand).
func init() {
	testMainHooks = append(testMainHooks, func() { testOnlyScryptLogN = 4 })
	register(newTestOnlySealCommand)
	register(newTestOnlyFlipCommand)
}

func newTestOnlySealCommand() *cobra.Command {
	var (
		idPath, session, protocol, to, echo, payload string
		round, from                                  int
		seq                                          uint64
		cards                                        []string
		pass                                         passphraseFlags
	)
	cmd := &cobra.Command{
		Use:    "testonly-seal OUT",
		Hidden: true,
		Args:   exactArgs(1, "OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := loadIdentity(cmd, idPath, &pass)
			if err != nil {
				return err
			}
			h := envelope.Header{Protocol: protocol, Round: round, From: from, Seq: seq}
			if _, err := hex.Decode(h.Session[:], []byte(session)); err != nil {
				return err
			}
			if echo != "" {
				if _, err := hex.Decode(h.Echo[:], []byte(echo)); err != nil {
					return err
				}
			}
			if to != "all" {
				if h.To, err = strconv.Atoi(to); err != nil {
					return err
				}
			}
			var rcpts []age.Recipient
			for _, p := range cards {
				c, err := identity.LoadCard(p)
				if err != nil {
					return err
				}
				rcpts = append(rcpts, c.Recipient)
			}
			data, err := envelope.Seal(h, []byte(payload), id, rcpts)
			if err != nil {
				return err
			}
			out := args[0]
			if out == "-" {
				out = envelope.FileName(h)
			}
			fmt.Fprintln(getEnv(cmd).stdout, out)
			return os.WriteFile(out, data, 0o644)
		},
	}
	f := cmd.Flags()
	f.StringVar(&idPath, "identity", "", "")
	f.StringVar(&session, "session", strings.Repeat("5e", 32), "")
	f.StringVar(&protocol, "protocol", "eddsa-keygen", "")
	f.IntVar(&round, "round", 1, "")
	f.IntVar(&from, "from", 1, "")
	f.StringVar(&to, "to", "all", "")
	f.Uint64Var(&seq, "seq", 1, "")
	f.StringVar(&echo, "echo", "", "")
	f.StringVar(&payload, "payload", "tss-lib wire bytes", "")
	f.StringArrayVar(&cards, "recipient", nil, "")
	pass.addFlags(f)
	return cmd
}

// newTestOnlyFlipCommand damages one byte of FILE: it flips the low bit,
// or with --base64 replaces the byte by another base64 letter ('A' or 'B'),
// so that a text field stays well-formed and only its value changes.
func newTestOnlyFlipCommand() *cobra.Command {
	var b64 bool
	cmd := &cobra.Command{
		Use:    "testonly-flip FILE OFFSET",
		Hidden: true,
		Args:   exactArgs(2, "FILE OFFSET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			off, err := strconv.Atoi(args[1])
			if err != nil {
				return err
			}
			if off < 0 {
				off += len(data)
			}
			switch {
			case !b64:
				data[off] ^= 0x01
			case data[off] == 'A':
				data[off] = 'B'
			default:
				data[off] = 'A'
			}
			return os.WriteFile(args[0], data, 0o644)
		},
	}
	cmd.Flags().BoolVar(&b64, "base64", false, "")
	return cmd
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
