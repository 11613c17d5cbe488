#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each.
# go test -fuzz takes one package and one target per run, hence the loop.
set -euo pipefail
fuzztime=${1:-3s}
cd "$(dirname "$0")/.."
mapfile -t files < <(find . -name '*_test.go' -not -path './.git/*' -not -path './demo/*' | sort)
n=0
for f in "${files[@]}"; do
  pkg="./$(dirname "$f")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$f" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/coldsig-fuzz.$$ 2>&1 || { cat /tmp/coldsig-fuzz.$$; rm -f /tmp/coldsig-fuzz.$$; exit 1; }
    n=$((n+1))
  done
done
rm -f /tmp/coldsig-fuzz.$$
echo "fuzz: $n targets passed"
