// Package ceremony runs one party's side of a threshold ceremony (keygen,
// signing, resharing; ECDSA secp256k1 and EdDSA Ed25519) one round per
// call, persisting the party between calls.
//
// The operations are Join (check the plan, record the session in the
// identity's join ledger, create the party, emit round 1), Step (take this
// round's envelopes from an inbox, advance one round, emit the next
// envelopes), ReadStatus, ReadResult and Abort; InspectInbox says, from file
// names and plaintext files only, whether a step would find anything to do
// (so a caller asks for the passphrase only then). They are plain functions over
// a work directory so that the CLI and the TUI drive the very same code;
// progress is reported through Options.Observe, and nothing here reads the
// terminal, prints or exits.
//
// # Safety rules the engine enforces
//
//   - Single use. The tss-lib state after a round is committed together
//     with its outbound envelopes before anything is handed out; a re-run
//     with the same inbound envelopes re-emits the stored envelopes, and a
//     different set for a step already taken is refused (it would reuse
//     signing nonces across two transcripts, which leaks the key).
//   - Authenticated, bound input. Every inbound envelope is signed by a
//     party of the plan and bound to the session; the tss-lib message in it
//     must belong to the round and broadcast/p2p kind its signed header
//     says, and passes the admission checks tss-lib v2.0.2 lacks before it
//     reaches tss-lib.
//   - Consistent broadcast. In symmetric flows every envelope echoes the
//     digest of the previous round's broadcasts as its sender saw them; and
//     before any result is released every party sends a confirmation with
//     its full view of the broadcasts, which all parties compare. The
//     result (share, signature) is written only after that, and the
//     transcript digest printed then is the same on every honest party.
//   - Culprits. A message that fails a check or that tss-lib blames aborts
//     the session with the sender named; a retry needs a new plan.
package ceremony
