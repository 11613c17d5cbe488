package tui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// form is a column of labelled text fields: tab or enter moves on, enter
// on the last field submits, shift+tab goes back.
type form struct {
	fields []formField
	focus  int
}

type formField struct {
	label string
	hint  string
	input textinput.Model
}

type fieldSpec struct {
	label, value, hint string
	secret             bool
}

func newForm(specs ...fieldSpec) form {
	f := form{}
	for _, s := range specs {
		in := textinput.New()
		in.Prompt = ""
		in.SetWidth(60)
		in.CharLimit = 4096
		in.SetValue(s.value)
		noClipboard(&in)
		if s.secret {
			in.EchoMode = textinput.EchoPassword
			in.EchoCharacter = '•'
		}
		f.fields = append(f.fields, formField{label: s.label, hint: s.hint, input: in})
	}
	if len(f.fields) > 0 {
		f.fields[0].input.Focus()
	}
	return f
}

func (f *form) value(i int) string { return strings.TrimSpace(f.fields[i].input.Value()) }

// raw is a field's value untrimmed (passphrases).
func (f *form) raw(i int) string { return f.fields[i].input.Value() }

func (f *form) setFocus(i int) {
	f.fields[f.focus].input.Blur()
	f.focus = (i + len(f.fields)) % len(f.fields)
	f.fields[f.focus].input.Focus()
}

// update handles a message; submitted is true when enter was pressed on
// the last field.
func (f *form) update(msg tea.Msg) (submitted bool, cmd tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "tab", "down":
			f.setFocus(f.focus + 1)
			return false, nil
		case "shift+tab", "up":
			f.setFocus(f.focus - 1)
			return false, nil
		case "enter":
			if f.focus == len(f.fields)-1 {
				return true, nil
			}
			f.setFocus(f.focus + 1)
			return false, nil
		}
	}
	f.fields[f.focus].input, cmd = f.fields[f.focus].input.Update(msg)
	return false, cmd
}

func (f *form) view(st styles) string {
	var b strings.Builder
	for i, fl := range f.fields {
		mark := "  "
		label := fl.label
		if i == f.focus {
			mark = "› "
			label = st.sel.Render(label)
		}
		b.WriteString(mark + label + "\n")
		b.WriteString("    " + fl.input.View() + "\n")
		if fl.hint != "" && i == f.focus {
			b.WriteString("    " + st.dim.Render(fl.hint) + "\n")
		}
	}
	return b.String()
}

// reset clears every field (passphrase forms after use).
func (f *form) reset() {
	for i := range f.fields {
		f.fields[i].input.Reset()
	}
}

// noClipboard turns off textinput's ctrl+v, which runs xclip or xsel to
// read the system clipboard: an air-gapped officer's laptop has no use for
// it, and a passphrase never comes from a clipboard. Pasting through the
// terminal (bracketed paste) still works.
func noClipboard(in *textinput.Model) { in.KeyMap.Paste.SetEnabled(false) }
