#!/usr/bin/env bash
# Every desktop test, in order: the UI's Vitest suite, the shell's unit
# tests (release profile, so they share artifacts with the binary), and the
# end-to-end tests driving the real release binary through tauri-driver and
# WebKitWebDriver under Xvfb at 1280×720. Screenshots of each main screen
# go to $CARGO_TARGET_DIR/desktop-screenshots/.
# Last line: "desktop: N passed, M failed"; non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sesame-target}"
export PATH="$HOME/.cargo/bin:$PATH"
logs="$CARGO_TARGET_DIR/desktop-logs"
mkdir -p "$logs"
passed=0
failed=0
pids=()
tmp=""

finish() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$tmp" ] && rm -rf "$tmp"
  echo "desktop: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
broken() { # a step that could not run counts as one failure
  echo "desktop: $1" >&2
  failed=$((failed + 1))
  finish
}

tests/desktop/setup.sh || broken "setup failed"

echo "== type check (ui)"
(cd ui && npx svelte-check --tsconfig ./tsconfig.json --output machine --fail-on-warnings) || broken "the UI has type errors"

echo "== Vitest (ui)"
(cd ui && npx vitest run --reporter=default --reporter=json --outputFile="$logs/vitest.json")
counts=$(node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests)' "$logs/vitest.json" 2>/dev/null) || broken "Vitest did not run"
passed=$((passed + ${counts% *})); failed=$((failed + ${counts#* }))

echo "== build: ui/dist, then the release binary"
(cd ui && npm run build --silent) || broken "the UI does not build"
cargo build --release --locked -p sesame-desktop --features tauri/custom-protocol || broken "the desktop binary does not build"
app="$CARGO_TARGET_DIR/release/sesame-desktop"

echo "== shell unit tests (release)"
cargo test --release --locked -p sesame-desktop --features tauri/custom-protocol 2>&1 | tee "$logs/shell.log"
p=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$logs/shell.log" | awk '{s+=$4} END {print s+0}')
f=$(grep -Eo '[0-9]+ passed; [0-9]+ failed' "$logs/shell.log" | awk '{s+=$3} END {print s+0}')
[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && broken "the shell tests did not run"
passed=$((passed + p)); failed=$((failed + f))

echo "== end-to-end (Xvfb, tauri-driver, WebKitWebDriver)"
display=99
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x720x24 -nolisten tcp >"$logs/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
export DISPLAY=":$display"

tmp=$(mktemp -d)
export SESAME_VAULT_DIR="$tmp/vault"
export SESAME_KDF_LOG_N=10
export WEBKIT_DISABLE_COMPOSITING_MODE=1
export WEBKIT_DISABLE_DMABUF_RENDERER=1
export NO_AT_BRIDGE=1
port=$((20000 + RANDOM % 10000))
tauri-driver --port "$port" --native-port $((port + 1)) >"$logs/tauri-driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -s "http://127.0.0.1:$port/status" >/dev/null 2>&1 && break
  sleep 0.1
done

shots="$CARGO_TARGET_DIR/desktop-screenshots"
rm -rf "$shots"
SESAME_APP="$app" WD_URL="http://127.0.0.1:$port" SESAME_SCREENSHOTS="$shots" \
  node --test --test-reporter=tap --test-concurrency=1 tests/desktop/e2e.test.mjs 2>&1 | tee "$logs/e2e.tap"
p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$logs/e2e.tap" | tail -n 1)
f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$logs/e2e.tap" | tail -n 1)
[ -z "$p" ] && broken "the end-to-end tests did not run"
passed=$((passed + p)); failed=$((failed + ${f:-0}))
echo "Screenshots: $shots"
cd "$root"
finish
