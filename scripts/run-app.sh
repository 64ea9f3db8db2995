#!/usr/bin/env bash
# Builds and opens the Sésame desktop app (called by scripts/run).
# Installs Tauri's system libraries if missing, checks Node.js, builds the
# page (ui/dist) and the release binary, then opens the window.
# On first use it makes a demo vault of synthetic people (never real ones)
# and prints its passphrase; set SESAME_VAULT_DIR to open another vault.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-debian.sh
sesame_desktop_deps
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
