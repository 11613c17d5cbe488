package tui

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/plan"
)

// describeView renders plan.Describe's description for the confirmation
// gate: the fingerprint words, what the ceremony does, every party with its
// card words and "(you)" on the officer's rows, t-of-n, the curve, the key,
// and for a signing exactly what is signed. Every name and text from the
// plan goes through termsafe.
func describeView(st styles, d *plan.Description) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan words  %s\n", st.words.Render(d.Words))
	fmt.Fprintf(&b, "            %s\n", hex.EncodeToString(d.Fingerprint[:]))
	fmt.Fprintf(&b, "ceremony    %s %s: %s\n", d.Curve, d.Protocol, d.Purpose)
	switch d.Protocol {
	case plan.Sign:
		fmt.Fprintf(&b, "threshold   %d-of-%d key, %d signers\n", d.Threshold, d.Parties, d.Signers)
	case plan.Reshare:
		fmt.Fprintf(&b, "threshold   %d-of-%d now, %d-of-%d after\n", d.Key.Threshold, len(d.Key.Holders), d.Threshold, d.Parties)
	default:
		fmt.Fprintf(&b, "threshold   %d-of-%d (any %d of the %d parties can sign)\n", d.Threshold, d.Parties, d.Threshold, d.Parties)
	}
	fmt.Fprintf(&b, "session     %s\n", hex.EncodeToString(d.Session[:8]))
	if k := d.Key; k != nil {
		fmt.Fprintf(&b, "key         %s\n", hex.EncodeToString(k.ID[:]))
		if k.EthAddress != "" {
			fmt.Fprintf(&b, "address     %s\n", k.EthAddress)
		}
	}
	for _, c := range d.Committees {
		fmt.Fprintf(&b, "\n%s\n", c.Title)
		for _, m := range c.Members {
			you := ""
			if m.You {
				you = " " + st.sel.Render("(you)")
			}
			fmt.Fprintf(&b, "  %2d %-18s %s%s\n", m.Slot, termsafe.String(m.Name), m.Words, you)
		}
	}
	for i, it := range d.Signs {
		if len(d.Signs) > 1 {
			fmt.Fprintf(&b, "\nSIGNS (%d of %d): %s\n", i+1, len(d.Signs), it.Title)
		} else {
			fmt.Fprintf(&b, "\nSIGNS: %s\n", it.Title)
		}
		for _, l := range signedLines(it, "  ") {
			b.WriteString(l + "\n")
		}
		if it.How != "" {
			fmt.Fprintf(&b, "  %s\n", it.How)
		}
	}
	return b.String()
}
