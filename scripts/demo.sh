#!/usr/bin/env bash
# A full local ceremony through the real binary: three officers create a
# 2-of-3 secp256k1 key without a dealer, then two of them sign a message.
# Every party has its own work dir, every round is a separate coldsig
# process, and envelopes travel through one shared directory standing in
# for a USB stick. Identities are unprotected (--no-passphrase): DEMO ONLY.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COLDSIG:-bin/coldsig}
demo=${DEMO_DIR:-demo}
cache=${PREPARAMS_CACHE:-.cache/demo-preparams}

say() { printf '\n== %s\n' "$*"; }
rm -rf "$demo"
mkdir -p "$demo" "$cache"
chmod 700 "$demo" "$cache"

say "identities (unprotected, demo only)"
# The identities are cached with the pre-parameters, which are encrypted
# to them.
for p in alice bob carol; do
  if [ ! -f "$cache/$p.key" ]; then
    "$bin" identity new "$p" --dir "$cache" --no-passphrase >/dev/null 2>&1
  fi
done
mkdir -p "$demo/ids" && cp "$cache"/*.key "$cache"/*.card "$demo/ids/"

say "pre-parameters (generated once and cached in $cache; the first run takes a minute or two)"
for p in alice bob carol; do
  [ -f "$cache/$p.pp" ] || "$bin" preparams --card "$cache/$p.card" -o "$cache/$p.pp"
  # Pre-parameters are single use; join deletes the copy it consumes. The
  # cached copy makes repeated demo runs fast: NEVER reuse them for a real key.
  cp "$cache/$p.pp" "$demo/$p.pp"
done

# run_ceremony STICK WORKDIR-SUFFIX PARTY...: step every party until all
# have results, copying outboxes to the stick between passes.
run_ceremony() {
  local stick=$1 sfx=$2; shift 2
  local pass p rc done
  for pass in $(seq 1 20); do
    for p in "$@"; do cp -n "$demo/$p/$sfx/outbox/"* "$demo/$stick/" 2>/dev/null || true; done
    done=0
    for p in "$@"; do
      if [ -d "$demo/$p/$sfx/result" ] && [ -n "$(ls "$demo/$p/$sfx/result")" ]; then done=$((done+1)); continue; fi
      set +e
      "$bin" step --workdir "$demo/$p/$sfx" --identity "$demo/ids/$p.key" --inbox "$demo/$stick" 2>/dev/null >"$demo/$p.$sfx.out"
      rc=$?
      set -e
      case $rc in
        0|3) ;;
        *) cat "$demo/$p.$sfx.out"; "$bin" status --workdir "$demo/$p/$sfx"; exit $rc ;;
      esac
    done
    [ $done = $# ] && return 0
    printf '   pass %d: ' "$pass"
    for p in "$@"; do printf '%s=%s ' "$p" "$("$bin" status --workdir "$demo/$p/$sfx" --json | sed -n 's/.*"state": "\(.*\)".*/\1/p')"; done
    echo
  done
  echo "demo: ceremony did not finish" >&2
  exit 1
}

say "plan: 2-of-3 secp256k1 keygen (every officer checks the plan words)"
"$bin" plan keygen --curve secp256k1 --threshold 2 \
  --party "$demo/ids/alice.card" --party "$demo/ids/bob.card" --party "$demo/ids/carol.card" \
  -o "$demo/keygen.plan" >/dev/null
"$bin" plan show "$demo/keygen.plan"

say "keygen: each officer joins (round 1), then steps as envelopes arrive"
mkdir -p "$demo/stick-keygen"
for p in alice bob carol; do
  "$bin" join --yes "$demo/keygen.plan" --identity "$demo/ids/$p.key" --workdir "$demo/$p/keygen" --preparams "$demo/$p.pp" >/dev/null 2>&1
done
run_ceremony stick-keygen keygen alice bob carol
cat "$demo/alice/keygen/result/public.json"
sed -n 's/^transcript-words: /transcript words (same for all three): /p' "$demo/alice/keygen/result/transcript.txt"

msg="coldsig demo: hello from an air-gapped ceremony"
say "plan: alice and carol sign the Ethereum personal message \"$msg\""
"$bin" plan sign --key "$demo/alice/keygen/result/public.json" \
  --signer "$demo/ids/alice.card" --signer "$demo/ids/carol.card" \
  --message "$msg" -o "$demo/sign.plan" >/dev/null
"$bin" plan show "$demo/sign.plan"
mkdir -p "$demo/stick-sign"
for p in alice carol; do
  "$bin" join --yes "$demo/sign.plan" --identity "$demo/ids/$p.key" --share "$demo/$p/keygen/result/share.age" --workdir "$demo/$p/sign" >/dev/null 2>&1
done
run_ceremony stick-sign sign alice carol
cat "$demo/alice/sign/result/signature.json"

say "verify"
"$bin" verify --key "$demo/alice/keygen/result/public.json" --signature "$demo/alice/sign/result/signature.json"
