#!/usr/bin/env bash
# Desktop benchmarks (measured, not timed tests). Results go to
# BENCHMARKS.md by hand, with the machine and the date.
#
#   cold start to an unlocked Today screen on a 10,000-applicant demo vault,
#   the KDF (scrypt, the vault's real cost, as `Vault::key_derivation_time`
#   reports it; opening the database counts as beyond it) timed apart; the same binary
#   showing an empty window (no vault touched) as the floor, in the same
#   run, as a ratio; resident memory (the app and its WebKit processes)
#   after opening 50 case files one after the other in the window.
#
# Usage: tests/desktop/bench.sh [RUNS]   (default 3; medians reported)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sesame-target}"
runs="${1:-3}"
applicants="${SESAME_BENCH_APPLICANTS:-10000}"

(cd ui && npm run build --silent)
cargo build --release --locked -p sesame-desktop --features tauri/custom-protocol -p sesame-cli
app="$CARGO_TARGET_DIR/release/sesame-desktop"
cli="$CARGO_TARGET_DIR/release/sesame"

vault="$CARGO_TARGET_DIR/bench-desktop-vault-$applicants"
export SESAME_PASSPHRASE="benchmark: synthetic demo vault only"
if [ ! -f "$vault/vault.json" ]; then
  rm -rf "$vault"
  echo "making a $applicants-applicant demo vault (once)…"
  SESAME_VAULT="$vault" "$cli" init >/dev/null
  t0=$(date +%s)
  SESAME_VAULT="$vault" "$cli" demo --applicants "$applicants" >/dev/null
  echo "demo vault made in $(( $(date +%s) - t0 )) s"
fi

display=99
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null' EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
export DISPLAY=":$display" WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1

out="$CARGO_TARGET_DIR/desktop-bench.log"
: >"$out"
for i in $(seq "$runs"); do
  # Alternate floor and measured runs so that machine noise hits both.
  SESAME_BENCH=empty SESAME_VAULT_DIR="$vault" timeout 120 "$app" | tee -a "$out"
  SESAME_BENCH=today SESAME_BENCH_PASSPHRASE="$SESAME_PASSPHRASE" SESAME_BENCH_FILES=50 \
    SESAME_VAULT_DIR="$vault" timeout 600 "$app" | tee -a "$out"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { grep "^bench $1:" "$out" | sed -E "s/.* $2=([0-9]+).*/\1/" | median; }
empty=$(field empty start_to_screen_ms)
today=$(field today start_to_screen_ms)
kdf=$(field today kdf_ms)
beyond=$(field today beyond_kdf_ms)
files_ms=$(field files ms)
rss=$(field files rss_kib)
tree=$(field files tree_rss_kib)
echo
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1); $(date -u +%F)"
echo "runs: $runs (medians); vault: $applicants applicants (sesame demo)"
echo "empty window (floor):         ${empty} ms"
echo "cold start to unlocked Today: ${today} ms, of which KDF ${kdf} ms; beyond the KDF ${beyond} ms"
echo "ratio (beyond KDF / floor):   $(awk -v a="$beyond" -v b="$empty" 'BEGIN {printf "%.2f", a/b}')"
echo "50 case files opened in:      ${files_ms} ms"
echo "RSS after 50 files:           shell $((rss / 1024)) MiB; shell + WebKit processes $((tree / 1024)) MiB"
