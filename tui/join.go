package tui

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/plan"
)

// joinScreen leads an officer from a plan file to a running ceremony:
// which plan, what to bring (asked only when the plan needs it, and
// checked before the gate: whose share, which pre-parameters), then the
// confirmation gate. Nothing is computed or written before the officer
// answers y at the gate; n leaves without any state.
type joinScreen struct {
	base
	scroller
	stage   joinStage
	planF   form
	inputs  form
	fields  []string // the inputs form's field kinds, in order
	p       *plan.Plan
	desc    *plan.Description
	needs   *ceremony.Needs
	role    ceremony.Role
	checked *ceremony.JoinOptions // the inputs, loaded and checked before the gate
	errText string
	spin    spinner.Model
}

type joinStage int

const (
	stagePlan joinStage = iota
	stageLoading
	stageCommittee
	stageInputs
	stageChecking
	stageGate
	stageJoining
)

// Field kinds of the inputs form.
const (
	fWorkdir   = "workdir"
	fPreparams = "preparams"
	fShare     = "share"
	fInbox     = "inbox"
)

type (
	planLoadedMsg struct {
		p     *plan.Plan
		desc  *plan.Description
		needs *ceremony.Needs
		err   error
	}
	checkedMsg struct {
		jo  *ceremony.JoinOptions
		err error
	}
	joinedMsg struct {
		workdir string
		inbox   string
		rep     *ceremony.Report
		note    string
		err     error
	}
)

func newJoin(a *App) *joinScreen {
	return &joinScreen{
		planF: newForm(fieldSpec{label: "Plan file", hint: "the .plan file every officer received (e.g. on the stick)"}),
		spin:  spinner.New(spinner.WithSpinner(spinner.Line)),
	}
}

func (j *joinScreen) typing() bool { return j.stage == stagePlan || j.stage == stageInputs }

func (j *joinScreen) init(a *App) tea.Cmd { return nil }

func (j *joinScreen) loadPlan(a *App, path string) tea.Cmd {
	j.stage, j.errText = stageLoading, ""
	card := a.sess.id.Card()
	return tea.Batch(j.spin.Tick, async(j, func() tea.Msg {
		p, err := plan.Load(path)
		if err != nil {
			return planLoadedMsg{err: err}
		}
		d, err := plan.Describe(p, card.Fingerprint())
		if err != nil {
			return planLoadedMsg{err: err}
		}
		n, err := ceremony.InputsFor(p, card, ceremony.RoleMember)
		if err != nil {
			return planLoadedMsg{err: err}
		}
		return planLoadedMsg{p: p, desc: d, needs: n}
	}))
}

// inputsForm asks for what the plan needs, with defaults from this
// session (the share of the key made a moment ago, the pre-parameters
// generated, the inbox in use).
func (j *joinScreen) inputsForm(a *App) {
	me := a.sess.id.Name
	sess := hex.EncodeToString(j.p.Session[:4])
	wd := filepath.Join(a.opts.Dir, fmt.Sprintf("%s-%s-%s", me, j.p.Protocol, sess))
	if j.needs.Committee {
		wd += "-" + strings.Fields(j.role.String())[0]
	}
	specs := []fieldSpec{{label: "Work directory (new; this party's state for this ceremony)", value: wd}}
	j.fields = []string{fWorkdir}
	if j.needs.PreParams {
		specs = append(specs, fieldSpec{label: "Pre-parameters file (from 'generate pre-parameters')", value: a.sess.preparams,
			hint: "single use: deleted once the ceremony has taken them"})
		j.fields = append(j.fields, fPreparams)
	}
	if j.needs.Share {
		specs = append(specs, fieldSpec{label: "Your key share (share.age from the key's result/)", value: a.sess.lastShare})
		j.fields = append(j.fields, fShare)
	}
	specs = append(specs, fieldSpec{label: "Inbox: where the other parties' envelopes arrive (the stick)", value: a.sess.inbox})
	j.fields = append(j.fields, fInbox)
	j.inputs = newForm(specs...)
	j.stage = stageInputs
}

func (j *joinScreen) field(kind string) string {
	for i, k := range j.fields {
		if k == kind {
			return j.inputs.value(i)
		}
	}
	return ""
}

