package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/plan"
)

// printDescription is the one way the CLI shows a plan (plan show, plan
// keygen|sign|reshare, join, status). Officers compare these lines aloud
// and runbooks quote the labels: keep them stable. Every name, file name
// and message line comes from the plan file and goes through termsafe.
func printDescription(w io.Writer, d *plan.Description, path string) {
	if path != "" {
		fmt.Fprintf(w, "plan:          %s\n", termsafe.Path(path))
	}
	fmt.Fprintf(w, "fingerprint:   %s\n", d.Words)
	fmt.Fprintf(w, "               %x\n", d.Fingerprint)
	if d.Protocol == plan.Sign {
		fmt.Fprintf(w, "protocol:      %s\n", d.Protocol)
	} else {
		fmt.Fprintf(w, "protocol:      %s (%s)\n", d.Protocol, d.Purpose)
	}
	fmt.Fprintf(w, "curve:         %s\n", d.Curve)
	switch d.Protocol {
	case plan.Keygen:
		fmt.Fprintf(w, "threshold:     %d-of-%d (any %d of these %d parties can sign)\n", d.Threshold, d.Parties, d.Threshold, d.Parties)
	case plan.Sign:
		fmt.Fprintf(w, "threshold:     %d-of-%d (%d signers in this plan)\n", d.Threshold, d.Parties, d.Signers)
	case plan.Reshare:
		fmt.Fprintf(w, "threshold:     %d-of-%d (new committee; the key is %d-of-%d now)\n", d.Threshold, d.Parties, d.Key.Threshold, len(d.Key.Holders))
	}
	fmt.Fprintf(w, "session:       %x\n", d.Session)
	if k := d.Key; k != nil {
		fmt.Fprintf(w, "key id:        %x\n", k.ID)
		fmt.Fprintf(w, "public key:    %x\n", k.PublicKey)
		if k.EthAddress != "" {
			fmt.Fprintf(w, "eth address:   %s\n", k.EthAddress)
		}
		fmt.Fprintf(w, "key session:   %x\n", k.Session)
		fmt.Fprintf(w, "key holders (index, name, card fingerprint words):\n")
		printMembers(w, k.Holders)
	}
	for _, c := range d.Committees {
		cols := "slot, name, card fingerprint words"
		if c.Title == "signers" || c.Title == "old committee" {
			cols += ", key party"
		}
		fmt.Fprintf(w, "%s (%s):\n", c.Title, cols)
		printMembers(w, c.Members)
	}
	if len(d.Signs) > 1 {
		fmt.Fprintf(w, "to be signed:  %d items, one signature each, all in the same rounds\n", len(d.Signs))
	}
	for _, it := range d.Signs {
		printSignedItem(w, it)
	}
}

func printMembers(w io.Writer, ms []plan.Member) {
	for _, m := range ms {
		line := fmt.Sprintf("  %2d. %-16s %s", m.Slot, termsafe.String(m.Name), m.Words)
		if m.KeyParty != 0 {
			line += fmt.Sprintf("  (key party %d)", m.KeyParty)
		}
		if m.OldSlot != 0 {
			line += fmt.Sprintf("  (continuing, old slot %d)", m.OldSlot)
		}
		if m.You {
			line += "  (you)"
		}
		fmt.Fprintln(w, line)
	}
}

