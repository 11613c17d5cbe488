#!/usr/bin/env bash
# Build the release twice from clean and require identical SHA256SUMS.
#
# The two builds use different source directories (release.sh extracts the
# commit into a fresh temporary directory each time) and the second one an
# empty Go build cache, so every package is compiled again rather than
# taken from the first build's cache. Any path, time, cache or environment
# dependence in the output shows up as a hash difference.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coldsig-release-check.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# One commit for both builds, resolved once: HEAD may move while they run.
commit=$(git rev-parse --verify HEAD^{commit})
echo "release-check: building $commit twice"
start=$(date +%s)
scripts/release.sh "$tmp/a" "$commit" >/dev/null
mid=$(date +%s)
GOCACHE="$tmp/gocache" scripts/release.sh "$tmp/b" "$commit" >/dev/null
end=$(date +%s)

echo "release-check: build 1 (shared cache) $((mid-start)) s, build 2 (empty cache) $((end-mid)) s"
echo "build 1:"; cat "$tmp/a/SHA256SUMS"
echo "build 2:"; cat "$tmp/b/SHA256SUMS"
if ! cmp -s "$tmp/a/SHA256SUMS" "$tmp/b/SHA256SUMS"; then
  echo "release-check: FAILED: the two builds differ" >&2
  diff "$tmp/a/SHA256SUMS" "$tmp/b/SHA256SUMS" >&2 || true
  exit 1
fi
echo "release-check: the two builds are identical"
