#!/usr/bin/env bash
# Runs the packages whose tests drive tss-lib rounds (which start
# goroutines) under the race detector. Listed here on purpose, so a new
# package joins the race run by an explicit edit.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=()
for d in internal/snapshot ceremony; do
  [ -d "$d" ] && pkgs+=("./$d/...")
done
if [ ${#pkgs[@]} -eq 0 ]; then echo "race: no state-engine packages yet"; exit 0; fi
CGO_ENABLED=1 go test -count=1 -race -timeout 30m "${pkgs[@]}"
