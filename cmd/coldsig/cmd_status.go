package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
	"github.com/coldsig/coldsig/internal/termsafe"
	"github.com/coldsig/coldsig/plan"
)

func init() { register(newStatusCommand) }

type statusOptions struct {
	workdir string
	json    bool
}

func newStatusCommand() *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status --workdir DIR [--json]",
		Short: "Show where this party's ceremony stands",
		Long: `Show the session, protocol, this party, the state (running, confirming,
finished, aborted), which round's envelopes are needed next and from whom,
the envelopes waiting in the outbox, and the result files. After an abort it
shows the reason and the culprit when known. For a signing it shows exactly
what is being signed. status reads no secret and asks no passphrase.

EXAMPLES
  coldsig status --workdir alice-kg
  coldsig status --workdir alice-kg --json

EXIT STATUS
  0 status shown (whatever the state); 1 not a work directory; 2 bad
  usage.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runStatus(cmd, opts) },
	}
	cmd.Flags().StringVar(&opts.workdir, "workdir", "", "the party's work `DIR`")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON for scripts")
	return cmd
}

type statusJSON struct {
	WorkDir   string   `json:"workdir"`
	Session   string   `json:"session"`
	Plan      string   `json:"plan"`
	PlanWords string   `json:"plan_words"`
	Protocol  string   `json:"protocol"`
	Curve     string   `json:"curve"`
	Party     int      `json:"party"`
	Name      string   `json:"name"`
	Role      string   `json:"role"`
	State     string   `json:"state"`
	Step      uint64   `json:"step"`
	NextRound int      `json:"next_round,omitempty"`
	WaitingOn []string `json:"waiting_on,omitempty"`
	Outbox    []string `json:"outbox,omitempty"`
	Results   []string `json:"results,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Culprit   string   `json:"culprit,omitempty"`
	// Problem: the last step is incomplete, or the state was rolled back.
	Problem string `json:"problem,omitempty"`
	// Signs is what a signing signs, one object per item.
	Signs []signedJSON `json:"signs,omitempty"`
	// Transcript, PublicKey, KeyID, EthAddress and Signature describe a
	// finished ceremony's result.
	Transcript string `json:"transcript,omitempty"`
	PublicKey  string `json:"public_key,omitempty"`
	KeyID      string `json:"key_id,omitempty"`
	EthAddress string `json:"eth_address,omitempty"`
	Signature  string `json:"signature,omitempty"`
}

type signedJSON struct {
	Kind   string            `json:"kind"`
	Text   string            `json:"text,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

func runStatus(cmd *cobra.Command, opts *statusOptions) error {
	if err := requireFlags(cmd, "workdir"); err != nil {
		return err
	}
	st, err := ceremony.ReadStatus(opts.workdir)
	if err != nil {
		return err
	}
	out := getEnv(cmd).stdout
	p := st.Plan
	me := p.Roster()[st.Me.Slot-1].Fingerprint()
	d, err := plan.Describe(p, me)
	if err != nil {
		return err
	}
	js := statusJSON{
		WorkDir: st.WorkDir, Session: hex.EncodeToString(p.Session[:]), Plan: hex.EncodeToString(d.Fingerprint[:]),
		PlanWords: d.Words, Protocol: string(p.Protocol), Curve: p.Curve,
		Party: st.Me.Slot, Name: st.Me.Name, Role: st.Role.String(), State: string(st.State), Step: st.Step,
		NextRound: st.Next, Outbox: st.Outbox, Results: st.Results, Reason: st.Reason, Culprit: st.Culprit,
		Problem: st.Problem,
	}
	for _, party := range st.NextFrom {
		js.WaitingOn = append(js.WaitingOn, party.String())
	}
	for _, it := range d.Signs {
		sj := signedJSON{Kind: string(it.Kind), Text: it.Text}
		for _, f := range it.Fields {
			if sj.Fields == nil {
				sj.Fields = map[string]string{}
			}
			sj.Fields[f.Label] = f.Value
		}
		js.Signs = append(js.Signs, sj)
	}
	if r := st.Result; r != nil {
		js.Transcript = hex.EncodeToString(r.Transcript[:])
		if r.Public != nil {
			js.PublicKey, js.KeyID, js.EthAddress = r.Public.PublicKey, r.Public.KeyID, r.Public.EthAddress
		}
		if r.Signature != nil {
			js.PublicKey, js.KeyID, js.EthAddress = r.Signature.PublicKey, r.Signature.KeyID, r.Signature.EthAddress
			js.Signature = signatureHex(r.Signature)
		}
	}
	if opts.json {
		b, _ := json.MarshalIndent(js, "", "  ")
		fmt.Fprintln(out, string(b))
		return nil
	}
	printDescription(out, d, "")
	fmt.Fprintf(out, "me        %s, %s\n", termsafe.String(st.Me.String()), st.Role)
	// Officers count rounds, as the TUI does ("round k of N"); the
	// engine's step number is in --json.
	if st.Rounds > 0 {
		fmt.Fprintf(out, "state     %s, round %d of %d\n", st.State, st.Round, st.Rounds)
	} else {
		fmt.Fprintf(out, "state     %s\n", st.State)
	}
	switch {
	case st.Problem != "":
		fmt.Fprintf(out, "problem   %s\n", st.Problem)
	case !st.State.Ended() && len(st.NextFrom) == 0:
		// Never "needs ... from:" with nobody listed.
		fmt.Fprintln(out, "needs     nothing from the other parties now: run 'coldsig step' to go on")
	case st.State == ceremony.StateRunning:
		fmt.Fprintf(out, "needs     round %d envelopes from:\n", st.Next)
	case st.State == ceremony.StateConfirming:
		fmt.Fprintln(out, "needs     confirmations from:")
	case st.State == ceremony.StateAborted:
		// session.txt is not authenticated, and reasons name files; a
		// reason is escaped in place, not cut (it is at most 1000 bytes).
		fmt.Fprintf(out, "reason    %s\n", termsafe.Line(st.Reason))
		if st.Culprit != "" {
			fmt.Fprintf(out, "culprit   %s\n", termsafe.String(st.Culprit))
		}
	}
	if !st.State.Ended() {
		for _, w := range js.WaitingOn {
			fmt.Fprintf(out, "  %s\n", termsafe.String(w))
		}
		if len(st.Outbox) > 0 {
			fmt.Fprintf(out, "outbox    %s in %s/outbox (make sure they were handed on)\n", plural(len(st.Outbox), "envelope"), termsafe.Path(st.WorkDir))
		}
	}
	if st.Result != nil {
		printResult(out, st.Result)
	} else if st.ResultErr != nil {
		fmt.Fprintf(getEnv(cmd).stderr, "coldsig: warning: %v\n", st.ResultErr)
	}
	for _, r := range st.Results {
		fmt.Fprintf(out, "result    %s\n", termsafe.Path(r))
	}
	return nil
}
