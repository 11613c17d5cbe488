package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/plan"
)

// The report is first laid out as format-neutral sections; the text and
// HTML renderers only draw them, so both formats always say the same
// things. Every value is passed through termsafe.String when a section is
// built (names, file names, message text and log texts are other people's
// bytes), and the HTML renderer escapes again for HTML.

type section struct {
	Title string
	// Alert is a warning shown loudly at the top of the section.
	Alert string
	// OK is a confirmation shown plainly (for example "all agree").
	OK     string
	Fields []field
	Tables []table
	Notes  []string
	// Signatures are the signature lines (one per role to sign).
	Signatures []string
	// NewPage starts the section on a new sheet when printed.
	NewPage bool
}

type field struct {
	Label string
	// Lines are the value's lines (a long message is wrapped).
	Lines []string
	// Mono marks hex and words that are compared character by character.
	Mono bool
}

type table struct {
	Caption string
	Head    []string
	Rows    [][]string
	// Mono marks columns printed in a fixed-width font.
	Mono []bool
}

func fld(label, value string) field {
	return field{Label: label, Lines: []string{termsafe.String(value)}}
}

func mono(label, value string) field {
	return field{Label: label, Lines: []string{termsafe.String(value)}, Mono: true}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "(not recorded)"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func (r *Report) sections() []section {
	var out []section
	first := r.Parties[0]
	d := first.Plan

	head := section{Title: "Ceremony record"}
	head.Fields = append(head.Fields,
		fld("ceremony", fmt.Sprintf("%s %s: %s", d.Curve, d.Protocol, d.Purpose)),
		mono("session", fmt.Sprintf("%x", d.Session)),
		fld("generated", fmtTime(r.Generated)+" by coldsig "+r.Build.Version),
	)
	var names []string
	for _, p := range r.Parties {
		names = append(names, fmt.Sprintf("%s: %s", p.Name(), p.Status.State))
	}
	head.Fields = append(head.Fields, fld("records of", strings.Join(names, "; ")))
	switch {
	case r.Agreement.Compared && !r.Agreement.Agree:
		head.Alert = "THE PARTIES' RECORDS DO NOT AGREE. Do not rely on this ceremony's result until the differences below are explained."
	case r.Agreement.Compared:
		head.OK = fmt.Sprintf("The %d parties' records agree: same plan, same transcript, same result.", len(r.Parties))
	}
	out = append(out, head, r.planSection(d))
	if r.Agreement.Compared {
		out = append(out, r.agreementSection())
	}
	for _, p := range r.Parties {
		out = append(out, p.sections()...)
	}
	out = append(out, r.softwareSection(), r.signatureSection())
	return out
}

func (r *Report) planSection(d *plan.Description) section {
	s := section{Title: "Plan (as the officers confirmed it before joining)"}
	s.Fields = append(s.Fields,
		mono("fingerprint words", d.Words),
		mono("fingerprint", fmt.Sprintf("%x", d.Fingerprint)),
		fld("protocol", fmt.Sprintf("%s (%s)", d.Protocol, d.Purpose)),
		fld("curve", d.Curve),
	)
	switch d.Protocol {
	case plan.Sign:
		s.Fields = append(s.Fields, fld("signers", fmt.Sprintf("%d of the key's %d-of-%d", d.Signers, d.Threshold, d.Parties)))
	case plan.Reshare:
		s.Fields = append(s.Fields, fld("new threshold", fmt.Sprintf("%d-of-%d", d.Threshold, d.Parties)))
	default:
		s.Fields = append(s.Fields, fld("threshold", fmt.Sprintf("%d-of-%d (any %d of these %d parties can sign)", d.Threshold, d.Parties, d.Threshold, d.Parties)))
	}
	if k := d.Key; k != nil {
		s.Fields = append(s.Fields,
			mono("key id", fmt.Sprintf("%x", k.ID)),
			mono("public key", fmt.Sprintf("%x", k.PublicKey)))
		if k.EthAddress != "" {
			s.Fields = append(s.Fields, mono("address", k.EthAddress))
		}
		s.Fields = append(s.Fields, fld("key", fmt.Sprintf("%d-of-%d, from session %x", k.Threshold, len(k.Holders), k.Session)))
	}
	for _, c := range d.Committees {
		t := table{Caption: c.Title, Head: []string{"slot", "name", "card fingerprint words"}, Mono: []bool{false, false, true}}
		for _, m := range c.Members {
			t.Rows = append(t.Rows, []string{fmt.Sprint(m.Slot), termsafe.String(m.Name), m.Words})
		}
		s.Tables = append(s.Tables, t)
	}
	for i, it := range d.Signs {
		title := "signs"
		if len(d.Signs) > 1 {
			title = fmt.Sprintf("signs (%d of %d)", i+1, len(d.Signs))
		}
		s.Fields = append(s.Fields, fld(title, it.Title))
		if it.Text != "" || it.Kind == plan.PayloadMessage || it.Kind == plan.PayloadEIP191 {
			s.Fields = append(s.Fields, field{Label: "text", Lines: termsafe.Lines(it.Text, 64), Mono: true})
		}
		// What is signed is printed whole, wrapped, never cut.
		for _, f := range it.Fields {
			s.Fields = append(s.Fields, field{Label: termsafe.String(f.Label), Lines: termsafe.Lines(f.Value, 64), Mono: true})
		}
		if it.How != "" {
			s.Fields = append(s.Fields, field{Label: "what is signed", Lines: termsafe.Lines(it.How, 0)})
		}
	}
	return s
}

func (r *Report) agreementSection() section {
	s := section{Title: "Agreement between the parties' records"}
	t := table{Head: []string{"party", "state", "transcript words", "result"}, Mono: []bool{false, false, true, true}}
	for _, p := range r.Parties {
		words := "-"
		if p.Receipt != nil {
			words = p.Receipt.TranscriptWords
		}
		res := p.Result()
		if res == "" {
			res = "-"
		}
		t.Rows = append(t.Rows, []string{termsafe.String(p.Name()), string(p.Status.State), termsafe.String(words), res})
	}
	s.Tables = append(s.Tables, t)
	if r.Agreement.Agree {
		s.OK = "AGREE: every party holds the same plan, the same transcript and the same result."
	} else {
		s.Alert = "DO NOT AGREE:\n" + strings.Join(escapeAll(r.Agreement.Problems), "\n")
	}
	return s
}

func escapeAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = termsafe.String(x)
	}
	return out
}

