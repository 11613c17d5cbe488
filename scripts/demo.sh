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
cache=${PREPARAMS_CACHE:-.cache/preparams}

rm -rf "$demo"
mkdir -p "$demo/stick" "$cache"
chmod 700 "$demo" "$cache"
say() { printf '\n== %s\n' "$*"; }

say "identities (unprotected, demo only)"
for p in alice bob carol; do
  "$bin" identity new "$p" --dir "$demo/ids" --no-passphrase 2>/dev/null
done

say "pre-parameters (generated once, cached in $cache; the first run takes a minute or two)"
for p in alice bob carol; do
  if [ ! -f "$cache/$p.pp" ]; then
    "$bin" preparams -o "$cache/$p.pp"
  fi
  # Pre-params are single-use: the ceremony deletes the copy it consumes.
  cp "$cache/$p.pp" "$demo/$p.pp"
done

say "plan: 2-of-3 secp256k1 keygen"
"$bin" plan keygen --curve secp256k1 --threshold 2 \
  --party "$demo/ids/alice.card" --party "$demo/ids/bob.card" --party "$demo/ids/carol.card" \
  -o "$demo/keygen.plan"
"$bin" plan show "$demo/keygen.plan"

move() { # copy every party's outbox onto the shared stick
  for p in "$@"; do cp -n "$demo/$p/kg/outbox/"* "$demo/stick/" 2>/dev/null || true; done
}

say "keygen: join (round 1)"
for p in alice bob carol; do
  "$bin" join "$demo/keygen.plan" --identity "$demo/ids/$p.key" --workdir "$demo/$p/kg" --preparams "$demo/$p.pp"
done
move alice bob carol
while :; do
  done_all=1
  for p in alice bob carol; do
    set +e
    "$bin" step --workdir "$demo/$p/kg" --identity "$demo/ids/$p.key" --inbox "$demo/stick"
    rc=$?
    set -e
    case $rc in 0) ;; 3) done_all=0 ;; *) exit $rc ;; esac
  done
  move alice bob carol
  finished=1
  for p in alice bob carol; do [ -f "$demo/$p/kg/result/public.json" ] || finished=0; done
  [ $finished = 1 ] && break
done
cat "$demo/alice/kg/result/public.json"

say "plan: alice and bob sign a message"
"$bin" plan sign --key "$demo/alice/kg/result/public.json" \
  --signer "$demo/ids/alice.card" --signer "$demo/ids/bob.card" \
  --message "coldsig demo: hello from an air-gapped ceremony" -o "$demo/sign.plan"
"$bin" plan show "$demo/sign.plan"
mkdir -p "$demo/stick2"
for p in alice bob; do
  "$bin" join "$demo/sign.plan" --identity "$demo/ids/$p.key" --share "$demo/$p/kg/result/share.age" --workdir "$demo/$p/sg"
  cp "$demo/$p/sg/outbox/"* "$demo/stick2/"
done
while :; do
  for p in alice bob; do
    set +e
    "$bin" step --workdir "$demo/$p/sg" --identity "$demo/ids/$p.key" --inbox "$demo/stick2"
    rc=$?
    set -e
    case $rc in 0|3) ;; *) exit $rc ;; esac
    cp -n "$demo/$p/sg/outbox/"* "$demo/stick2/" 2>/dev/null || true
  done
  [ -f "$demo/alice/sg/result/signature.json" ] && [ -f "$demo/bob/sg/result/signature.json" ] && break
done
cat "$demo/alice/sg/result/signature.json"

say "verify"
"$bin" verify --key "$demo/alice/kg/result/public.json" --signature "$demo/alice/sg/result/signature.json"
