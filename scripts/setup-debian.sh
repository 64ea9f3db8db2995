#!/usr/bin/env bash
# Installs what Sésame needs on a Debian/Ubuntu machine, only if missing.
# Idempotent and quick when everything is there. Sourced by scripts/run and
# scripts/test; safe to run on its own.
set -euo pipefail

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# System packages: a C toolchain and OpenSSL headers for SQLCipher,
# poppler-utils to inspect printed PDFs in tests.
need=()
for pkg in build-essential pkg-config libssl-dev poppler-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "sesame: installing ${need[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Rust: Debian's own cargo is too old for this workspace (edition 2024).
if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "sesame: Rust is missing. Install it with rustup (https://rustup.rs), then run this command again." >&2
  exit 1
fi
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "$rust_minor" -lt 85 ]; then
  echo "sesame: Rust 1.85 or newer is needed (found $(rustc --version)). Run 'rustup update'." >&2
  exit 1
fi

# One build directory shared by every build and test run: a cold build of
# SQLCipher, Tauri and friends takes many minutes on a small machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sesame-target}"
