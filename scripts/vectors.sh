#!/usr/bin/env bash
# Regenerates every test vector set under testdata/vectors from its
# generator: `make vectors`. Each generator is a test run with
# -update-vectors (or, for cards, identities and envelopes, a small
# program). Text vectors come out byte-identical; files holding age
# encryption (identities, states, shards) are re-encrypted with fresh
# randomness, so regenerate only when a format changes, then review
# `git diff testdata/vectors`. The vector tests run afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./envelope/internal/vectorgen
for pkg in ./plan ./keyshare ./backup ./ceremony ./ceremony/internal/statestore ./qr ./txn/btc ./txn/ur; do
  echo "vectors: $pkg"
  go test -count=1 -run 'Vectors' "$pkg" -args -update-vectors >/dev/null
done
go test -count=1 -run 'Vectors' ./envelope ./identity ./plan ./keyshare ./backup ./ceremony ./ceremony/internal/statestore ./qr ./txn/...
