#!/usr/bin/env bash
# Reproducible release binaries and their SHA256SUMS.
#
# usage: scripts/release.sh OUTDIR [COMMIT]   (default: HEAD)
#
# The binaries are built from the committed tree of HEAD (git archive into a
# fresh temporary directory), never from the working tree, so uncommitted
# changes cannot slip into a release and the checkout path cannot leak into
# it. What makes two builds of one commit byte-identical:
#   - CGO_ENABLED=0: pure Go, static, no host C toolchain in the output;
#   - -trimpath: no file system paths in the binary;
#   - -buildvcs=false and explicit -X stamps: the version and commit come
#     from git describe/rev-parse of the commit, not from the state of a
#     checkout (an archive has no .git; Go's own VCS stamp also sees
#     untracked files, which would differ between machines);
#   - -buildid=: no build ID at all, so nothing depends on how the toolchain
#     derives it;
#   - GOAMD64/GOARM64 pinned, GOTOOLCHAIN=local, GOFLAGS=-mod=readonly: the
#     environment cannot change code generation or module versions.
# The Go toolchain version is part of the input: rebuild with the version
# recorded in OUTDIR/RELEASE to reproduce the hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: scripts/release.sh OUTDIR [COMMIT]" >&2; exit 2; }
out=$1
rev=${2:-HEAD}
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "release: $out exists and is not empty; remove it first" >&2
  exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

commit=$(git rev-parse --verify "$rev^{commit}")
version=$(git describe --tags --always --abbrev=12 "$commit")
if [ "$rev" = HEAD ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "release: warning: the working tree has uncommitted changes; they are NOT in the release (built from $commit)" >&2
fi

src=$(mktemp -d "${TMPDIR:-/tmp}/coldsig-release-src.XXXXXX")
trap 'rm -rf "$src"' EXIT
git archive --format=tar "$commit" | tar -x -C "$src"

pkg=github.com/coldsig/coldsig/internal/buildinfo
ldflags="-buildid= -X $pkg.version=$version -X $pkg.commit=$commit"
targets=${RELEASE_TARGETS:-"linux/amd64 linux/arm64 darwin/arm64 windows/amd64"}
for t in $targets; do
  goos=${t%/*} goarch=${t#*/}
  name=coldsig-$version-$goos-$goarch
  [ "$goos" = windows ] && name+=.exe
  echo "release: building $name"
  (cd "$src" && env CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" GOAMD64=v1 GOARM64=v8.0 \
      GOTOOLCHAIN=local GOFLAGS=-mod=readonly GOEXPERIMENT= \
      go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out/$name" ./cmd/coldsig)
done

(cd "$out" && sha256sum coldsig-* > SHA256SUMS)
cat > "$out/RELEASE" <<INFO
coldsig $version
commit $commit
built with $(go version | sed 's/^go version //')
reproduce: git checkout $commit && make release (same Go version); compare SHA256SUMS
INFO
echo "release: $out"
cat "$out/SHA256SUMS"
