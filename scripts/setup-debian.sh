#!/usr/bin/env bash
# Installs what Sésame needs on a Debian/Ubuntu machine, only if missing.
# Idempotent and quick when everything is there. Sourced by scripts/run and
# scripts/test; safe to run on its own.
set -euo pipefail

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages named, those missing only (one apt run).
sesame_install_missing() {
  local need=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    echo "sesame: installing ${need[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# The desktop app's build needs: Tauri's system libraries, a recent enough
# Node.js, and the page's npm packages (the locked versions).
sesame_desktop_deps() {
  sesame_install_missing libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev "$@"
  if ! command -v node >/dev/null 2>&1 || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===20&&b>=19)||(a===22&&b>=12)?0:1)'; then
    echo "sesame : Node.js 20.19 ou plus récent est nécessaire (trouvé : $(node --version 2>/dev/null || echo aucun)). Installez-le depuis https://nodejs.org ou NodeSource, puis relancez." >&2
    echo "sesame: Node.js 20.19 or newer is needed (found: $(node --version 2>/dev/null || echo none)). Install it from https://nodejs.org or NodeSource, then run again." >&2
    exit 1
  fi
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    # `npm install`, not `npm ci`: Vite 8 lists an optional Windows-only
    # package that the registry does not serve, which `npm ci` refuses as
    # "missing from the lock file". With the lock file present, `npm
    # install` installs the locked versions.
    (cd ui && npm install --no-audit --no-fund)
  fi
}

# System packages: a C toolchain and OpenSSL headers for SQLCipher,
# poppler-utils to inspect printed PDFs in tests.
sesame_install_missing build-essential pkg-config libssl-dev poppler-utils

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
