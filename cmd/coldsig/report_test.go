package main

import (
	"os"
	"strings"
	"testing"
)

// TestReportCommand: coldsig report through the real binary, on a finished
// Ed25519 keygen: formats by extension and flag, standard output, the
// agreement of several parties, no overwrite, and usage errors.
func TestReportCommand(t *testing.T) {
	c := newCLI(t, "alice", "bob", "carol")
	c.ok("plan", "keygen", "--curve", "ed25519", "--threshold", "2", "--party", "ids/alice.card", "--party", "ids/bob.card", "--party", "ids/carol.card", "-o", "keygen.plan")
	var kg []party
	for _, n := range []string{"alice", "bob", "carol"} {
		kg = append(kg, party{name: n, workdir: n + "-kg"})
	}
	c.ceremonyRun("keygen.plan", "stick-kg", kg)

	r := c.ok("report", "--workdir", "alice-kg")
	for _, w := range []string{"CEREMONY RECORD", "PLAN (AS THE OFFICERS CONFIRMED IT", "fingerprint words", "transcript words", "public key", "sha256 ", "Witness / auditor"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("text report on stdout lacks %q", w)
		}
	}
	c.ok("report", "--workdir", "alice-kg", "--workdir", "bob-kg", "--workdir", "carol-kg", "-o", "kg.html")
	html, err := os.ReadFile(c.path("kg.html"))
	if err != nil || !strings.HasPrefix(string(html), "<!DOCTYPE html>") || !strings.Contains(string(html), "AGREE: every party") {
		t.Fatalf("kg.html: %v\n%.300s", err, html)
	}
	c.ok("report", "--workdir", "alice-kg", "-o", "kg.txt")
	c.ok("report", "--workdir", "alice-kg", "--format", "html", "-o", "kg.record")
	if b, _ := os.ReadFile(c.path("kg.record")); !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Error("--format html did not write HTML")
	}

	// An existing file is never overwritten.
	before, _ := os.ReadFile(c.path("kg.txt"))
	r = c.run("report", "--workdir", "bob-kg", "-o", "kg.txt")
	if r.code != exitError || !strings.Contains(r.stderr, "kg.txt: already exists") {
		t.Errorf("overwrite: exit %d\n%s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(c.path("kg.txt")); string(after) != string(before) {
		t.Error("kg.txt changed")
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, exitUsage, "report needs --workdir"},
		{[]string{"report", "--workdir", "alice-kg", "-o", "kg.pdf"}, exitUsage, "cannot tell the format"},
		{[]string{"report", "--workdir", "alice-kg", "--format", "pdf"}, exitUsage, "--format must be text or html"},
		{[]string{"report", "--workdir", "ids"}, exitError, "not a coldsig work directory"},
	} {
		r := c.run(tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", tc.args, r.code, tc.code, tc.msg, r.stderr)
		}
	}
	if _, err := os.Stat(c.path("kg.pdf")); err == nil {
		t.Error("a refused report left a file")
	}
}
