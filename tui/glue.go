package tui

import (
	"fmt"
	"strings"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/identity"
	"github.com/coldsig/coldsig/internal/plural"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/plan"
)

// tOfN is the plan's threshold in the officers' words.
func tOfN(d *plan.Description) string {
	switch d.Protocol {
	case plan.Sign:
		return fmt.Sprintf("%d-of-%d, %d signers", d.Threshold, d.Parties, d.Signers)
	case plan.Reshare:
		return fmt.Sprintf("%d-of-%d -> %d-of-%d", d.Key.Threshold, len(d.Key.Holders), d.Threshold, d.Parties)
	}
	return fmt.Sprintf("%d-of-%d", d.Threshold, d.Parties)
}

// roundLabel says which exchange the party waits for: "round k of N".
func roundLabel(st *ceremony.Status) string {
	if st.State == ceremony.StateConfirming {
		return fmt.Sprintf("round %d of %d: confirmations (the protocol is done; every party confirms)", st.Round, st.Rounds)
	}
	return fmt.Sprintf("round %d of %d: needs the round-%d envelopes", st.Round, st.Rounds, st.Next)
}

// resultLines show what a finished ceremony produced: the transcript
// words to compare aloud, and the key and address, or the signature with
// what was signed.
func resultLines(st *ceremony.Status) []string {
	r := st.Result
	if r == nil {
		msg := "the result files could not be read"
		if st.ResultErr != nil {
			msg += ": " + termsafe.String(st.ResultErr.Error())
		}
		return []string{msg}
	}
	out := []string{"transcript  " + ceremonyWords(r)}
	if pub := r.Public; pub != nil {
		out = append(out, "key id      "+pub.KeyID, "public key  "+pub.PublicKey)
		if pub.EthAddress != "" {
			out = append(out, "address     "+pub.EthAddress)
		}
		if words := pub.XPubWords(); words != "" {
			out = append(out, "xpub words  "+words)
		}
		var names []string
		for _, p := range pub.Parties {
			names = append(names, termsafe.String(p.Name))
		}
		out = append(out, fmt.Sprintf("holders     %d-of-%d: %s", pub.Threshold, len(pub.Parties), strings.Join(names, ", ")))
	}
	if sig := r.Signature; sig != nil {
		hexSig := sig.Signature
		if sig.EthSignature != "" {
			hexSig = "0x" + sig.EthSignature
		}
		for i := 0; i < len(hexSig); i += 64 {
			label := "            "
			if i == 0 {
				label = "signature   "
			}
			out = append(out, label+hexSig[i:min(i+64, len(hexSig))])
		}
		if sig.EthAddress != "" {
			out = append(out, "address     "+sig.EthAddress)
		}
		for _, it := range r.Signed {
			out = append(out, "signed      "+it.Title)
			out = append(out, signedLines(it, "  ")...)
		}
	}
	return out
}

func ceremonyWords(r *ceremony.Result) string { return identity.DigestWords(r.Transcript) }

// signedLines are the lines of one signed item: the message in full (each
// line escaped if it is not plain printable text), then its fields.
func signedLines(it plan.SignedItem, indent string) []string {
	var out []string
	if it.Text != "" {
		out = append(out, fmt.Sprintf("%smessage (%s, between the lines):", indent, plural.Count(len(it.Text), "byte")), indent+"-----")
		for _, l := range termsafe.Lines(it.Text, 0) {
			out = append(out, indent+l)
		}
		out = append(out, indent+"-----")
	}
	// Values are what is signed: in full (the screen wraps long lines),
	// never cut as termsafe.String cuts names.
	for _, f := range it.Fields {
		label := termsafe.String(f.Label)
		for _, l := range termsafe.Lines(f.Value, 0) {
			out = append(out, fmt.Sprintf("%s%-10s %s", indent, label, l))
			label = ""
		}
	}
	return out
}