// check loads the inputs and runs the join's checks before the gate, so
// the officer who answers y is not then told an input is wrong.
func (j *joinScreen) check(a *App) tea.Cmd {
	j.stage, j.errText, j.checked = stageChecking, "", nil
	id, p, role, ledger := a.sess.id, j.p, j.role, ceremony.LedgerPath(a.sess.idPath)
	wd, pp, sh := j.field(fWorkdir), j.field(fPreparams), j.field(fShare)
	return tea.Batch(j.spin.Tick, async(j, func() tea.Msg {
		jo := ceremony.JoinOptions{Options: ceremony.Options{WorkDir: wd, Identity: id}, Plan: p, Committee: role, Ledger: ledger}
		// The work directory and the ledger first, as the CLI does: a
		// rejoin of a deleted work dir no longer has the pre-parameters
		// it consumed, and must be told why it is refused.
		if err := ceremony.CheckJoinTarget(jo); err != nil {
			return checkedMsg{err: err}
		}
		var err error
		// A work directory holding a state already goes on from it
		// without inputs (the first run deleted the pre-parameters).
		if _, serr := ceremony.ReadStatus(wd); serr == nil {
			pp, sh = "", ""
		}
		if pp != "" {
			if jo.PreParams, err = ceremony.LoadPreParams(pp, id.X25519); err != nil {
				return checkedMsg{err: err}
			}
		}
		if sh != "" {
			if jo.Share, err = keyshare.LoadShare(sh, id.X25519); err != nil {
				if errors.Is(err, keyshare.ErrNotYours) {
					err = fmt.Errorf("%s: this share is not encrypted to %s; give the share.age from your own result/ directory", sh, id.Name)
				}
				return checkedMsg{err: err}
			}
		}
		if err := ceremony.CheckJoin(jo); err != nil {
			return checkedMsg{err: err}
		}
		return checkedMsg{jo: &jo}
	}))
}

func (j *joinScreen) join(a *App) tea.Cmd {
	j.stage, j.errText = stageJoining, ""
	jo, wd, pp, inbox := *j.checked, j.field(fWorkdir), j.field(fPreparams), j.field(fInbox)
	return tea.Batch(j.spin.Tick, async(j, func() tea.Msg {
		rep, joinErr := ceremony.Join(context.Background(), jo)
		note := ""
		if pp != "" && jo.PreParams != nil {
			// Before any error is returned: a join that committed and
			// then failed (exit 5) used them too.
			used, err := ceremony.RetirePreParams(pp, rep, joinErr)
			switch {
			case err != nil:
				note = fmt.Sprintf("could not delete the used pre-parameters %s: %v; delete it by hand", termsafe.Path(pp), err)
			case used:
				note = "deleted the used pre-parameters " + termsafe.Path(pp)
			case joinErr == nil:
				note = termsafe.Path(pp) + " was not used (this party had already joined); it was left in place"
			}
		}
		if joinErr != nil {
			if note != "" {
				joinErr = fmt.Errorf("%w (%s)", joinErr, note)
			}
			return joinedMsg{err: joinErr}
		}
		return joinedMsg{workdir: wd, inbox: inbox, rep: rep, note: note}
	}))
}

func (j *joinScreen) update(a *App, msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case spinner.TickMsg:
		return spinOn(&j.spin, j.stage == stageLoading || j.stage == stageChecking || j.stage == stageJoining, m)
	case planLoadedMsg:
		if m.err != nil {
			j.stage, j.errText = stagePlan, m.err.Error()
			return nil
		}
		j.p, j.desc, j.needs = m.p, m.desc, m.needs
		if m.needs.Committee {
			j.stage = stageCommittee
			return nil
		}
		j.role = ceremony.RoleMember
		j.inputsForm(a)
		return nil
	case checkedMsg:
		if m.err != nil {
			j.stage, j.errText = stageInputs, m.err.Error()
			return nil
		}
		j.checked, j.errText, j.off = m.jo, "", 0
		j.stage = stageGate
		return nil
	case joinedMsg:
		if m.err != nil {
			j.stage, j.errText = stageGate, m.err.Error()
			return nil
		}
		if m.inbox != "" {
			a.sess.inbox = m.inbox
		}
		if j.field(fPreparams) != "" && a.sess.preparams == j.field(fPreparams) {
			a.sess.preparams = ""
		}
		cs := newCeremony(m.workdir, splitInbox(m.inbox), !a.opts.NoAutoStep)
		cs.joinNote = m.note
		return replace(cs)
	case errMsg:
		j.stage, j.errText = stageGate, m.err.Error()
		return nil
	case tea.KeyPressMsg:
		return j.key(a, m)
	}
	return nil
}

