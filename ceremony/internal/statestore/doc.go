// Package statestore keeps one party's ceremony state on disk between
// invocations and makes each state single-use.
//
// A tss-lib party's state between two rounds (an opaque snapshot to this
// package) holds the party's secret share, its Paillier secret key and,
// while signing, its nonce shares. Restoring the same state twice and
// feeding it two different sets of inbound messages reuses the nonces across
// two transcripts, which leaks the key. The store therefore:
//
//   - encrypts every state to the party's own age X25519 identity and
//     authenticates it with an HMAC keyed from that identity, so a file
//     written by anyone else (who only needs the public recipient to
//     encrypt) is refused;
//   - binds each state to session, party, protocol and step number;
//   - commits the next state together with its outbound envelopes and the
//     digest of the inbound set that produced it, in one atomically created
//     file, before the previous state is deleted and before anything is put
//     in the outbox; the state file, the envelopes and the caller's own
//     files of the step (meta: the engine's log and progress record) are
//     written in one batch of three write barriers (stage and sync all,
//     commit, publish), not two barriers per file;
//   - answers "was step N already advanced with inbound digest D?" from that
//     record: the same D re-emits the stored envelopes byte for byte, a
//     different D is refused;
//   - destroys the state when the protocol finishes or aborts, leaving the
//     result files and a small non-secret record of the end.
//
// The on-disk layout, the record formats, the write ordering and the
// limitations (deletion is not erasure on SSDs) are specified in
// docs/format.md, section "Party state".
//
// One invocation of the ceremony engine, given the inbound envelopes for
// the round that advances step k (the engine knows k from their round):
//
//	s, err := statestore.Open(dir, binding, keys) // newest valid step wins
//	d := statestore.InboundDigest(envelopes)
//	out, found, err := s.Lookup(k, d)
//	switch {
//	case err != nil: // ErrInputsDiffer (refuse, say why), ErrStepAhead
//		return err
//	case found: // a re-run: re-emit byte for byte, never recompute
//		return s.WriteOutbox(out)
//	}
//	snap, err := s.State() // restore the party, run the round, snapshot it
//	return s.Advance(k, d, next, outbox)
//
// The first round is Create (join); the end is Finish or Abort (AbortDir
// when the state can no longer be opened).
//
// A Store is not safe for concurrent use. The caller holds the work
// directory's lock (Lock) for a whole operation, so two processes do not
// interleave; where the file system cannot lock, two processes advancing
// the same directory still cannot both commit (the next step file is
// created exclusively), and the commit check refuses to publish a step
// another process overtook (see commit).
package statestore
