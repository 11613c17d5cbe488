package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldsig/coldsig/ceremony"
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
  0 status shown (whatever the state); 1 not a work directory.`,
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
	Signs     string   `json:"signs,omitempty"`
}

func runStatus(cmd *cobra.Command, opts *statusOptions) error {
	if opts.workdir == "" {
		return usageErrorf("status needs --workdir")
	}
	st, err := ceremony.ReadStatus(opts.workdir)
	if err != nil {
		return err
	}
	out := getEnv(cmd).stdout
	p := st.Plan
	js := statusJSON{
		WorkDir: st.WorkDir, Session: hex.EncodeToString(p.Session[:]), Plan: p.FingerprintHex(),
		PlanWords: p.FingerprintWords(), Protocol: string(p.Protocol), Curve: p.Curve,
		Party: st.Me.Slot, Name: st.Me.Name, Role: st.Role.String(), State: st.State, Step: st.Step,
		NextRound: st.Next, Outbox: st.Outbox, Results: st.Results, Reason: st.Reason, Culprit: st.Culprit,
	}
	for _, party := range st.NextFrom {
		js.WaitingOn = append(js.WaitingOn, party.String())
	}
	if p.Payload != nil {
		js.Signs = payloadSummary(p.Payload)
	}
	if opts.json {
		b, _ := json.MarshalIndent(js, "", "  ")
		fmt.Fprintln(out, string(b))
		return nil
	}
	describePlan(out, p)
	fmt.Fprintf(out, "session   %s\n", js.Session)
	fmt.Fprintf(out, "me        %s, %s\n", st.Me, st.Role)
	fmt.Fprintf(out, "state     %s (step %d)\n", st.State, st.Step)
	switch st.State {
	case "running":
		fmt.Fprintf(out, "needs     round %d envelopes from:\n", st.Next)
	case "confirming":
		fmt.Fprintln(out, "needs     confirmations from:")
	case "aborted":
		fmt.Fprintf(out, "reason    %s\n", st.Reason)
		if st.Culprit != "" {
			fmt.Fprintf(out, "culprit   %s\n", st.Culprit)
		}
	}
	if st.State == "running" || st.State == "confirming" {
		for _, w := range js.WaitingOn {
			fmt.Fprintf(out, "  %s\n", w)
		}
		if len(st.Outbox) > 0 {
			fmt.Fprintf(out, "outbox    %d envelope(s) in %s/outbox (make sure they were handed on)\n", len(st.Outbox), st.WorkDir)
		}
	}
	for _, r := range st.Results {
		fmt.Fprintf(out, "result    %s\n", r)
	}
	return nil
}