func splitInbox(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (j *joinScreen) key(a *App, k tea.KeyPressMsg) tea.Cmd {
	switch j.stage {
	case stagePlan:
		if k.String() == "esc" {
			return pop()
		}
		done, cmd := j.planF.update(k)
		if done && j.planF.value(0) != "" {
			return j.loadPlan(a, j.planF.value(0))
		}
		return cmd
	case stageCommittee:
		switch k.String() {
		case "o":
			j.role = ceremony.RoleOld
		case "n":
			j.role = ceremony.RoleNew
		case "esc":
			return pop()
		default:
			return nil
		}
		n, err := ceremony.InputsFor(j.p, a.sess.id.Card(), j.role)
		if err != nil {
			j.errText = err.Error()
			return nil
		}
		j.needs = n
		j.inputsForm(a)
		return nil
	case stageInputs:
		if k.String() == "esc" {
			j.stage = stagePlan
			return nil
		}
		done, cmd := j.inputs.update(k)
		if !done {
			return cmd
		}
		for i := range j.fields {
			if j.inputs.value(i) == "" {
				j.errText = "Fill in: " + j.inputs.fields[i].label
				j.inputs.setFocus(i)
				return nil
			}
		}
		return j.check(a)
	case stageGate:
		switch k.String() {
		case "y", "Y":
			_, body, footer := j.view(a)
			if !atEnd(body, footer, a.w, a.h, j.off) {
				j.errText = "Read the whole plan first: scroll down (pgdn or ↓) to its end."
				return nil
			}
			return j.join(a)
		case "n", "N", "esc":
			return home("You did not join: the words did not match or you left. Nothing was written.")
		case "e":
			j.stage, j.errText = stageInputs, ""
			return nil
		}
		j.scroll(a, k, true, j)
	}
	return nil
}

func (j *joinScreen) view(a *App) (string, string, string) {
	var b strings.Builder
	var footer string
	switch j.stage {
	case stagePlan, stageLoading:
		b.WriteString("Join a ceremony (keygen, signing or reshare) from its plan file.\n\n")
		b.WriteString(j.planF.view(a.st))
		if j.stage == stageLoading {
			b.WriteString("\n" + j.spin.View() + " reading the plan ...\n")
		}
		footer = a.st.keyHint("enter", "next", "esc", "back")
	case stageCommittee:
		b.WriteString("You are in both the old and the new committee of this reshare.\n")
		b.WriteString("Each committee runs in its own work directory: join twice, once for each.\n\n")
		b.WriteString("Which committee is this work directory for?  o  old     n  new\n")
		footer = a.st.keyHint("o", "old committee", "n", "new committee", "esc", "back")
	case stageInputs, stageChecking:
		fmt.Fprintf(&b, "%s %s, plan words %s\n\n", j.p.Curve, j.p.Protocol, a.st.words.Render(j.desc.Words))
		b.WriteString(j.inputs.view(a.st))
		if j.stage == stageChecking {
			b.WriteString("\n" + j.spin.View() + " checking the inputs ...\n")
		}
		footer = a.st.keyHint("tab/enter", "next field", "enter", "(last) continue", "esc", "back")
	case stageGate, stageJoining:
		b.WriteString(a.st.title.Render("Check every word with the other officers before you join.") + "\n\n")
		b.WriteString(describeView(a.st, j.desc))
		b.WriteString("\nDo the plan words and every party's card words match what the\nother officers read aloud, and is this what you mean to do?\n")
		if j.stage == stageJoining {
			b.WriteString("\n" + j.spin.View() + " joining: computing round 1 ...\n")
		}
		footer = a.st.keyHint("y", "they match: join", "n", "leave, nothing written", "e", "edit", "pgdn", "read on")
	}
	if j.errText != "" {
		// In the footer, so it shows however far the plan is scrolled.
		footer = a.st.bad.Render("✗ "+termsafe.String(j.errText)) + "\n" + footer
	}
	return "join", b.String(), footer
}

func (j *joinScreen) help() []string {
	return []string{
		"y", "at the gate: the words match, join",
		"n / esc", "at the gate: leave without any state",
		"e", "at the gate: change the inputs",
		"pgdn/pgup", "scroll the plan",
	}
}