func printSignedItem(w io.Writer, it plan.SignedItem) {
	if it.Of > 1 {
		fmt.Fprintf(w, "item %d of %d:\n", it.Index, it.Of)
	} else {
		fmt.Fprintf(w, "to be signed:\n")
	}
	if it.Path != "" {
		fmt.Fprintf(w, "  key:         child %s of the key\n", it.Path)
		fmt.Fprintf(w, "  child key:   %x\n", it.ChildKey)
		fmt.Fprintf(w, "  eth address: %s\n", it.EthAddress)
		fmt.Fprintf(w, "  btc address: %s (P2WPKH)\n", it.BTCAddress)
	}
	fmt.Fprintf(w, "  kind:        %s\n", it.Title)
	if it.Text != "" {
		fmt.Fprintf(w, "  message:     %s, between the lines:\n", plural(len(it.Text), "byte"))
		fmt.Fprintf(w, "  -----\n")
		for _, l := range strings.Split(it.Text, "\n") {
			fmt.Fprintf(w, "  %s\n", messageLine(l))
		}
		fmt.Fprintf(w, "  -----\n")
	}
	// A value is what is signed: shown in full (the terminal wraps a long
	// line), never cut as termsafe.String cuts names.
	for _, f := range it.Fields {
		label := f.Label + ":"
		for _, l := range termsafe.Lines(f.Value, 0) {
			fmt.Fprintf(w, "  %-12s %s\n", label, l)
			label = ""
		}
	}
	fmt.Fprintf(w, "  %s\n", it.How)
}

// messageLine shows one line of a message to be signed in full, however
// long. A line with a tab is shown quoted ("a\tb"), as the TUI and the
// report show it: printed raw, a tab and the spaces it expands to look the
// same, and the two messages hash differently.
func messageLine(l string) string {
	return strings.Join(termsafe.Lines(l, 0), "")
}

// printResult shows what a finished ceremony produced: the key (keygen,
// reshare) or the signature with exactly what was signed.
func printResult(w io.Writer, r *ceremony.Result) {
	if pub := r.Public; pub != nil {
		fmt.Fprintf(w, "key id    %s\n", pub.KeyID)
		fmt.Fprintf(w, "public    %s (%s)\n", pub.PublicKey, pub.Curve)
		if pub.EthAddress != "" {
			fmt.Fprintf(w, "address   %s\n", pub.EthAddress)
		}
		// Read aloud and recorded with the transcript words: public.json is
		// not signed, and 'coldsig account' pairs wallets with its xpub.
		if words := pub.XPubWords(); words != "" {
			fmt.Fprintf(w, "xpub words %s\n", words)
		}
		var names []string
		for _, p := range pub.Parties {
			names = append(names, termsafe.String(p.Name))
		}
		fmt.Fprintf(w, "holders   %d-of-%d: %s\n", pub.Threshold, len(pub.Parties), strings.Join(names, ", "))
	}
	// A transaction's outputs first: they are what the officer carries
	// back to the online machine.
	for _, n := range r.TxFiles {
		fmt.Fprintf(w, "output    result/%s\n", n)
	}
	if len(r.Signatures) > 1 {
		fmt.Fprintf(w, "signed    %d items, all released together (result/signature-NN.json)\n", len(r.Signatures))
		for i, sig := range r.Signatures {
			fmt.Fprintf(w, "item %-4d %s\n", i+1, signatureHex(sig))
			if sig.Path != "" {
				fmt.Fprintf(w, "          by child %s (%s)\n", sig.Path, sig.EthAddress)
			}
		}
		return
	}
	if sig := r.Signature; sig != nil {
		fmt.Fprintf(w, "signature %s\n", signatureHex(sig))
		if sig.R != "" {
			fmt.Fprintf(w, "          r %s\n          s %s\n          v %d\n", sig.R, sig.S, *sig.V)
		}
		fmt.Fprintf(w, "key id    %s\n", sig.KeyID)
		if sig.Path != "" {
			fmt.Fprintf(w, "child     %s, public key %s\n", sig.Path, sig.ChildPublicKey)
		}
		if sig.EthAddress != "" {
			fmt.Fprintf(w, "address   %s\n", sig.EthAddress)
		}
		for _, it := range r.Signed {
			printSignedItem(w, it)
		}
	}
}

// signatureHex is the signature as one hex string: r||s||v+27 (the form
// Ethereum tools take) for secp256k1, R||S for Ed25519.
func signatureHex(sig *ceremony.SignatureFile) string {
	if sig.EthSignature != "" {
		return "0x" + sig.EthSignature
	}
	return sig.Signature
}
