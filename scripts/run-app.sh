#!/usr/bin/env bash
# Builds and opens the Sésame desktop app (called by scripts/run).
# Installs Tauri's system libraries if missing, checks Node.js, builds the
# page (ui/dist) and the release binary, then opens the window.
# On first use it makes a demo vault of synthetic people (never real ones)
# and prints its passphrase; set SESAME_VAULT_DIR to open another vault.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sesame-target}"

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
need=()
for pkg in libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev build-essential pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "sesame: installing ${need[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===20&&b>=19)||(a===22&&b>=12)?0:1)'; then
  echo "sesame : Node.js 20.19 ou plus récent est nécessaire (trouvé : $(node --version 2>/dev/null || echo aucun)). Installez-le depuis https://nodejs.org ou NodeSource, puis relancez scripts/run." >&2
  echo "sesame: Node.js 20.19 or newer is needed (found: $(node --version 2>/dev/null || echo none)). Install it from https://nodejs.org or NodeSource, then run scripts/run again." >&2
  exit 1
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: Vite 8 lists an optional Windows-only
  # package that the registry does not serve, which `npm ci` refuses as "missing from
  # the lock file". With the lock file present, `npm install` installs the
  # locked versions.
  (cd ui && npm install --no-audit --no-fund)
fi
(cd ui && npm run build --silent)
cargo build --release --locked -p sesame-desktop --features tauri/custom-protocol

# A demo vault on first use, so there is something to look at.
if [ -z "${SESAME_VAULT_DIR:-}" ]; then
  export SESAME_VAULT_DIR="$HOME/.local/share/sesame-demo/vault"
  export SESAME_PASSPHRASE="${SESAME_PASSPHRASE:-demo: ceci n'est pas un vrai coffre}"
  if [ ! -f "$SESAME_VAULT_DIR/vault.json" ]; then
    cargo build --release --locked -p sesame-cli
    SESAME_VAULT="$SESAME_VAULT_DIR" "$CARGO_TARGET_DIR/release/sesame" init
    SESAME_VAULT="$SESAME_VAULT_DIR" "$CARGO_TARGET_DIR/release/sesame" demo --applicants 50
  fi
  echo "Coffre de démonstration / Demo vault: $SESAME_VAULT_DIR"
  echo "Phrase de passe / Passphrase: $SESAME_PASSPHRASE"
  unset SESAME_PASSPHRASE
fi
exec "$CARGO_TARGET_DIR/release/sesame-desktop"
