// Package buildinfo describes the running coldsig build: its version and
// commit, the toolchain and the cryptographic libraries compiled in, and
// the SHA-256 of the executable itself. An officer compares that hash with
// the release's SHA256SUMS, read aloud, before the binary touches a key;
// the ceremony report records it.
package buildinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/coldsig/coldsig/internal/termsafe"
)

// Set by `make release` through -ldflags -X. They are plain strings from
// git (describe and rev-parse), so two builds of one commit stamp the same
// bytes and stay reproducible. Ordinary builds leave them empty and the
// values come from the Go build info instead.
var (
	version string
	commit  string
)

// Module paths whose versions officers and auditors ask about.
const (
	TSSLibPath = "github.com/bnb-chain/tss-lib/v2"
	AgePath    = "filippo.io/age"
)

// Info describes one build.
type Info struct {
	Version   string // release version, or the module version, or "(devel)"
	Commit    string // full commit hash, "" when unknown
	Modified  bool   // built from a tree with uncommitted changes (Go's VCS stamp)
	GoVersion string // toolchain, e.g. go1.26.8
	Platform  string // GOOS/GOARCH
	TSSLib    string // tss-lib module version
	Age       string // age module version
	// Executable is the path of the running binary and SHA256 its hex
	// digest; HashErr says why the hash is missing when it is.
	Executable string
	SHA256     string
	HashErr    error
}

// Read describes the running build, hashing the executable.
func Read() Info {
	in := fromBuildInfo()
	in.Executable, in.SHA256, in.HashErr = hashExecutable()
	return in
}

func fromBuildInfo() Info {
	in := Info{
		Version:   "(devel)",
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		TSSLib:    "unknown",
		Age:       "unknown",
	}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if v := bi.Main.Version; v != "" {
			in.Version = v
		}
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v += " => " + d.Replace.Path + " " + d.Replace.Version
			}
			switch d.Path {
			case TSSLibPath:
				in.TSSLib = v
			case AgePath:
				in.Age = v
			}
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		in.Version = version
	}
	if commit != "" {
		in.Commit = commit
	}
	return in
}

// hashExecutable returns the resolved path of the running binary and the
// hex SHA-256 of its bytes.
func hashExecutable() (string, string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", "", fmt.Errorf("cannot locate the running binary: %w", err)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	sum, err := HashFile(p)
	return p, sum, err
}

// HashFile returns the hex SHA-256 of a file's bytes.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CommitString is the commit as printed: the hash, marked when the tree
// had uncommitted changes, or "unknown".
func (in Info) CommitString() string {
	c := in.Commit
	if c == "" {
		c = "unknown"
	}
	if in.Modified {
		c += " (modified: uncommitted changes, not a release build)"
	}
	return c
}

// Lines returns the description as label/value pairs, in print order. The
// labels are stable: runbooks and scripts match them.
func (in Info) Lines() [][2]string {
	sum := in.SHA256
	if sum == "" {
		sum = "unavailable"
		if in.HashErr != nil {
			sum += ": " + in.HashErr.Error()
		}
	}
	return [][2]string{
		{"coldsig", in.Version},
		{"commit", in.CommitString()},
		{"go", in.GoVersion + " " + in.Platform},
		{"tss-lib", in.TSSLib},
		{"age", in.Age},
		{"binary", in.Executable},
		{"sha256", sum},
	}
}

// String is the multi-line description `coldsig version` prints, safe for a
// terminal (the executable's path is whatever the machine says).
func (in Info) String() string {
	var b strings.Builder
	for _, l := range in.Lines() {
		fmt.Fprintf(&b, "%-9s %s\n", l[0], termsafe.String(l[1]))
	}
	return b.String()
}
