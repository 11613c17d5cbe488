package runbook

import (
	"strings"
	"testing"
)

const sample = "# x\n\n<!-- simulate: officers=alice,bob administrator=admin inject=fault@2 -->\n\n" +
	"| Step | Role | Action | Command | Expected output | Initials | Time |\n|---|---|---|---|---|---|---|\n" +
	"| 1 | each officer | make | `coldsig identity new \"$ME\"` | `created`; `.card` | | |\n" +
	"| 2 | administrator | pipe | `ls \\| wc -l` | `exit 3` | | |\n" +
	"| 3 | witness | look | | the words match | | |\n"

func TestParse(t *testing.T) {
	rb, err := Parse("x.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	s := rb.Sims[0]
	if len(s.Steps) != 3 || s.Inject["2"] != "fault" {
		t.Fatalf("%+v", s)
	}
	if st := s.Steps[0]; st.Command != `coldsig identity new "$ME"` || strings.Join(st.Expect, ",") != "created,.card" || st.Exit != 0 || st.Line != 7 {
		t.Fatalf("step 1: %+v", st)
	}
	if st := s.Steps[1]; st.Command != "ls | wc -l" || st.Exit != 3 || len(st.Expect) != 0 {
		t.Fatalf("step 2: %+v", st)
	}
	if st := s.Steps[2]; st.Command != "" {
		t.Fatalf("step 3: %+v", st)
	}
	for role, want := range map[string]string{"each officer": "alice,bob", "Administrator": "admin", "bob": "bob"} {
		got, err := s.Participants(role)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("Participants(%q) = %v, %v", role, got, err)
		}
	}
	for _, role := range []string{"each custodian", "dave"} {
		if _, err := s.Participants(role); err == nil {
			t.Errorf("Participants(%q): no error", role)
		}
	}
}

func TestParseErrors(t *testing.T) {
	head := "| Step | Role | Action | Command | Expected output | Initials | Time |\n|---|---|---|---|---|---|---|\n"
	for name, c := range map[string]struct{ doc, want string }{
		"no simulate":   {head + "| 1 | a | b | `c` | | | |\n", "no <!-- simulate"},
		"two commands":  {"<!-- simulate: a=x -->\n" + head + "| 1 | a | b | `c` `d` | | | |\n", "2 commands in one row"},
		"raw pipe":      {"<!-- simulate: a=x -->\n" + head + "| 1 | a | b | `c | d` | | | |\n", "write a | inside a command as \\|"},
		"expect no cmd": {"<!-- simulate: a=x -->\n" + head + "| 1 | a | b | | `out` | | |\n", "expected output but no command"},
		"bad inject":    {"<!-- simulate: a=x inject=f@9 -->\n" + head + "| 1 | a | b | `c` | | | |\n", "inject before step 9"},
		"no table":      {"# nothing\n", "no steps table"},
		"bad simulate":  {"<!-- simulate: officers -->\n" + head, "not key=value"},
	} {
		_, err := Parse("x.md", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}
