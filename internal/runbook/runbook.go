// Package runbook reads the ceremony runbooks (runbooks/*.md) so that CI
// can execute every command they show, exactly as printed, and check the
// output they promise. A runbook that drifts from the binary fails the
// build instead of failing a ceremony.
//
// A runbook's numbered steps are Markdown tables whose header row is
//
//	| Step | Role | Action | Command | Expected output | Initials | Time |
//
// The Command cell holds at most one code span: the exact command, run by
// bash in the laptop of the role (a `|` inside it is written `\|`, as
// Markdown tables require). The Expected output cell's code spans must all
// appear in the command's output, except a span `exit N`, which is the
// exit status (0 when absent). Plain text in either cell is for people.
//
// How CI stages a table is said in an HTML comment before it (invisible
// when the runbook is rendered or printed):
//
//	<!-- simulate: after=keygen-ed25519.md officers=alice,bob,carol administrator=alice -->
//
// after names the runbook whose final state the simulation starts from
// (none: empty laptops); every other key names a role, or a group ("each
// officer" runs the step once per member of officers, in order). A table
// without a comment continues the previous table's simulation.
package runbook

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Runbook is one parsed runbook file.
type Runbook struct {
	Name string
	Sims []*Sim
}

// Sim is one simulated ceremony: its staging and its steps, in order.
type Sim struct {
	Line int // of the simulate comment
	// After is the runbook whose end state this simulation starts from.
	After string
	// Roles maps a role or group name to the participants who take it.
	Roles map[string][]string
	// Inject names harness actions to run before a step: step number ->
	// action name (for faults a command cannot make, such as a crafted
	// envelope from a misbehaving party).
	Inject map[string]string
	Steps  []Step
}

// Step is one row of a steps table.
type Step struct {
	Line    int
	Number  string
	Role    string
	Action  string
	Command string // "" for a step without a command
	Expect  []string
	Exit    int
}

var (
	simRe   = regexp.MustCompile(`^<!--\s*simulate:(.*?)-->\s*$`)
	spanRe  = regexp.MustCompile("`([^`]+)`")
	exitRe  = regexp.MustCompile(`^exit (\d+)$`)
	headers = []string{"step", "role", "action", "command", "expected output", "initials", "time"}
)

// Parse reads a runbook.
func Parse(name string, data []byte) (*Runbook, error) {
	rb := &Runbook{Name: name}
	var cur *Sim
	lines := splitLines(data)
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		lineNo := i + 1
		if m := simRe.FindStringSubmatch(line); m != nil {
			s, err := parseSim(m[1])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, lineNo, err)
			}
			s.Line = lineNo
			cur = s
			rb.Sims = append(rb.Sims, s)
			continue
		}
		if !strings.HasPrefix(line, "|") || !isStepsHeader(splitRow(line)) {
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: a steps table with no <!-- simulate: ... --> comment before it", name, lineNo)
		}
		if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|") {
			return nil, fmt.Errorf("%s:%d: steps table has no separator row", name, lineNo)
		}
		i += 2
		for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
			st, err := parseStep(splitRow(strings.TrimSpace(lines[i])))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			st.Line = i + 1
			cur.Steps = append(cur.Steps, st)
		}
		i--
	}
	if len(rb.Sims) == 0 {
		return nil, fmt.Errorf("%s: no steps table", name)
	}
	for _, s := range rb.Sims {
		if len(s.Steps) == 0 {
			return nil, fmt.Errorf("%s:%d: simulation with no steps table", name, s.Line)
		}
		for n := range s.Inject {
			found := false
			for _, st := range s.Steps {
				found = found || st.Number == n
			}
			if !found {
				return nil, fmt.Errorf("%s:%d: inject before step %s, which the table lacks", name, s.Line, n)
			}
		}
	}
	return rb, nil
}

func splitLines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func parseSim(s string) (*Sim, error) {
	sim := &Sim{Roles: map[string][]string{}, Inject: map[string]string{}}
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("simulate: %q is not key=value", kv)
		}
		switch k {
		case "after":
			sim.After = v
		case "inject":
			// inject=ACTION@STEP
			action, step, ok := strings.Cut(v, "@")
			if !ok {
				return nil, fmt.Errorf("simulate: inject=%s: want ACTION@STEP", v)
			}
			sim.Inject[step] = action
		default:
			sim.Roles[k] = strings.Split(v, ",")
		}
	}
	return sim, nil
}

// splitRow splits a table row into trimmed cells at unescaped pipes and
// unescapes `\|`.
func splitRow(line string) []string {
	line = strings.TrimPrefix(strings.TrimSpace(line), "|")
	var cells []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) && line[i+1] == '|' {
			b.WriteByte('|')
			i++
			continue
		}
		if c == '|' {
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
			continue
		}
		b.WriteByte(c)
	}
	if rest := strings.TrimSpace(b.String()); rest != "" {
		cells = append(cells, rest)
	}
	return cells
}

func isStepsHeader(cells []string) bool {
	if len(cells) != len(headers) {
		return false
	}
	for i, h := range headers {
		if strings.ToLower(cells[i]) != h {
			return false
		}
	}
	return true
}

func parseStep(cells []string) (Step, error) {
	if len(cells) < 5 {
		return Step{}, fmt.Errorf("steps row has %d cells, want %d", len(cells), len(headers))
	}
	if len(cells) > len(headers) {
		return Step{}, fmt.Errorf("steps row has %d cells, want %d (write a | inside a command as \\|)", len(cells), len(headers))
	}
	st := Step{Number: cells[0], Role: cells[1], Action: cells[2]}
	if st.Number == "" || st.Role == "" {
		return Step{}, fmt.Errorf("steps row without a step number or role")
	}
	cmds := spanRe.FindAllStringSubmatch(cells[3], -1)
	switch len(cmds) {
	case 0:
	case 1:
		st.Command = cmds[0][1]
	default:
		return Step{}, fmt.Errorf("step %s: %d commands in one row; give each its own step", st.Number, len(cmds))
	}
	for _, m := range spanRe.FindAllStringSubmatch(cells[4], -1) {
		if e := exitRe.FindStringSubmatch(m[1]); e != nil {
			st.Exit, _ = strconv.Atoi(e[1])
			continue
		}
		st.Expect = append(st.Expect, m[1])
	}
	if st.Command == "" && (len(st.Expect) > 0 || st.Exit != 0) {
		return Step{}, fmt.Errorf("step %s: expected output but no command", st.Number)
	}
	return st, nil
}

// Participants returns who takes a step: "each X" means every member of
// group X (or Xs), any other role the participants listed for it, or the
// role itself when it names a participant.
func (s *Sim) Participants(role string) ([]string, error) {
	r := strings.ToLower(strings.TrimSpace(role))
	if g, ok := strings.CutPrefix(r, "each "); ok {
		g = strings.ReplaceAll(g, " ", "-")
		for _, k := range []string{g, g + "s"} {
			if m, ok := s.Roles[k]; ok {
				return m, nil
			}
		}
		return nil, fmt.Errorf("role %q: no group %q in the simulate comment", role, g)
	}
	k := strings.ReplaceAll(r, " ", "-")
	if m, ok := s.Roles[k]; ok {
		return m, nil
	}
	for _, members := range s.Roles {
		for _, m := range members {
			if m == k {
				return []string{k}, nil
			}
		}
	}
	return nil, fmt.Errorf("role %q is neither a group nor a participant of the simulate comment", role)
}
