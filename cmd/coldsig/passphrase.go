package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// passphraseFileEnv names a file holding the passphrase, for unattended
// drills and scripts. It holds a path, not the passphrase itself: a process's
// environment is readable by the same user through /proc/PID/environ, is
// inherited by every child process and ends up in crash reports, while a
// 0600 file can be put on a tmpfs and removed right after use.
const passphraseFileEnv = "COLDSIG_PASSPHRASE_FILE"

// maxPassphraseFile bounds what is read from a passphrase file.
const maxPassphraseFile = 4 << 10

// testOnlyScryptLogN, when non-zero, replaces age's scrypt work factor for
// new passphrase-encrypted files. Only test files in this package set it
// (through testMainHooks); the shipped binary reads no flag or variable
// that could weaken the KDF.
var testOnlyScryptLogN int

// passphraseFlags are the flags shared by commands that read or write a
// passphrase-protected file. The passphrase comes from, in order:
// --passphrase-file, $COLDSIG_PASSPHRASE_FILE, the terminal on stdin.
type passphraseFlags struct {
	file string
}

func (p *passphraseFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&p.file, "passphrase-file", "", "read the passphrase from `FILE`, which holds only the passphrase (one line), instead of the terminal (also $"+passphraseFileEnv+")")
}

// source returns the passphrase file to use, or "" for the terminal.
func (p *passphraseFlags) source() string {
	if p.file != "" {
		return p.file
	}
	return os.Getenv(passphraseFileEnv)
}

// read returns the passphrase that unlocks what (a file name, used in the
// prompt).
func (p *passphraseFlags) read(cmd *cobra.Command, what string) ([]byte, error) {
	if f := p.source(); f != "" {
		return readPassphraseFile(cmd, f)
	}
	return promptPassphrase(cmd, fmt.Sprintf("Passphrase for %s: ", what))
}

// readNew returns a passphrase for a new file: from the passphrase file,
// or asked on the terminal (see promptNewPassphrase). Either way it must
// pass checkStrength; or is the caller's alternative to a weak passphrase,
// named in the hint (see strengthHint).
func (p *passphraseFlags) readNew(cmd *cobra.Command, what, or string) ([]byte, error) {
	if f := p.source(); f != "" {
		return readNewPassphraseFile(cmd, f, or)
	}
	return promptNewPassphrase(cmd, fmt.Sprintf("New passphrase for %s: ", what), or)
}

// readNewPassphraseFile reads a passphrase that will protect a new file.
func readNewPassphraseFile(cmd *cobra.Command, path, or string) ([]byte, error) {
	pass, err := readPassphraseFile(cmd, path)
	if err != nil {
		return nil, err
	}
	if err := checkStrength(pass); err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", path, err), strengthHint(or))
	}
	return pass, nil
}

// newPassphraseTries is how often a new passphrase is asked before giving
// up (a mismatch or a weak one costs a try).
const newPassphraseTries = 3

// promptNewPassphrase asks for a new passphrase on the terminal and for it
// again; a weak one or a mismatch is asked again, up to three times. It is
// the one place new passphrases are asked (identities, backup shards).
func promptNewPassphrase(cmd *cobra.Command, prompt, or string) ([]byte, error) {
	e := getEnv(cmd)
	for try := 1; ; try++ {
		a, err := promptPassphrase(cmd, prompt)
		if err != nil {
			return nil, err
		}
		err = checkStrength(a)
		if err == nil {
			var b []byte
			if b, err = promptPassphrase(cmd, "Repeat the passphrase: "); err != nil {
				return nil, err
			}
			if bytes.Equal(a, b) {
				return a, nil
			}
			err = errors.New("the passphrases do not match")
		}
		if try == newPassphraseTries {
			if errors.Is(err, errWeakPassphrase) {
				return nil, withHint(err, strengthHint(or))
			}
			return nil, err
		}
		fmt.Fprintf(e.stderr, "coldsig: %v; try again (%d of %d)\n", err, try+1, newPassphraseTries)
	}
}

// readPassphraseFile reads the passphrase the file holds, alone. One
// trailing LF or CRLF is removed; anything after it is refused, so a file
// that is not what the officer thinks it is does not silently become a
// passphrase.
func readPassphraseFile(cmd *cobra.Command, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, withHint(fmt.Errorf("passphrase file: %w", err), "check --passphrase-file and $"+passphraseFileEnv)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(getEnv(cmd).stderr, "coldsig: warning: %s: passphrase file is readable by other users (mode %04o)\n", path, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxPassphraseFile {
		return nil, fmt.Errorf("%s: passphrase file larger than %d bytes", path, maxPassphraseFile)
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	data = bytes.TrimSuffix(data, []byte("\r"))
	if bytes.ContainsAny(data, "\r\n") {
		return nil, fmt.Errorf("%s: passphrase file has more than one line", path)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: passphrase file is empty", path)
	}
	return data, nil
}

// promptPassphrase reads a passphrase from the terminal on stdin without
// echo. It refuses to read from anything that is not a terminal, so a
// passphrase never comes from a pipe by accident.
func promptPassphrase(cmd *cobra.Command, prompt string) ([]byte, error) {
	e := getEnv(cmd)
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, withHint(errors.New("a passphrase is needed and stdin is not a terminal"),
			"use --passphrase-file FILE or set "+passphraseFileEnv+"=FILE")
	}
	fmt.Fprint(e.stderr, prompt)
	saveTerminal(int(f.Fd()))
	p, err := term.ReadPassword(int(f.Fd()))
	forgetTerminal()
	fmt.Fprintln(e.stderr)
	if err != nil {
		return nil, fmt.Errorf("reading passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("empty passphrase")
	}
	return p, nil
}