func (p *Party) sections() []section {
	st := p.Status
	s := section{Title: "Party " + termsafe.String(p.Name()), NewPage: true}
	s.Fields = append(s.Fields,
		fld("work directory", p.Dir),
		fld("role", st.Role.String()),
		fld("state", string(st.State)),
	)
	if st.Reason != "" {
		s.Fields = append(s.Fields, fld("abort reason", st.Reason))
	}
	if st.Culprit != "" {
		s.Fields = append(s.Fields, fld("culprit", st.Culprit))
	}
	if st.State == ceremony.StateAborted {
		s.Alert = "This party's ceremony was ABORTED; it produced no result."
	}
	if len(p.Problems) > 0 {
		s.Alert = strings.TrimSpace(s.Alert + "\nINCONSISTENT RECORDS:\n" + strings.Join(escapeAll(p.Problems), "\n"))
	}
	if rc := p.Receipt; rc != nil {
		s.Fields = append(s.Fields,
			mono("transcript words", rc.TranscriptWords),
			mono("transcript", fmt.Sprintf("%x", rc.Transcript)))
	}
	s.Fields = append(s.Fields, mono("log head", fmt.Sprintf("%x", p.LogHead)))
	if pub := p.Public; pub != nil {
		s.Fields = append(s.Fields,
			mono("public key", pub.PublicKey),
			mono("key id", pub.KeyID))
		if pub.EthAddress != "" {
			s.Fields = append(s.Fields, mono("address", pub.EthAddress))
		}
		if pub.XPub != "" {
			s.Fields = append(s.Fields, mono("xpub", pub.XPub), mono("xpub words", pub.XPubWords()))
		}
		s.Fields = append(s.Fields, fld("key", fmt.Sprintf("%s, %d-of-%d", pub.Curve, pub.Threshold, len(pub.Parties))))
	}
	if sig := p.Signature; sig != nil {
		s.Fields = append(s.Fields, mono("signed with key", sig.KeyID))
		if sig.Digest != "" {
			s.Fields = append(s.Fields, mono("signed digest", sig.Digest))
		}
		if sig.Message != "" {
			s.Fields = append(s.Fields, mono("signed bytes (hex)", sig.Message))
		}
		if sig.R != "" {
			s.Fields = append(s.Fields, mono("r", sig.R), mono("s", sig.S))
			if sig.V != nil {
				s.Fields = append(s.Fields, mono("v", fmt.Sprint(*sig.V)))
			}
		}
		if sig.EthSignature != "" {
			s.Fields = append(s.Fields, mono("eth signature", sig.EthSignature))
		}
		if sig.EthAddress != "" {
			s.Fields = append(s.Fields, mono("signer address", sig.EthAddress))
		}
		if sig.Signature != "" {
			s.Fields = append(s.Fields, mono("signature", sig.Signature))
		}
	}

	tl := table{Caption: "timeline (from the party's log, by its laptop's clock)", Head: []string{"#", "time", "what happened"}}
	for i, stp := range p.Steps {
		tl.Rows = append(tl.Rows, []string{fmt.Sprint(i + 1), fmtTime(stp.Time), termsafe.String(stp.Summary)})
	}
	s.Tables = append(s.Tables, tl)
	et := table{Caption: "envelopes sent and accepted (SHA-256 digests as logged)",
		Head: []string{"time", "direction", "round", "party", "digest"}, Mono: []bool{false, false, false, false, true}}
	for _, e := range p.Envelopes {
		round := fmt.Sprint(e.Round)
		if e.Round == 0 {
			round = "confirm"
		}
		peer := e.Peer
		if e.Direction == "sent" {
			peer = "to " + peer
		} else {
			peer = "from " + peer
		}
		et.Rows = append(et.Rows, []string{fmtTime(e.Time), e.Direction, round, termsafe.String(peer), e.Digest})
	}
	s.Tables = append(s.Tables, et)
	return []section{s}
}

func (r *Report) softwareSection() section {
	s := section{Title: "Software"}
	for _, l := range r.Build.Lines() {
		if l[0] == "sha256" || l[0] == "commit" {
			s.Fields = append(s.Fields, mono(l[0], l[1]))
		} else {
			s.Fields = append(s.Fields, fld(l[0], l[1]))
		}
	}
	s.Notes = append(s.Notes,
		"This is the binary that wrote this report. Its sha256 must match the release's SHA256SUMS as read aloud at the pre-flight check, and the binary the ceremony ran.")
	return s
}

func (r *Report) signatureSection() section {
	s := section{Title: "Signatures"}
	s.Notes = append(s.Notes, "By signing, each person states that this record matches what they saw and heard, including the words read aloud.")
	s.Signatures = append(s.Signatures, "Ceremony administrator")
	for _, p := range r.Parties {
		s.Signatures = append(s.Signatures, "Officer, "+termsafe.String(p.Name()))
	}
	s.Signatures = append(s.Signatures, "Witness / auditor", "Witness / auditor")
	return s
}
