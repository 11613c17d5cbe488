package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/coldsig/coldsig/envelope"
	"github.com/coldsig/coldsig/identity"
	"github.com/spf13/cobra"
)

// coldsig-testonly is a second program of the test binary (see TestMain)
// for the scripts: "seal" makes envelopes by hand, "encrypt" makes an age
// file that is not an envelope and "flip" damages a byte. It is a program of its own, not hidden coldsig commands, so the
// coldsig the scripts run has exactly the shipped command tree.
func testOnlyMain() int {
	root := &cobra.Command{Use: "coldsig-testonly", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newTestOnlySealCommand(), newTestOnlyEncryptCommand(), newTestOnlyFlipCommand())
	e := &env{os.Stdin, os.Stdout, os.Stderr}
	root.SetArgs(os.Args[1:])
	if err := root.ExecuteContext(context.WithValue(context.Background(), envKey{}, e)); err != nil {
		return reportError(e.stderr, err)
	}
	return exitOK
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
		Use:  "seal OUT",
		Args: exactArgs(1, "OUT"),
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

// newTestOnlyEncryptCommand encrypts IN to the --recipient cards, as age
// would: a file on a stick that decrypts for a party but is no envelope.
func newTestOnlyEncryptCommand() *cobra.Command {
	var cards []string
	cmd := &cobra.Command{
		Use:  "encrypt IN OUT",
		Args: exactArgs(2, "IN OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rcpts []age.Recipient
			for _, p := range cards {
				c, err := identity.LoadCard(p)
				if err != nil {
					return err
				}
				rcpts = append(rcpts, c.Recipient)
			}
			in, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			w, err := age.Encrypt(&buf, rcpts...)
			if err != nil {
				return err
			}
			if _, err := w.Write(in); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			return os.WriteFile(args[1], buf.Bytes(), 0o600)
		},
	}
	cmd.Flags().StringArrayVar(&cards, "recipient", nil, "")
	return cmd
}

// newTestOnlyFlipCommand damages one byte of FILE: it flips the low bit,
// or with --base64 replaces the byte by another base64 letter ('A' or 'B'),
// so that a text field stays well-formed and only its value changes.
func newTestOnlyFlipCommand() *cobra.Command {
	var b64 bool
	cmd := &cobra.Command{
		Use:  "flip FILE OFFSET",
		Args: exactArgs(2, "FILE OFFSET"),
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
